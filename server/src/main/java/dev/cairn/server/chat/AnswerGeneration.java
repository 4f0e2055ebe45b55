package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.chat.generate.FinishReason;
import dev.cairn.server.chat.generate.Generation;
import dev.cairn.server.chat.generate.GenerationException;
import dev.cairn.server.chat.generate.Generator;
import dev.cairn.server.chat.generate.Prompt;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Futures;
import dev.cairn.server.core.Now;
import dev.cairn.server.db.Database;
import dev.cairn.server.db.DatabaseUnavailable;
import dev.cairn.type.v1.ErrorReason;
import io.grpc.Context;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one answer on its own virtual thread, outside the call's gRPC context (a detached answer
 * outlives its call; no deadline of the call cancels its checkpoints) and outside any
 * transaction: retrieval, then the generator, while a checkpointer writes the text so far every
 * {@code interval} (and NOTIFYs followers), then the final state.
 */
final class AnswerGeneration {
  private static final Logger log = LoggerFactory.getLogger(AnswerGeneration.class);
  static final String NO_SOURCES_TEXT = "I found nothing in the documents you can read that answers this, so I "
      + "will not guess. Try other words, or check that the documents are searchable and shared with you.";
  /** A STREAMING answer whose checkpoints stopped this long ago was orphaned by its replica. */
  static final Duration ORPHANED_AFTER = Duration.ofSeconds(30);
  private static final Duration HEARTBEAT = Duration.ofSeconds(5);
  /** How long an early retrieval waits for its send's commit before it gives up (and rolls back). */
  private static final Duration SEND_COMMIT_WAIT = Duration.ofSeconds(30);

  private final Database database;
  private final ChatRepository repository;
  private final MessageStore messages;
  private final Retrieval retrieval;
  private final Generator generator;
  private final ChatSignals signals;
  private final ChatMetrics metrics;
  private final Clock clock;
  private final Duration interval;

  private final Tracer tracer;

  AnswerGeneration(Database database, ChatRepository repository, MessageStore messages, Retrieval retrieval,
      Generator generator, ChatSignals signals, ChatMetrics metrics, Clock clock, Duration interval, Tracer tracer) {
    this.tracer = requireNonNull(tracer, "tracer");
    this.database = requireNonNull(database, "database");
    this.repository = requireNonNull(repository, "repository");
    this.messages = requireNonNull(messages, "messages");
    this.retrieval = requireNonNull(retrieval, "retrieval");
    this.generator = requireNonNull(generator, "generator");
    this.signals = requireNonNull(signals, "signals");
    this.metrics = requireNonNull(metrics, "metrics");
    this.clock = requireNonNull(clock, "clock");
    this.interval = requireNonNull(interval, "interval");
  }

  /**
   * What the send's transaction decided: the question, its branch's history and the filter, and
   * the retrieval already under way for it ({@link #retrieveEarly}).
   */
  record Job(Caller caller, AnswerRun run, String question, List<Prompt.Turn> history,
      dev.cairn.server.search.Search.Filter filter, CompletableFuture<Retrieval.Found> retrieval) {}

  /** The send rolled back or the answer was stopped before its citations were stored. */
  private static final class RetrievalDropped extends RuntimeException {
    RetrievalDropped() {
      super(null, null, false, false);
    }
  }

  /**
   * Starts an answer's retrieval while the send's transaction is still running, on its own
   * virtual thread (no connection of the send's is used): the query embedding and the vector
   * catch-up, then the search's own transaction, run alongside the send's last statements and
   * its commit. Only storing the citations (in the retrieval's transaction, with the ITEM_READ
   * audit rows) waits for {@code sent}: the answer's row exists only once the send committed.
   * If the send rolls back ({@code sent} fails) or the answer was stopped by then, the
   * retrieval's transaction rolls back as well, so nothing is audited or cited for it, and a
   * stopped answer stores no citations (as when it is stopped before retrieval starts).
   */
  CompletableFuture<Retrieval.Found> retrieveEarly(Caller caller, AnswerRun run, String question,
      dev.cairn.server.search.Search.Filter filter, CompletableFuture<Void> sent) {
    var found = new CompletableFuture<Retrieval.Found>();
    Runnable task = () -> {
      long retrieving = System.nanoTime();
      try {
        metrics.stage("received_to_retrieval", run.elapsed().toNanos());
        found.complete(retrieval.find(caller, question, filter, (sql, citations) -> {
          awaitSent(sent);
          if (run.isCancelled()) {
            throw new RetrievalDropped();
          }
          storeCitations(sql, run, citations);
        }));
        metrics.retrieval(Duration.ofNanos(System.nanoTime() - retrieving));
      } catch (RetrievalDropped e) {
        found.complete(null); // the answer's own thread stores the empty citations of a stopped answer
      } catch (RuntimeException | Error e) {
        found.completeExceptionally(e);
      }
    };
    // detached from the call's gRPC context (the retrieval outlives a cancelled stream, as the
    // answer does) but not from its trace
    Thread.ofVirtual().name("cairn-retrieval-" + run.messageId())
        .start(io.opentelemetry.context.Context.current().wrap(Context.ROOT.wrap(task)));
    return found;
  }

