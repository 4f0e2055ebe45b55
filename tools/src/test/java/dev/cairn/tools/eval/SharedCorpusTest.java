package dev.cairn.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedCorpusTest {
  private static final SciFact SET = new SciFact(
      List.of(new SciFact.Doc("d1", "", ""), new SciFact.Doc("d2", "", ""), new SciFact.Doc("d3", "", "")),
      List.of(new SciFact.Query("q1", "a"), new SciFact.Query("q2", "b"), new SciFact.Query("q3", "c")),
      Map.of("q1", Map.of("d1", 1, "d3", 1), "q2", Map.of("d3", 1), "q3", Map.of("d2", 1)));

  @Test
  void aSharedLoadIsJudgedOnlyOnTheDocumentsItHolds() {
    SciFact judged = SET.restrictTo(Set.of("d1", "d2"));

    assertThat(judged.corpus()).extracting(SciFact.Doc::id).containsExactly("d1", "d2");
    // q2's only relevant document is not loaded: it cannot be judged, so it is not asked
    assertThat(judged.queries()).extracting(SciFact.Query::id).containsExactly("q1", "q3");
    assertThat(judged.qrels().get("q1")).containsOnlyKeys("d1");
  }

  @Test
  void theUserWhoLoadedTheCorpusIsRecordedForTheNextTool(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("session.properties");
    Files.writeString(file, "target=127.0.0.1:5\nadmin.token=adm\njdbc=jdbc:postgresql://localhost:6/cairn\n");

    EvalSession.read(file).saveUser("u-1", "tok-1");

    EvalSession again = EvalSession.read(file);
    assertThat(again.target()).isEqualTo("127.0.0.1:5");
    assertThat(again.adminToken()).isEqualTo("adm");
    assertThat(again.get("jdbc")).isEqualTo("jdbc:postgresql://localhost:6/cairn");
    assertThat(again.get("user.id")).isEqualTo("u-1");
    assertThat(again.get("user.token")).isEqualTo("tok-1");
  }

  @Test
  void aSessionWithoutItsServerIsRefusedByName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("session.properties");
    Files.writeString(file, "admin.token=adm\n");

    assertThatThrownBy(() -> EvalSession.read(file).target()).hasMessageContaining("no target");
  }
}
