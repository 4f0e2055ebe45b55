@NullMarked
package dev.cairn.server.app;

import org.jspecify.annotations.NullMarked;
