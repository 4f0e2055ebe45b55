/**
 * The one rule that decides who may act on an item: its owner, or the holder of a live grant
 * (on the item or its collection) at the needed role. Vault, search and chat all ask here.
 */
@NullMarked
package dev.cairn.server.access;

import org.jspecify.annotations.NullMarked;
