@NullMarked
package dev.cairn.server.vault.records;

import org.jspecify.annotations.NullMarked;
