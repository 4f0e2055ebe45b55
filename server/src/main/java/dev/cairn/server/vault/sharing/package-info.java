@NullMarked
package dev.cairn.server.vault.sharing;

import org.jspecify.annotations.NullMarked;
