package dev.cairn.server.search.embed;

import static dev.cairn.server.search.embed.OnnxEmbedderTest.dot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.cairn.server.core.CairnException;
import dev.cairn.server.search.embed.FakeEmbeddingsApi.Scripted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OpenAiEmbedderTest {
  private static final int DIMS = 8;

  private FakeEmbeddingsApi api;
  private final List<Duration> waits = new ArrayList<>();
  private OpenAiEmbedder embedder;

  @BeforeEach
  void start() throws Exception {
    api = new FakeEmbeddingsApi(DIMS);
    embedder = embedder(settings().withBatchSize(3));
  }

  @AfterEach
  void stop() {
    embedder.close();
    api.close();
  }

  private OpenAiEmbedderSettings settings() {
    return OpenAiEmbedderSettings.defaults(api.baseUrl(), "sk-test-key", "text-embedding-3-small", DIMS, 8191)
        .withRetries(3, Duration.ofMillis(200), Duration.ofSeconds(2));
  }

  private OpenAiEmbedder embedder(OpenAiEmbedderSettings settings) {
    return new OpenAiEmbedder(settings, String::length, waits::add, new SplittableRandom(7));
  }

  @Test
  void postsTheOpenAiRequestWithTheBearerKey() {
    embedder.embedPassages(List.of("first", "second"));

    assertThat(api.requests).singleElement().satisfies(r -> {
      assertThat(r.method()).isEqualTo("POST");
      assertThat(r.path()).isEqualTo("/v1/embeddings");
      assertThat(r.authorization()).isEqualTo("Bearer sk-test-key");
      assertThat(r.contentType()).isEqualTo("application/json");
      assertThat(r.body().toString())
          .isEqualTo("{\"model\":\"text-embedding-3-small\",\"input\":[\"first\",\"second\"]}");
    });
  }

  @Test
  void vectorsFollowTheInputOrderByIndexNotByListPosition() {
    List<String> texts = List.of("alpha", "bravo", "charlie", "delta", "echo");

    float[][] vectors = embedder.embedPassages(texts);

    assertThat(api.requests).hasSize(2); // batches of 3
    for (int i = 0; i < texts.size(); i++) {
      float[] expected = Vectors.normalise(FakeEmbeddingsApi.vectorOf(texts.get(i), DIMS), "test");
      assertThat(vectors[i]).as("input %d", i).containsExactly(expected, within(1e-6f));
      assertThat(dot(vectors[i], vectors[i])).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void aTooManyRequestsAnswerIsRetriedAfterTheServersRetryAfter() {
    api.script.add(new Scripted(429, FakeEmbeddingsApi.errorBody("Rate limit reached", "requests"), "1", 0));

    float[] vector = embedder.embedQuery("retry me");

    assertThat(vector).hasSize(DIMS);
    assertThat(api.requests).hasSize(2);
    assertThat(waits).containsExactly(Duration.ofSeconds(1));
  }

  @Test
  void serverErrorsAreRetriedWithGrowingBackoffThenReportedAsRetryable() {
    for (int i = 0; i < 3; i++) {
      api.script.add(Scripted.error(503, "The server is overloaded", "server_error"));
    }

    assertThatThrownBy(() -> embedder.embedQuery("down"))
        .isInstanceOfSatisfying(EmbeddingException.class, e -> assertThat(e.retryable()).isTrue())
        .hasMessage("embedding API failed 3 times, last: HTTP 503: The server is overloaded");
    assertThat(api.requests).hasSize(3);
    assertThat(waits).hasSize(2);
    assertThat(waits.get(0)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
    assertThat(waits.get(1)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
  }

  @Test
  void aRejectedRequestIsNotRetriedAndCarriesTheServersMessage() {
    api.script.add(Scripted.error(400, "This model's maximum context length is 8192 tokens", "invalid_request_error"));

    assertThatThrownBy(() -> embedder.embedQuery("too long"))
        .isInstanceOfSatisfying(EmbeddingException.class, e -> assertThat(e.retryable()).isFalse())
        .hasMessage("embedding API refused the request: HTTP 400: This model's maximum context length is 8192 tokens");
    assertThat(api.requests).hasSize(1);
    assertThat(waits).isEmpty();
  }

  @Test
  void aWrongKeyIsNotRetried() {
    api.script.add(Scripted.error(401, "Incorrect API key provided", "invalid_request_error"));

    assertThatThrownBy(() -> embedder.embedQuery("who am i"))
        .isInstanceOf(EmbeddingException.class)
        .hasMessageContaining("HTTP 401: Incorrect API key provided");
    assertThat(api.requests).hasSize(1);
  }

  @Test
  void aVectorOfTheWrongDimensionIsRefused() throws Exception {
    try (OpenAiEmbedder expectsMore = embedder(
        OpenAiEmbedderSettings.defaults(api.baseUrl(), "", "m", DIMS * 2, 512))) {
      assertThatThrownBy(() -> expectsMore.embedQuery("short vector"))
          .isInstanceOfSatisfying(EmbeddingException.class, e -> assertThat(e.retryable()).isFalse())
          .hasMessage("embedding API returned an embedding of 8 dimensions (expected: 16)");
    }
    assertThat(api.requests.getLast().authorization()).isNull(); // no key, no header
  }

  @Test
  void malformedOrIncompleteResponsesAreRefused() {
    api.script.add(Scripted.raw(200, "{\"object\":\"list\",\"data\":[]}"));
    api.script.add(Scripted.raw(200, "<html>gateway</html>"));
    api.script.add(Scripted.raw(200,
        "{\"data\":[{\"index\":0,\"embedding\":[1,2,3,4,5,6,7,8]},{\"index\":0,\"embedding\":[1,2,3,4,5,6,7,8]}]}"));
    api.script.add(Scripted.raw(200,
        "{\"data\":[{\"index\":0,\"embedding\":[0,0,0,0,0,0,0,0]}]}"));

    assertThatThrownBy(() -> embedder.embedQuery("a")).hasMessage("embedding API returned 0 embeddings for 1 inputs");
    assertThatThrownBy(() -> embedder.embedQuery("b")).hasMessage("embedding API returned a malformed response");
    assertThatThrownBy(() -> embedder.embedPassages(List.of("c", "d")))
        .hasMessage("embedding API returned index 0 is out of range or repeated");
    assertThatThrownBy(() -> embedder.embedQuery("e")).hasMessage("embedding API returned a zero vector");
  }

  @Test
  void aStalledServerTimesOutAndIsRetried() throws Exception {
    api.script.add(Scripted.stall(1_500));
    try (OpenAiEmbedder impatient = embedder(
        settings().withTimeouts(Duration.ofSeconds(1), Duration.ofMillis(300)))) {
      float[] vector = impatient.embedQuery("slow");

      assertThat(vector).hasSize(DIMS);
      assertThat(api.requests).hasSize(2);
    }
  }

  @Test
  void blankInputIsRefusedBeforeAnyRequest() {
    assertThatThrownBy(() -> embedder.embedPassages(List.of("ok", "")))
        .isInstanceOf(CairnException.class)
        .hasMessage("passages[1]: blank (expected: text with a visible character)");
    assertThat(api.requests).isEmpty();
    assertThat(embedder.embedPassages(List.of())).isEmpty();
    assertThat(api.requests).isEmpty();
  }

  @Test
  void settingsRefuseNonsenseAndNeverPrintTheKey() {
    assertThatThrownBy(() -> settings().withBatchSize(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batchSize: 0 (expected: 1..2048)");
    assertThatThrownBy(() -> OpenAiEmbedderSettings.defaults(java.net.URI.create("ftp://x"), "", "m", 8, 512))
        .hasMessage("baseUrl: ftp://x (expected: http(s)://host[:port][/path], no query)");
    assertThat(settings().toString()).doesNotContain("sk-test-key").contains("apiKey=***");
  }
}
