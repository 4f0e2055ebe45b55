package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.chat.generate.Generator;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.NotificationListener;
import dev.cairn.server.db.PageTokens;
import dev.cairn.server.search.SearchService;
import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Builds chat from its parts: the Chat gRPC service over the conversation and answer services,
 * the generator the composition root chose, and the LISTEN session on the chat channel (closed
 * with the module) through which this replica follows and cancels answers made anywhere.
 */
public final class ChatModule implements AutoCloseable {
  /** How often a streaming answer's text is written (and followers notified), at most. */
  public static final Duration CHECKPOINT_INTERVAL = Duration.ofMillis(100);

  /** What chat is built from. */
  public record Parts(Database database, ContentStore content, VaultAccess access, AuditLog audit,
      PageTokens pageTokens, SearchService search, Generator generator, Clock clock, Supplier<UUID> ids,
      MeterRegistry metrics, io.opentelemetry.api.trace.Tracer tracer) {}

  private final NotificationListener listener;
  private final ChatSignals signals;
  private final ChatService chats;
  private final Answers answers;

  public ChatModule(Parts parts) {
    requireNonNull(parts, "parts");
    var repository = new ChatRepository();
    var messages = new MessageStore(parts.content());
    var signals = new ChatSignals();
    this.signals = signals;
    var metrics = new ChatMetrics(parts.metrics(), signals);
    this.chats = new ChatService(parts.database(), repository, messages, signals, parts.pageTokens(), parts.clock(),
        parts.ids(), metrics);
    var retrieval = new Retrieval(parts.database(), parts.search(), parts.audit());
    var generation = new AnswerGeneration(parts.database(), repository, messages, retrieval, parts.generator(), signals,
        metrics, parts.clock(), CHECKPOINT_INTERVAL, parts.tracer());
    this.answers = new Answers(parts.database(), repository, messages, chats, generation, signals, metrics,
        parts.clock(), parts.ids());
    // pushed: a follower wakes when a checkpoint's NOTIFY arrives, not at the next poll of the connection
    this.listener = NotificationListener.startPushed(
        () -> parts.database().openDedicatedConnection("cairn-chat-listener"), ChatRepository.CHANNEL, signals,
        Duration.ofSeconds(10), parts.metrics());
  }

  public List<BindableService> services() {
    return List.of(new ChatGrpcService(chats, answers));
  }

  /** Cancels the answers still generating here and gives them a moment to store their end. */
  @Override
  public void close() {
    signals.cancelAll();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (signals.activeRuns() > 0 && System.nanoTime() < deadline) {
      try {
        signals.awaitAfter(signals.seen(), Duration.ofMillis(50));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    listener.close();
  }
}
