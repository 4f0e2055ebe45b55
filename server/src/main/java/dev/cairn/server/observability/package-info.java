@NullMarked
package dev.cairn.server.observability;

import org.jspecify.annotations.NullMarked;
