package dev.cairn.tools.eval;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A Cairn that several evaluation runs share, so the SciFact corpus is loaded and embedded once
 * (loading is most of a run's time). A properties file: {@code target} and {@code admin.token}
 * (the server), optionally {@code jdbc} (the database, for the ts_rank baseline), and once a run
 * has loaded the corpus, {@code user.id} and {@code user.token} (the user who owns it). A session
 * naming only a {@code user.id} attaches to that user with a token the admin makes for it.
 */
record EvalSession(Path file, Properties values) {
  static EvalSession read(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    return new EvalSession(file, p);
  }

  String target() {
    return require("target");
  }

  String adminToken() {
    return require("admin.token");
  }

  /** The value, or null when the session does not have it. */
  String get(String key) {
    String v = values.getProperty(key);
    return v == null || v.isBlank() ? null : v.strip();
  }

  /** Records the user who owns the loaded corpus (the file is rewritten whole; its token stays on this machine). */
  void saveUser(String userId, String userToken) throws IOException {
    values.setProperty("user.id", userId);
    values.setProperty("user.token", userToken);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      values.store(out, "Cairn SciFact evaluation session");
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private String require(String key) {
    String v = get(key);
    if (v == null) {
      throw new IllegalArgumentException(file + ": no " + key);
    }
    return v;
  }
}
