package dev.cairn.server.chat.generate;

import java.util.List;
import java.util.Objects;

/**
 * What a generator answers: the user's question, the earlier turns of the branch it belongs to
 * (oldest first), and the passages retrieval found, numbered from 1 in the order the answer's
 * {@code [n]} markers refer to them.
 */
public record Prompt(String question, List<Turn> history, List<Source> sources) {

  public Prompt {
    Objects.requireNonNull(question, "question");
    history = List.copyOf(history);
    sources = List.copyOf(sources);
  }

  /** An earlier message of the conversation. */
  public record Turn(Role role, String text) {
    public Turn {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(text, "text");
    }
  }

  public enum Role {
    USER,
    ASSISTANT
  }

  /**
   * A retrieved passage. {@code marker} is the number the answer cites it by ({@code [marker]});
   * {@code title} is the item's display name; {@code page} is the 1-based page for sources that
   * have pages, 0 otherwise.
   */
  public record Source(int marker, String title, String text, int page) {
    public Source {
      if (marker < 1) {
        throw new IllegalArgumentException("marker must be >= 1: " + marker);
      }
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(text, "text");
    }
  }
}