  /** The send's commit, bounded: the send's transaction is a few statements long. */
  private static void awaitSent(CompletableFuture<Void> sent) {
    try {
      sent.get(SEND_COMMIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetrievalDropped();
    } catch (ExecutionException | TimeoutException | CancellationException e) {
      throw new RetrievalDropped();
    }
  }

  void start(Job job) {
    signals.register(job.run());
    // detached from the call's gRPC context (an answer outlives a cancelled stream) but not from
    // its trace: the answer's span is a child of the SendMessage span
    Runnable detached = Context.ROOT.wrap(() -> traced(job));
    Thread.ofVirtual().name("cairn-answer-" + job.run().messageId())
        .start(io.opentelemetry.context.Context.current().wrap(detached));
  }

  /** The answer as one span (retrieval, generation, storing), with the generator's time as its child. */
  private void traced(Job job) {
    Span span = tracer.spanBuilder("chat answer").setAttribute("cairn.chat.generator", generator.name()).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      run(job);
    } finally {
      span.end();
    }
  }

  private Generation generate(Prompt prompt, AnswerRun run) throws GenerationException {
    Span span = tracer.spanBuilder("chat generate").setAttribute("cairn.chat.generator", generator.name()).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      Generation g = generator.generate(prompt, run::append, run);
      span.setAttribute("cairn.chat.finish_reason", String.valueOf(g.finishReason()));
      return g;
    } catch (GenerationException | RuntimeException e) {
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }

  private void run(Job job) {
    AnswerRun run = job.run();
    AnswerRun.Outcome outcome;
    Checkpointer checkpointer = null;
    try {
      Retrieval.Found found = joinRetrieval(job.retrieval());
      if (found == null) { // stopped before its citations were stored
        found = Retrieval.Found.NOTHING;
        database.transaction(job.caller(), sql -> {
          storeCitations(sql, run, List.of());
          return null;
        });
      }
      run.retrieved(found.citations());
      if (run.isCancelled()) {
        outcome = new AnswerRun.Outcome(Chat.State.CANCELLED, Chat.Finish.CANCELLED, usage(run, 0, 0), null);
      } else if (found.sources().isEmpty()) {
        run.append(NO_SOURCES_TEXT);
        outcome = new AnswerRun.Outcome(Chat.State.COMPLETED, Chat.Finish.NO_SOURCES, usage(run, 0, 0), null);
      } else {
        checkpointer = new Checkpointer(job);
        Thread.ofVirtual().name("cairn-checkpoint-" + run.messageId()).start(checkpointer);
        Generation g = generate(new Prompt(job.question(), job.history(), found.sources()), run);
        Chat.Finish finish = run.isCancelled() ? Chat.Finish.CANCELLED : finish(g.finishReason());
        outcome = new AnswerRun.Outcome(finish == Chat.Finish.CANCELLED ? Chat.State.CANCELLED : Chat.State.COMPLETED,
            finish, usage(run, g.promptTokens(), g.completionTokens()), null);
      }
    } catch (GenerationException e) {
      metrics.generatorError(generator.name());
      log.warn("generator {} failed for an answer: {}", generator.name(), e.getMessage());
      outcome = failed(run, CairnException.unavailable("the answer generator failed; the text so far is kept"));
    } catch (CairnException e) {
      outcome = failed(run, e);
    } catch (RuntimeException e) {
      CairnException down = DatabaseUnavailable.of(e);
      if (down != null) {
        log.warn("answer generation stopped: the database is unavailable ({})", e.getMessage());
        outcome = failed(run, down);
      } else {
        log.error("answer generation failed", e);
        outcome = failed(run, new CairnException(CairnException.Kind.INTERNAL, ErrorReason.ERROR_REASON_INTERNAL,
            "internal error", Map.of(), List.of()));
      }
    } finally {
      if (checkpointer != null) {
        checkpointer.stop();
      }
    }
    try {
      finish(job, outcome);
    } catch (RuntimeException e) {
      log.error("could not store the end of an answer", e);
    } finally {
      signals.unregister(run);
      run.ended(outcome);
      var ttft = run.firstToken();
      if (ttft != null) {
        metrics.firstToken(generator.name(), ttft);
      }
      if (outcome.state() == Chat.State.CANCELLED) {
        metrics.cancelled("stopped");
      }
    }
  }

