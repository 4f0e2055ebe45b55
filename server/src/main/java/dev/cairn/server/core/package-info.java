/**
 * What every feature shares and that knows nothing of transport or storage: the caller
 * ({@link dev.cairn.server.core.Principal}), the one domain exception with its kinds, resource
 * names. Imports nothing else of the server's (enforced by ArchitectureTest).
 */
@NullMarked
package dev.cairn.server.core;

import org.jspecify.annotations.NullMarked;
