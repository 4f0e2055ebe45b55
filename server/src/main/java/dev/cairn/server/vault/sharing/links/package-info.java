/**
 * Access links: bearer tokens for one item, redeemable without an account. Built on grants (a
 * link needs SHARE, and goes with the grant it was made through); knows nothing of consents.
 */
@NullMarked
package dev.cairn.server.vault.sharing.links;

import org.jspecify.annotations.NullMarked;
