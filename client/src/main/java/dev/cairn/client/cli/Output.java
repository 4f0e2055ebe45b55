package dev.cairn.client.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Prints results as text for people or as proto3 JSON for programs ({@code --output json}). */
public final class Output {

  // lowerCamelCase field names, as the JSON the Envoy gateway transcodes to
  private static final JsonFormat.Printer JSON = JsonFormat.printer();

  private final PrintWriter out;
  private final ClientOptions.Format format;

  Output(PrintWriter out, ClientOptions.Format format) {
    this.out = out;
    this.format = format;
  }

  public PrintWriter out() {
    return out;
  }

  public boolean json() {
    return format == ClientOptions.Format.json;
  }

  /** The message as JSON, or whatever {@code text} prints. */
  public void print(MessageOrBuilder message, Consumer<PrintWriter> text) {
    if (json()) {
      try {
        out.println(JSON.print(message));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("cannot print " + message.getClass().getSimpleName() + " as JSON", e);
      }
    } else {
      text.accept(out);
    }
  }

  /** Aligned {@code label  value} lines. */
  public void fields(String... labelsAndValues) {
    int width = 0;
    for (int i = 0; i < labelsAndValues.length; i += 2) {
      width = Math.max(width, labelsAndValues[i].length());
    }
    for (int i = 0; i < labelsAndValues.length; i += 2) {
      out.printf("%-" + width + "s  %s%n", labelsAndValues[i], labelsAndValues[i + 1]);
    }
  }

  /** A table with a header row; columns are padded to their widest cell. */
  public void table(List<String> header, List<List<String>> rows) {
    List<List<String>> all = new ArrayList<>();
    all.add(header);
    all.addAll(rows);
    int[] widths = new int[header.size()];
    for (List<String> row : all) {
      for (int i = 0; i < row.size(); i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : all) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.size(); i++) {
        line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + widths[i] + "s  ", row.get(i)));
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** {@code 2026-01-02T03:04:05Z}, or {@code -} when unset. */
  public static String time(boolean present, Timestamp timestamp) {
    return present ? Instant.ofEpochSecond(timestamp.getSeconds()).toString() : "-";
  }

  static Instant instant(Timestamp timestamp) {
    return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
  }

  /** {@code -} for an empty string. */
  public static String orDash(String value) {
    return value.isEmpty() ? "-" : value;
  }
}
