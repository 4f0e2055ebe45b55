/**
 * The {@code cairn} command-line tool: one class per command group, all built on
 * {@link dev.cairn.client.CairnClient}.
 */
@NullMarked
package dev.cairn.client.cli;

import org.jspecify.annotations.NullMarked;
