/** Search quality and ingestion figures, measured through Cairn's public API on the SciFact set. */
@NullMarked
package dev.cairn.tools.eval;

import org.jspecify.annotations.NullMarked;
