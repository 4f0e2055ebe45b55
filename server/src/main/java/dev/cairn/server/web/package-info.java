/** The console's static files, served to the gateway's {@code web} upstream when configured. */
@NullMarked
package dev.cairn.server.web;

import org.jspecify.annotations.NullMarked;
