package dev.cairn.server.grpc;

/** Turns a presented bearer credential into a {@link Principal}, or throws UNAUTHENTICATED. */
@FunctionalInterface
public interface Authenticator {
  Principal authenticate(String bearer);
}
