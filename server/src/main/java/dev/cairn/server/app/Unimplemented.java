package dev.cairn.server.app;

import dev.cairn.chat.v1.ChatServiceGrpc;
import io.grpc.BindableService;
import java.util.List;

/**
 * Services whose contracts exist but which this build does not implement yet: registered so
 * clients can discover them by reflection, answering UNIMPLEMENTED (the generated base
 * classes' default).
 */
final class Unimplemented {
  private Unimplemented() {}

  static List<BindableService> services() {
    return List.of(new ChatServiceGrpc.ChatServiceImplBase() {});
  }
}
