/** The vault: owners' items, records, sharing, consent and the audit chain. */
@NullMarked
package dev.cairn.server.vault;

import org.jspecify.annotations.NullMarked;
