package dev.cairn.tools.bench;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.Conversation;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.CreateConversationResponse;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The chat benchmark's baseline: a bare grpc-java server whose {@code SendMessage} streams a
 * recorded answer — the very {@link SendMessageResponse}s one Cairn send produced (started,
 * retrieval, the deltas, completed), so the same number and size of messages — with no work in
 * between: no interceptors, authentication, validation, database, retrieval or generator.
 * {@code CreateConversation} returns a fresh name and nothing else. Cairn's figures minus this
 * server's are what Cairn adds to a streamed answer.
 *
 * <p>Calls run on virtual threads as in the Cairn server. Loopback only. Usage: {@code java -cp
 * tools/target/cairn-tools.jar dev.cairn.tools.bench.BareChatServer PORT ANSWER_FILE} (port 0 picks a
 * free one, printed as {@code listening on 127.0.0.1:<port>}; the file holds length-delimited
 * {@code SendMessageResponse}s, as {@code writeDelimitedTo} writes them).
 */
public final class BareChatServer {
  private BareChatServer() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 2) {
      System.err.println("usage: BareChatServer PORT ANSWER_FILE");
      System.exit(2);
    }
    List<SendMessageResponse> answer = read(Path.of(args[1]));
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])))
        .executor(executor)
        .addService(new Replay(answer))
        .build()
        .start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      executor.shutdownNow();
    }));
    System.out.println("listening on 127.0.0.1:" + server.getPort() + " (" + answer.size() + " messages an answer)");
    System.out.flush();
    server.awaitTermination();
  }

  static List<SendMessageResponse> read(Path file) throws IOException {
    List<SendMessageResponse> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      SendMessageResponse m;
      while ((m = SendMessageResponse.parseDelimitedFrom(in)) != null) {
        out.add(m);
      }
    }
    if (out.isEmpty()) {
      throw new IOException(file + " holds no SendMessageResponse");
    }
    return List.copyOf(out);
  }

  /** The two calls a send needs; every other method stays UNIMPLEMENTED. */
  static final class Replay extends ChatServiceGrpc.ChatServiceImplBase {
    private final List<SendMessageResponse> answer;

    Replay(List<SendMessageResponse> answer) {
      this.answer = answer;
    }

    @Override
    public void createConversation(CreateConversationRequest request,
        StreamObserver<CreateConversationResponse> responseObserver) {
      responseObserver.onNext(CreateConversationResponse.newBuilder()
          .setConversation(Conversation.newBuilder().setName("conversations/" + UUID.randomUUID())).build());
      responseObserver.onCompleted();
    }

    @Override
    public void sendMessage(SendMessageRequest request, StreamObserver<SendMessageResponse> responseObserver) {
      answer.forEach(responseObserver::onNext);
      responseObserver.onCompleted();
    }
  }
}
