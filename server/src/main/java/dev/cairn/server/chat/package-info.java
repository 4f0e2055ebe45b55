/**
 * Chat: conversations owned by one user, answers grounded in what the user can read (retrieved
 * through search with the caller's rights), streamed, checkpointed, resumable on any replica,
 * cancellable from any replica, branchable.
 */
@NullMarked
package dev.cairn.server.chat;

import org.jspecify.annotations.NullMarked;
