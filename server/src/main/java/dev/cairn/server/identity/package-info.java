@NullMarked
package dev.cairn.server.identity;

import org.jspecify.annotations.NullMarked;
