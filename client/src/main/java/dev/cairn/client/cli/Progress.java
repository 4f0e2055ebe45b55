package dev.cairn.client.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line transfer progress bar on stderr: bytes done of total, percent, and rate, redrawn
 * in place ({@code \r}) at most every 100 ms. {@link #NONE} draws nothing: for small files,
 * for {@code --quiet}, and when stderr is not a terminal (a log file full of carriage returns
 * helps nobody). A counting bar ({@link #counting}) shows things (files, items) instead of bytes.
 */
class Progress implements AutoCloseable {
  /** Files up to this size get no bar: they are done before it could be read. */
  static final long THRESHOLD = 1024 * 1024;
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int BAR_WIDTH = 24;

  static final Progress NONE = new Progress() {
    @Override
    void advance(long bytes) {}

    @Override
    void set(long done) {}

    @Override
    public void close() {}
  };

  private final PrintWriter err;
  private final String label;
  private final long total;
  private final LongSupplier nanoTime;
  private final long start;
  private final boolean counting;
  private long done;
  private long lastDraw = Long.MIN_VALUE;

  private Progress() {
    this(new PrintWriter(PrintWriter.nullWriter()), "", 0, () -> 0L);
  }

  Progress(PrintWriter err, String label, long total, LongSupplier nanoTime) {
    this(err, label, total, nanoTime, false);
  }

  Progress(PrintWriter err, String label, long total, LongSupplier nanoTime, boolean counting) {
    this.counting = counting;
    this.err = err;
    this.label = label;
    this.total = total;
    this.nanoTime = nanoTime;
    this.start = nanoTime.getAsLong();
  }

  /** A bar when it is wanted (a terminal, not quiet, more than {@link #THRESHOLD} bytes), else {@link #NONE}. */
  static Progress of(boolean terminal, boolean quiet, PrintWriter err, String label, long total) {
    if (!terminal || quiet || total <= THRESHOLD) {
      return NONE;
    }
    return new Progress(err, label, total, System::nanoTime);
  }

  /** A counting bar on a terminal unless quiet (no size threshold: the count is what is slow), else {@link #NONE}. */
  static Progress counting(boolean terminal, boolean quiet, PrintWriter err, String label, long total) {
    if (!terminal || quiet) {
      return NONE;
    }
    return new Progress(err, label, total, System::nanoTime, true);
  }

  void advance(long bytes) {
    set(done + bytes);
  }

  /** Moves the bar to {@code done} (e.g. items indexed so far, as a status poll reports them). */
  void set(long done) {
    this.done = done;
    long now = nanoTime.getAsLong();
    if (lastDraw == Long.MIN_VALUE || now - lastDraw >= REDRAW_NANOS) {
      lastDraw = now;
      draw(now);
    }
  }

  /** Draws the final state and ends the line. */
  @Override
  public void close() {
    draw(nanoTime.getAsLong());
    err.println();
    err.flush();
  }

  private void draw(long now) {
    err.print("\r" + line(now));
    err.flush();
  }

  String line(long now) {
    int percent = total <= 0 ? 100 : (int) Math.min(100, done * 100 / total);
    int filled = percent * BAR_WIDTH / 100;
    double seconds = Math.max(1e-3, (now - start) / 1e9);
    if (counting) {
      return String.format(Locale.ROOT, "%s [%s%s] %d / %d %3d%% %.1f/s",
          label, "#".repeat(filled), " ".repeat(BAR_WIDTH - filled), done, total, percent, done / seconds);
    }
    return String.format(Locale.ROOT, "%s [%s%s] %s / %s %3d%% %s/s",
        label, "#".repeat(filled), " ".repeat(BAR_WIDTH - filled), bytes(done), bytes(total), percent,
        bytes((long) (done / seconds)));
  }

  /** {@code 512 B}, {@code 1.5 KiB}, {@code 12.0 MiB}, {@code 3.2 GiB}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = n;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
