package dev.cairn.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.DeltaEvent;
import dev.cairn.chat.v1.RetrievalEvent;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.chat.v1.StartedEvent;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat baseline streams exactly the recorded answer, so its figures are for the same messages. */
class BareChatServerTest {

  @Test
  void sendMessageStreamsTheRecordedMessagesInOrder(@TempDir Path dir) throws Exception {
    List<SendMessageResponse> recorded = List.of(
        SendMessageResponse.newBuilder().setStarted(StartedEvent.getDefaultInstance()).build(),
        SendMessageResponse.newBuilder().setRetrieval(RetrievalEvent.getDefaultInstance()).build(),
        SendMessageResponse.newBuilder().setDelta(DeltaEvent.newBuilder().setText("Tides rise").setOffset(0)).build(),
        SendMessageResponse.newBuilder().setDelta(DeltaEvent.newBuilder().setText(" and fall [1]").setOffset(10)).build());
    Path file = dir.resolve("answer.bin");
    try (OutputStream out = Files.newOutputStream(file)) {
      for (SendMessageResponse m : recorded) {
        m.writeDelimitedTo(out);
      }
    }
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new BareChatServer.Replay(BareChatServer.read(file))).build().start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    try {
      List<SendMessageResponse> got = new ArrayList<>();
      ChatServiceGrpc.newBlockingStub(channel)
          .sendMessage(SendMessageRequest.newBuilder().setParent("conversations/x").setText("tides?").build())
          .forEachRemaining(got::add);

      assertThat(got).containsExactlyElementsOf(recorded);
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
