@NullMarked
package dev.cairn.server.grpc;

import org.jspecify.annotations.NullMarked;
