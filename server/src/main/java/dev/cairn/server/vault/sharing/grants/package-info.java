/**
 * Grants: who may give whom which role on what, and what revoking one takes with it. Links and
 * consents build on this package (a link needs SHARE, a consent makes grants); it knows neither.
 */
@NullMarked
package dev.cairn.server.vault.sharing.grants;

import org.jspecify.annotations.NullMarked;
