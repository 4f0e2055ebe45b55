@NullMarked
package dev.cairn.server.vault.audit;

import org.jspecify.annotations.NullMarked;
