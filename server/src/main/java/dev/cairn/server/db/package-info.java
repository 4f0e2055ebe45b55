@NullMarked
package dev.cairn.server.db;

import org.jspecify.annotations.NullMarked;
