/**
 * Search indexing: the item listener that enqueues (and at once removes) in the item's
 * transaction, the durable index job that reads content through the content store, extracts,
 * chunks and replaces a version's chunks in one short transaction, and the index status.
 */
@NullMarked
package dev.cairn.server.search.index;

import org.jspecify.annotations.NullMarked;
