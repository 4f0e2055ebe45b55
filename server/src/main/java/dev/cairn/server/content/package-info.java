/**
 * The one reader and writer of item content in plaintext: documents as encrypted segments of a
 * blob, records as one encrypted JSON value, each under the owner's data key and bound to its
 * item, blob and position. Every feature that needs content (items, links, records, search
 * ingestion, chat citations) goes through {@link dev.cairn.server.content.ContentStore}.
 */
@NullMarked
package dev.cairn.server.content;

import org.jspecify.annotations.NullMarked;
