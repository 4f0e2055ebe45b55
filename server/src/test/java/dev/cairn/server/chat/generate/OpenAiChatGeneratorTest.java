package dev.cairn.server.chat.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiChatGeneratorTest {
  private static final String KEY = "sk-test-0123456789abcdef";
  private static final Prompt PROMPT = new Prompt(
      "How many programs require patients to stop methadone?",
      List.of(new Prompt.Turn(Prompt.Role.USER, "Tell me about liver transplants."),
          new Prompt.Turn(Prompt.Role.ASSISTANT, "They are the usual treatment for end-stage disease [1].")),
      List.of(new Prompt.Source(1, "Liver transplantation and opioid dependence",
              "Policies requiring discontinuation of methadone in 32% of all programs contradict the evidence.", 0),
          new Prompt.Source(2, "Survey report", "Eighty-eight percent require six months of abstinence.", 3)));

  private FakeChatApi api;
  private OpenAiChatGenerator generator;

  @BeforeEach
  void start() throws IOException {
    api = new FakeChatApi();
    generator = generator(settings(api));
  }

  @AfterEach
  void stop() {
    generator.close();
    api.close();
  }

  /** Timeouts generous enough for a loaded build machine's first request. */
  private static OpenAiChatSettings settings(FakeChatApi api) {
    return OpenAiChatSettings.of(api.baseUrl().toString(), KEY, "fake-model")
        .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5))
        .withRetries(3, Duration.ofMillis(10), Duration.ofMillis(50));
  }

  /** A generator that gives up on a silent server after 1 s, for the stall tests. */
  private OpenAiChatGenerator impatient() {
    return generator(settings(api).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(5)));
  }

  private static OpenAiChatGenerator generator(OpenAiChatSettings settings) {
    return new OpenAiChatGenerator(settings, new java.util.SplittableRandom(7));
  }

  @Test
  void streamsTheAnswerPieceByPieceAndReportsTheServersUsage() throws Exception {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(PROMPT, sink, new TestCancellation());

    assertThat(sink.deltas).containsExactly("Hello", " world", ".");
    assertThat(generation).isEqualTo(new Generation(FinishReason.STOP, 42, 3));
    assertThat(api.requests).hasSize(1);
  }

  @Test
  void requestCarriesModelStreamFlagSourcesHistoryQuestionAndBearerKey() throws Exception {
    generator.generate(PROMPT, new RecordingSink(), new TestCancellation());

    FakeChatApi.Recorded request = api.requests.getFirst();
    assertThat(request.path()).isEqualTo("/v1/chat/completions");
    assertThat(request.authorization()).isEqualTo("Bearer " + KEY);
    assertThat(request.accept()).isEqualTo("text/event-stream");
    JsonObject body = request.body();
    assertThat(body.get("model").getAsString()).isEqualTo("fake-model");
    assertThat(body.get("stream").getAsBoolean()).isTrue();
    assertThat(body.getAsJsonObject("stream_options").get("include_usage").getAsBoolean()).isTrue();
    assertThat(body.get("max_tokens").getAsInt()).isEqualTo(1024);
    JsonArray messages = body.getAsJsonArray("messages");
    List<String> roles = new ArrayList<>();
    messages.forEach(m -> roles.add(m.getAsJsonObject().get("role").getAsString()));
    assertThat(roles).containsExactly("system", "user", "assistant", "user");
    String system = messages.get(0).getAsJsonObject().get("content").getAsString();
    assertThat(system)
        .contains("only the numbered sources")
        .contains("[1] Liver transplantation and opioid dependence\nPolicies requiring discontinuation of methadone")
        .contains("[2] Survey report (page 3)\nEighty-eight percent");
    assertThat(messages.get(2).getAsJsonObject().get("content").getAsString()).startsWith("They are the usual");
    assertThat(messages.get(3).getAsJsonObject().get("content").getAsString()).isEqualTo(PROMPT.question());
  }

  @Test
  void finishReasonLengthEndsTheAnswerWithLength() throws Exception {
    api.script.add(FakeChatApi.events(List.of(FakeChatApi.roleChunk(), FakeChatApi.chunk("Cut"),
        FakeChatApi.finishChunk("length"), "[DONE]")));
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(PROMPT, sink, new TestCancellation());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.LENGTH);
    assertThat(sink.text()).isEqualTo("Cut");
  }

  @Test
  void withoutStreamedUsageTheTokensAreEstimatedAndTheOptionIsNotSent() throws Exception {
    try (OpenAiChatGenerator noUsage = generator(settings(api).withStreamUsage(false))) {
      api.script.add(FakeChatApi.events(List.of(FakeChatApi.chunk("Twelve chars"),
          FakeChatApi.finishChunk("stop"), "[DONE]")));

      Generation generation = noUsage.generate(PROMPT, new RecordingSink(), new TestCancellation());

      assertThat(generation.completionTokens()).isEqualTo(3);
      assertThat(generation.promptTokens()).isEqualTo(Answers.estimatePromptTokens(PROMPT));
      assertThat(api.requests.getFirst().body().has("stream_options")).isFalse();
    }
  }

  @Test
  void errorEventMidStreamFailsWithoutRetryAndTheEmittedTextStaysWithTheCaller() {
    api.script.add(FakeChatApi.events(List.of(FakeChatApi.roleChunk(), FakeChatApi.chunk("Partial"),
        FakeChatApi.errorBody("the model crashed", "server_error"))));
    RecordingSink sink = new RecordingSink();

    GenerationException e = catchThrowableOfType(GenerationException.class,
        () -> generator.generate(PROMPT, sink, new TestCancellation()));

    assertThat(e.retryable()).isFalse();
    assertThat(e).hasMessageContaining("mid-answer").hasMessageContaining("the model crashed");
    assertThat(sink.text()).isEqualTo("Partial");
    assertThat(api.requests).hasSize(1);
  }

  @Test
  void streamThatEndsMidAnswerWithoutFinishingFailsWithoutRetry() {
    api.script.add(FakeChatApi.rawStream("data: " + FakeChatApi.chunk("Half an") + "\n\n"));
    RecordingSink sink = new RecordingSink();

    GenerationException e = catchThrowableOfType(GenerationException.class,
        () -> generator.generate(PROMPT, sink, new TestCancellation()));

    assertThat(e.retryable()).isFalse();
    assertThat(sink.text()).isEqualTo("Half an");
    assertThat(api.requests).hasSize(1);
  }

  @Test
  void stallBeforeTheFirstTokenTimesOutAndIsRetried() throws Exception {
    api.script.add(api.stallAfterHeaders());
    RecordingSink sink = new RecordingSink();

    Generation generation;
    try (OpenAiChatGenerator impatient = impatient()) {
      generation = impatient.generate(PROMPT, sink, new TestCancellation());
    }

    assertThat(generation.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(sink.text()).isEqualTo("Hello world.");
    assertThat(api.requests).hasSize(2);
  }

  @Test
  void stallOnEveryTryFailsRetryablyAfterTheConfiguredAttempts() {
    api.script.add(api.stallBeforeHeaders());
    api.script.add(api.stallAfterHeaders());
    api.script.add(api.stallBeforeHeaders());
    RecordingSink sink = new RecordingSink();

    GenerationException e;
    try (OpenAiChatGenerator impatient = impatient()) {
      e = catchThrowableOfType(GenerationException.class,
          () -> impatient.generate(PROMPT, sink, new TestCancellation()));
    }

    assertThat(e.retryable()).isTrue();
    assertThat(e).hasMessageContaining("3 times").hasMessageContaining("first-token timeout");
    assertThat(sink.deltas).isEmpty();
    assertThat(api.requests).hasSize(3);
  }

  @Test
  void silenceMidAnswerTimesOutWithoutRetryKeepingTheEmittedText() {
    api.script.add(api.streamUntilClosed(1)); // one word, then only keep-alive comments
    RecordingSink sink = new RecordingSink();

    GenerationException e;
    try (OpenAiChatGenerator impatient = generator(
        settings(api).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(1)))) {
      e = catchThrowableOfType(GenerationException.class,
          () -> impatient.generate(PROMPT, sink, new TestCancellation()));
    }

    assertThat(e.retryable()).isFalse();
    assertThat(e).hasMessageContaining("sent nothing for 1000 ms mid-answer");
    assertThat(sink.deltas).containsExactly("word0 ");
    assertThat(api.requests).hasSize(1);
  }

  @Test
  void serverErrorThenSuccessIsRetried() throws Exception {
    api.script.add(FakeChatApi.status(500, FakeChatApi.errorBody("overloaded", "server_error")));
    api.script.add(FakeChatApi.status(429, FakeChatApi.errorBody("slow down", "rate_limit_error")));
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(PROMPT, sink, new TestCancellation());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.STOP);
    assertThat(sink.text()).isEqualTo("Hello world.");
    assertThat(api.requests).hasSize(3);
  }

  @Test
  void unauthorizedIsNotRetriedAndItsMessageNeverShowsTheKey() {
    api.script.add(FakeChatApi.status(401,
        FakeChatApi.errorBody("Incorrect API key provided: " + KEY + ".", "invalid_request_error")));

    GenerationException e = catchThrowableOfType(GenerationException.class,
        () -> generator.generate(PROMPT, new RecordingSink(), new TestCancellation()));

    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("HTTP 401", "Incorrect API key provided", "check the API key")
        .doesNotContain(KEY);
    assertThat(api.requests).hasSize(1);
  }

  @Test
  void connectionRefusedIsRetriedThenFailsRetryably() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    try (OpenAiChatGenerator nowhere = generator(
        OpenAiChatSettings.of("http://127.0.0.1:" + port, KEY, "m").withRetries(2, Duration.ofMillis(5), Duration.ofMillis(5)))) {

      GenerationException e = catchThrowableOfType(GenerationException.class,
          () -> nowhere.generate(PROMPT, new RecordingSink(), new TestCancellation()));

      assertThat(e.retryable()).isTrue();
      assertThat(e).hasMessageContaining("2 times").hasMessageContaining("ConnectException");
    }
  }

  @Test
  void cancellingMidStreamClosesTheUpstreamConnectionWithinOneSecond() throws Exception {
    api.script.add(api.streamUntilClosed());
    TestCancellation cancellation = new TestCancellation();
    List<String> deltas = new ArrayList<>();
    AtomicLong cancelledAt = new AtomicLong();
    GenerationSink cancelAfterThree = text -> {
      deltas.add(text);
      if (deltas.size() == 3) {
        cancelledAt.set(System.nanoTime());
        cancellation.cancel();
      }
    };

    Generation generation = generator.generate(PROMPT, cancelAfterThree, cancellation);

    assertThat(generation.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(deltas).containsExactly("word0 ", "word1 ", "word2 ");
    assertThat(generation.completionTokens()).isEqualTo(Answers.estimateTokens(18));
    assertThat(api.closed.await(5, TimeUnit.SECONDS)).as("the server saw the connection close").isTrue();
    assertThat(Duration.ofNanos(api.closedAtNanos.get() - cancelledAt.get())).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void cancellingWhileTheReaderWaitsForTheNextEventClosesTheConnectionWithinOneSecond() throws Exception {
    api.script.add(api.streamUntilClosed(2));
    TestCancellation cancellation = new TestCancellation();
    RecordingSink sink = new RecordingSink();
    AtomicLong cancelledAt = new AtomicLong();
    Thread.ofVirtual().start(() -> {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (sink.deltas.size() < 2 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      cancelledAt.set(System.nanoTime());
      cancellation.cancel();
    });

    Generation generation = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> generator.generate(PROMPT, sink, cancellation));

    assertThat(generation.finishReason()).isEqualTo(FinishReason.CANCELLED);
    assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt.get())).isLessThan(Duration.ofSeconds(1));
    assertThat(sink.deltas).containsExactly("word0 ", "word1 ");
    assertThat(api.closed.await(5, TimeUnit.SECONDS)).as("the server saw the connection close").isTrue();
    assertThat(Duration.ofNanos(api.closedAtNanos.get() - cancelledAt.get())).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void cancellingWhileWaitingForTheServerReturnsAtOnce() throws Exception {
    try (OpenAiChatGenerator patient = generator(settings(api)
        .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofSeconds(30)))) {
      api.script.add(api.stallBeforeHeaders());
      TestCancellation cancellation = new TestCancellation();
      Thread.ofVirtual().start(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (api.requests.isEmpty() && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        cancellation.cancel();
      });
      long start = System.nanoTime();

      Generation generation = patient.generate(PROMPT, new RecordingSink(), cancellation);

      assertThat(generation.finishReason()).isEqualTo(FinishReason.CANCELLED);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(api.requests).hasSize(1);
    }
  }

  @Test
  void noSourcesAnswersNoSourcesWithoutAskingTheModel() throws Exception {
    RecordingSink sink = new RecordingSink();

    Generation generation = generator.generate(new Prompt("Anything?", List.of(), List.of()), sink,
        new TestCancellation());

    assertThat(generation.finishReason()).isEqualTo(FinishReason.NO_SOURCES);
    assertThat(sink.text()).isEqualTo(Answers.NOTHING_FOUND);
    assertThat(api.requests).isEmpty();
  }

  @Test
  void aBaseUrlEndingInV1IsNotGivenASecondOne() {
    assertThat(OpenAiChatSettings.of("http://localhost:11434/v1/", "", "llama3").endpoint())
        .hasToString("http://localhost:11434/v1/chat/completions");
    assertThat(OpenAiChatSettings.of("http://localhost:8000", "", "m").endpoint())
        .hasToString("http://localhost:8000/v1/chat/completions");
  }

  @Test
  void settingsRefuseBadValuesAndNeverPrintTheKey() {
    assertThatThrownBy(() -> OpenAiChatSettings.of("ftp://x", KEY, "m")).hasMessageContaining("baseUrl");
    assertThatThrownBy(() -> OpenAiChatSettings.of("http://x", KEY, " ")).hasMessageContaining("model");
    assertThatThrownBy(() -> OpenAiChatSettings.of("http://x", KEY, "m").withMaxTokens(0))
        .hasMessageContaining("maxTokens: 0 (expected: 1..1000000)");
    assertThatThrownBy(() -> OpenAiChatSettings.of("http://x", "sk bad", "m"))
        .hasMessageContaining("apiKey").hasMessageNotContaining("sk bad");
    assertThat(OpenAiChatSettings.of("http://x", KEY, "m").toString()).doesNotContain(KEY);
  }
}
