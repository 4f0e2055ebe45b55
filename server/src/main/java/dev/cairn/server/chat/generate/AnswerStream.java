package dev.cairn.server.chat.generate;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Reads one attempt's event stream into the sink and keeps what the generation emitted across
 * attempts (retries happen only while that is nothing). Decides what an interrupted stream
 * means: cancelled, a timeout, or a broken connection before or after the first text.
 */
final class AnswerStream {
  private final GenerationSink sink;
  final Call call;
  private final int estimatedPromptTokens;
  private final java.time.Duration idleTimeout;
  private final java.time.Duration firstTokenTimeout;
  private int emittedChars;

  AnswerStream(GenerationSink sink, Call call, int estimatedPromptTokens, OpenAiChatSettings settings) {
    this.sink = sink;
    this.call = call;
    this.estimatedPromptTokens = estimatedPromptTokens;
    this.idleTimeout = settings.idleTimeout();
    this.firstTokenTimeout = settings.firstTokenTimeout();
  }

  Generation cancelled() {
    return new Generation(FinishReason.CANCELLED, estimatedPromptTokens, Answers.estimateTokens(emittedChars));
  }

  Generation read(Upstream upstream, SseReader reader) throws OpenAiChatGenerator.Retry, GenerationException {
    String finish = null;
    ChatWire.Usage usage = null;
    boolean done = false;
    try {
      while (true) {
        upstream.reading();
        String data = reader.next();
        upstream.received();
        if (data == null) {
          break;
        }
        if (data.strip().equals("[DONE]")) {
          done = true;
          break;
        }
        ChatWire.Chunk chunk = parse(data);
        if (chunk.error() != null) {
          throw new GenerationException("model server reported an error "
              + (emittedChars > 0 ? "mid-answer" : "before answering") + ": " + chunk.error(), false, null);
        }
        if (!chunk.content().isEmpty()) {
          if (call.cancelled()) {
            return cancelled();
          }
          upstream.answering();
          sink.delta(chunk.content());
          emittedChars += chunk.content().length();
        }
        finish = chunk.finishReason() != null ? chunk.finishReason() : finish;
        usage = chunk.usage() != null ? chunk.usage() : usage;
      }
    } catch (IOException e) {
      return interrupted(upstream, e);
    }
    if (call.cancelled() || upstream.aborted() != Upstream.Abort.NONE) {
      return interrupted(upstream, null);
    }
    if (!done && finish == null) {
      if (emittedChars == 0) {
        throw new OpenAiChatGenerator.Retry("the stream ended before the answer began", null);
      }
      throw new GenerationException("model server ended the stream mid-answer", false, null);
    }
    FinishReason reason = "length".equals(finish) ? FinishReason.LENGTH : FinishReason.STOP;
    return usage != null
        ? new Generation(reason, usage.promptTokens(), usage.completionTokens())
        : new Generation(reason, estimatedPromptTokens, Answers.estimateTokens(emittedChars));
  }

  private ChatWire.Chunk parse(String data) throws GenerationException {
    try {
      return ChatWire.chunk(data);
    } catch (RuntimeException e) {
      throw new GenerationException("model server sent a malformed event", false, e);
    }
  }

  private Generation interrupted(Upstream upstream, @Nullable IOException cause)
      throws OpenAiChatGenerator.Retry, GenerationException {
    switch (upstream.aborted()) {
      case CANCELLED:
        return cancelled();
      case FIRST_TOKEN_TIMEOUT:
        throw OpenAiChatGenerator.Retry.firstTokenTimeout(firstTokenTimeout);
      case IDLE_TIMEOUT:
        throw new GenerationException("model server sent nothing for " + idleTimeout.toMillis()
            + " ms mid-answer", false, null);
      case NONE:
      default:
        if (call.cancelled()) {
          return cancelled();
        }
        String what = cause == null ? "the stream ended" : OpenAiChatGenerator.describe(cause);
        if (emittedChars == 0) {
          throw new OpenAiChatGenerator.Retry(what, null);
        }
        throw new GenerationException("connection to the model server broke mid-answer: " + what, false, cause);
    }
  }
}
