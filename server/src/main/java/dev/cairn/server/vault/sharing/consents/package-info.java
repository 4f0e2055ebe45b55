/**
 * Consents: the owner's recorded agreement to share a scope with a recipient, with its grants
 * and its signed Kantara receipt. Built on grants (a consent makes and revokes grants).
 */
@NullMarked
package dev.cairn.server.vault.sharing.consents;

import org.jspecify.annotations.NullMarked;
