@NullMarked
package dev.cairn.server.vault.items;

import org.jspecify.annotations.NullMarked;