  /** The early retrieval's result (null: dropped), its failure rethrown as it was thrown. */
  private static Retrieval.@Nullable Found joinRetrieval(CompletableFuture<Retrieval.Found> retrieval) {
    try {
      return retrieval.join();
    } catch (CompletionException e) {
      throw Futures.rethrown(e, checked -> e); // (it looks through the CompletionException)
    }
  }

  private void storeCitations(org.jooq.DSLContext sql, AnswerRun run, List<Chat.Citation> citations) {
    repository.storeCitations(sql, run.ownerId(), run.messageId(),
        messages.encryptCitations(sql, run.ownerId(), run.conversationId(), run.messageId(), citations));
  }

  private static AnswerRun.Outcome failed(AnswerRun run, CairnException e) {
    return new AnswerRun.Outcome(Chat.State.FAILED, Chat.Finish.ERROR, usage(run, 0, 0), e);
  }

  private static Chat.Usage usage(AnswerRun run, int prompt, int completion) {
    return new Chat.Usage(prompt, completion, run.firstToken(), run.elapsed());
  }

  private static Chat.Finish finish(FinishReason reason) {
    return switch (reason) {
      case STOP -> Chat.Finish.STOP;
      case LENGTH -> Chat.Finish.LENGTH;
      case CANCELLED -> Chat.Finish.CANCELLED;
      case NO_SOURCES -> Chat.Finish.NO_SOURCES;
    };
  }

  /**
   * The final state, the conversation freed for the next send, and a notification, in one
   * transaction of one round trip after the key read (an answer whose conversation was deleted
   * meanwhile updates nothing).
   */
  private void finish(Job job, AnswerRun.Outcome outcome) {
    AnswerRun run = job.run();
    String text = run.snapshot().text();
    database.transaction(job.caller(), sql -> {
      byte[] ciphertext = messages.encryptText(sql, run.ownerId(), run.conversationId(), run.messageId(), text);
      CairnException error = outcome.error();
      repository.endAnswer(sql, run.ownerId(), run.conversationId(), run.messageId(), outcome.state(), ciphertext,
          text.codePointCount(0, text.length()), outcome.finish(), outcome.usage(),
          error == null ? null : error.kind().name(), error == null ? null : error.getMessage(), now());
      return null;
    });
  }

  private OffsetDateTime now() {
    return Now.of(clock);
  }

  /**
   * Writes the text so far at most once per interval while it changes (and a heartbeat every few
   * seconds while it does not), so the write rate is bounded whatever the generator's pace. A
   * checkpoint that finds a cancel request (from any replica) or the answer gone stops the run.
   */
  private final class Checkpointer implements Runnable {
    private final Job job;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stopped = lock.newCondition();
    private boolean stop;
    private int stored;
    private long lastWrite = System.nanoTime();

    Checkpointer(Job job) {
      this.job = job;
    }

    void stop() {
      lock.lock();
      try {
        stop = true;
        stopped.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void run() {
      AnswerRun run = job.run();
      while (true) {
        lock.lock();
        try {
          long nanos = interval.toNanos();
          while (!stop && nanos > 0) {
            nanos = stopped.awaitNanos(nanos);
          }
          if (stop) {
            return;
          }
        } catch (InterruptedException e) {
          return;
        } finally {
          lock.unlock();
        }
        var now = run.snapshot();
        boolean heartbeat = System.nanoTime() - lastWrite > HEARTBEAT.toNanos();
        if (now.codePoints() == stored && !heartbeat) {
          continue;
        }
        try {
          boolean goOn = database.transaction(job.caller(), sql -> repository.checkpoint(sql, run.ownerId(),
              run.messageId(), messages.encryptText(sql, run.ownerId(), run.conversationId(), run.messageId(),
                  now.text()), now.codePoints(), now()));
          stored = now.codePoints();
          lastWrite = System.nanoTime();
          if (!goOn) {
            run.cancel();
          }
        } catch (RuntimeException e) {
          log.warn("an answer checkpoint failed; the next one retries: {}", e.toString());
        }
      }
    }
  }
}
