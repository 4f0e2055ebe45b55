@NullMarked
package dev.cairn.server.config;

import org.jspecify.annotations.NullMarked;
