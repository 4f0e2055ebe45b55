package dev.cairn.server.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cairn.server.testing.TestDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.jooq.codegen.GenerationTool;
import org.jooq.meta.jaxb.Configuration;
import org.jooq.meta.jaxb.Generate;
import org.jooq.meta.jaxb.Generator;
import org.jooq.meta.jaxb.Jdbc;
import org.jooq.meta.jaxb.Target;
import org.junit.jupiter.api.Test;

/**
 * The jOOQ classes in {@code src/main/jooq} are generated from the schema the Flyway
 * migrations really build. This test regenerates them from a freshly migrated database and
 * fails when the committed ones differ. To refresh them after changing a migration:
 * {@code ./mvnw -pl server test -Pjooq-codegen} (compiles only what generation needs, so it
 * works while code using the new schema does not compile yet).
 */
class JooqSchemaTest {
  static final String PACKAGE = "dev.cairn.server.db.jooq";
  static final Path COMMITTED = Path.of("src/main/jooq");

  @Test
  void generatedClassesMatchTheMigratedSchema() throws Exception {
    boolean regenerate = Boolean.getBoolean("cairn.jooq.regenerate");
    Path target = regenerate ? COMMITTED : Files.createTempDirectory("jooq");
    generate(TestDatabase.get().url(), target);
    if (!regenerate) {
      assertThat(contents(target))
          .as("src/main/jooq is stale: regenerate it (see JooqSchemaTest's comment)")
          .isEqualTo(contents(COMMITTED));
    }
  }

  static void generate(String url, Path directory) throws Exception {
    var config =
        new Configuration()
            .withJdbc(
                new Jdbc()
                    .withDriver("org.postgresql.Driver")
                    .withUrl(url)
                    .withUser("postgres")
                    .withPassword(""))
            .withGenerator(
                new Generator()
                    .withDatabase(
                        new org.jooq.meta.jaxb.Database()
                            .withName("org.jooq.meta.postgres.PostgresDatabase")
                            .withInputSchema("cairn")
                            .withExcludes("flyway_schema_history"))
                    .withGenerate(
                        new Generate()
                            .withGeneratedAnnotation(false)
                            .withJavadoc(true)
                            .withComments(true)
                            .withFluentSetters(true)
                            .withJavaTimeTypes(true))
                    .withTarget(
                        new Target()
                            .withPackageName(PACKAGE)
                            .withDirectory(directory.toAbsolutePath().toString())
                            .withClean(true)));
    GenerationTool.generate(config);
  }

  private static Map<String, String> contents(Path root) throws IOException {
    var files = new TreeMap<String, String>();
    if (!Files.exists(root)) {
      return files;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        files.put(root.relativize(p).toString(), Files.readString(p));
      }
    }
    return files;
  }
}
