/**
 * Durable background work: a job is a row in {@code cairn.jobs}, enqueued in the transaction of
 * the write that causes it ({@link dev.cairn.server.jobs.JobQueue#enqueue}), claimed by workers
 * on any replica with {@code FOR UPDATE SKIP LOCKED} under a lease, retried with exponential
 * backoff and dead-lettered after a number of attempts. A {@link dev.cairn.server.jobs.JobHandler}
 * runs outside the queue's transactions and opens its own, as the job's owner.
 */
@NullMarked
package dev.cairn.server.jobs;

import org.jspecify.annotations.NullMarked;
