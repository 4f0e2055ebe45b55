package dev.cairn.server.core;

/** Turns a presented bearer credential into a {@link Principal}, or throws UNAUTHENTICATED. */
@FunctionalInterface
public interface Authenticator {
  Principal authenticate(String bearer);
}
