package dev.cairn.server.search.ingest;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts an {@link ExtractedDocument} into {@link Chunk}s. A chunk stays inside one section (a
 * heading starts a new one) and one page; within a section chunks are packed greedily with units
 * (sentences, see {@link Units}) up to {@code maxTokens}, ending at a block's end when that still
 * leaves the chunk at least half full, and each chunk after the first repeats whole sentences of
 * up to {@code overlapTokens} from the one before. Every chunk's token count is checked with the
 * counter on its exact text. Thread-safe if the counter is.
 */
public final class Chunker {
  /**
   * A tokenizer may read a long unbroken string as one unknown token, so tokens alone do not bound
   * a chunk's length; no real 256-token passage comes near 16 characters a token.
   */
  private static final int CHARS_PER_TOKEN_BOUND = 16;

  private final ChunkingSettings settings;
  private final TokenCounter counter;

  public Chunker(ChunkingSettings settings, TokenCounter counter) {
    this.settings = requireNonNull(settings, "settings");
    this.counter = requireNonNull(counter, "counter");
  }

  /**
   * The document's chunks in order; none for a document without blocks.
   *
   * @throws ExtractionException {@code TOO_LARGE} past {@code maxChunksPerItem}
   */
  public List<Chunk> chunk(ExtractedDocument document) throws ExtractionException {
    String text = document.text();
    int maxChars = settings.maxTokens() * CHARS_PER_TOKEN_BOUND;
    Units units = new Units(text, counter, settings.maxTokens(), maxChars);
    Emitter emitter = new Emitter(text);
    for (Section section : Section.of(document)) {
      List<Unit> sectionUnits = new ArrayList<>();
      for (int b = 0; b < section.blocks().size(); b++) {
        units.addBlock(section.blocks().get(b), section.offsets().get(b), sectionUnits);
      }
      new Packing(sectionUnits, section, emitter, maxChars).run();
    }
    return emitter.chunks;
  }

  /** Packs one section's units into chunks. */
  private final class Packing {
    private final List<Unit> units;
    private final Section section;
    private final Emitter emitter;
    private final int maxChars;

    Packing(List<Unit> units, Section section, Emitter emitter, int maxChars) {
      this.units = units;
      this.section = section;
      this.emitter = emitter;
      this.maxChars = maxChars;
    }

    void run() throws ExtractionException {
      int next = 0;
      int previousFrom = -1;
      while (next < units.size()) {
        int from = previousFrom < 0 ? next : overlapStart(previousFrom, next);
        int end = fill(from, next);
        if (end == next) {
          from = next; // the overlap and the next unit do not fit together: drop the overlap
          end = fill(from, next);
        }
        end = preferBlockEnd(from, next, end);
        int[] fitted = fitByCount(from, next, end);
        emitter.emit(units, fitted[0], fitted[1], fitted[2], section);
        previousFrom = fitted[0];
        next = fitted[1];
      }
    }

    /** Where the overlap begins: trailing whole sentences of the last chunk within overlapTokens. */
    private int overlapStart(int previousFrom, int next) {
      int tokens = 0;
      int start = next;
      for (int i = next - 1; i > previousFrom && units.get(i).heading() == null; i--) {
        tokens += units.get(i).tokens();
        if (tokens > settings.overlapTokens()) {
          break;
        }
        if (units.get(i).sentenceStart()) {
          start = i;
        }
      }
      return start;
    }

    /** One past the last unit that fits after [from, next) by the units' own counts. */
    private int fill(int from, int next) {
      int tokens = 0;
      for (int i = from; i < next; i++) {
        tokens += units.get(i).tokens();
      }
      int end = next;
      while (end < units.size()
          && tokens + units.get(end).tokens() <= settings.maxTokens()
          && units.get(end).end() - units.get(from).start() <= maxChars) {
        tokens += units.get(end).tokens();
        end++;
      }
      return end == next && from == next ? next + 1 : end; // a unit alone always fits (Units made it so)
    }

    /** Ends the chunk at a block's end instead of mid-block, if the chunk stays at least half full. */
    private int preferBlockEnd(int from, int next, int end) {
      if (end == units.size() || units.get(end - 1).blockEnd()) {
        return end;
      }
      int tokens = 0;
      int best = end;
      for (int i = from; i < end - 1; i++) {
        tokens += units.get(i).tokens();
        if (i >= next && units.get(i).blockEnd() && units.get(i).heading() == null
            && tokens >= settings.maxTokens() / 2) {
          best = i + 1;
        }
      }
      return best;
    }

    /**
     * Checks [from, end) with the counter on its exact text and gives back units (overlap first)
     * until it fits: sums of sentence counts are close to, not always equal to, the whole.
     */
    private int[] fitByCount(int from, int next, int end) {
      int start = from;
      int stop = end;
      while (true) {
        int tokens = counter.count(emitter.slice(units, start, stop));
        if (tokens <= settings.maxTokens() || stop - start == 1) {
          return new int[] {start, stop, tokens};
        }
        if (start < next) {
          start++;
        } else {
          stop--;
        }
      }
    }
  }

  /** Turns unit ranges into numbered chunks with code point offsets. */
  private final class Emitter {
    private final String text;
    private final CodePointCursor cursor;
    private final List<Chunk> chunks = new ArrayList<>();

    Emitter(String text) {
      this.text = text;
      this.cursor = new CodePointCursor(text);
    }

    String slice(List<Unit> units, int from, int end) {
      return text.substring(units.get(from).start(), units.get(end - 1).end());
    }

    void emit(List<Unit> units, int from, int end, int tokens, Section section) throws ExtractionException {
      if (chunks.size() == settings.maxChunksPerItem()) {
        throw new ExtractionException(ExtractionException.Reason.TOO_LARGE,
            "chunks: more than " + settings.maxChunksPerItem() + " (the configured limit)");
      }
      int startChar = units.get(from).start();
      int endChar = units.get(end - 1).end();
      int start = cursor.codePointAt(startChar);
      int endCodePoint = start + text.codePointCount(startChar, endChar);
      chunks.add(new Chunk(chunks.size(), text.substring(startChar, endChar), section.page(), section.headingPath(),
          start, endCodePoint, tokens, section.leadingHeadings(units, from, end)));
    }
  }
}
