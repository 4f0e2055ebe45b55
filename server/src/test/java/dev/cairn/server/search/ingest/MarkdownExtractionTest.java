package dev.cairn.server.search.ingest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownExtractionTest {
  private static final String GUIDE = """
      # Guide

      Intro with *emphasis*, `code` and a [link](https://example.org) <span>inline html</span>.

      ## Install

      - first step
      - second step
        - nested detail
      1. numbered

      ```java
      class A {
          int x;
      }
      ```

      ### Options

      | Name | Default |
      |------|---------|
      | size | 10      |

      ## Use

      Line one
      line two.
      """;

  private final Extractor extractor = new Extractor(ExtractionSettings.defaults());

  @Test
  void blocksComeInOrderWithTheirKinds() throws Exception {
    assertThat(extract(GUIDE)).extracting(Block::kind, Block::text).containsExactly(
        tuple(BlockKind.HEADING, "Guide"),
        tuple(BlockKind.PARAGRAPH, "Intro with emphasis, code and a link inline html."),
        tuple(BlockKind.HEADING, "Install"),
        tuple(BlockKind.LIST_ITEM, "first step"),
        tuple(BlockKind.LIST_ITEM, "second step"),
        tuple(BlockKind.LIST_ITEM, "nested detail"),
        tuple(BlockKind.LIST_ITEM, "numbered"),
        tuple(BlockKind.CODE, "class A {\n    int x;\n}"),
        tuple(BlockKind.HEADING, "Options"),
        tuple(BlockKind.TABLE_ROW, "Name | Default"),
        tuple(BlockKind.TABLE_ROW, "size | 10"),
        tuple(BlockKind.HEADING, "Use"),
        tuple(BlockKind.PARAGRAPH, "Line one line two."));
  }

  @Test
  void eachBlockKnowsTheSectionsAroundIt() throws Exception {
    List<Block> blocks = extract(GUIDE);

    assertThat(blocks).extracting(Block::text, Block::headingPath).contains(
        tuple("Guide", List.of()),
        tuple("Install", List.of("Guide")),
        tuple("nested detail", List.of("Guide", "Install")),
        tuple("size | 10", List.of("Guide", "Install", "Options")),
        tuple("Line one line two.", List.of("Guide", "Use")));
    assertThat(blocks).filteredOn(b -> b.kind() == BlockKind.HEADING).extracting(Block::level)
        .containsExactly(1, 2, 3, 2);
  }

  @Test
  void aHundredThousandNestedQuotesEndInTimeKeepingTheirText() throws Exception {
    String hostile = ">".repeat(100_000) + " deep";
    long started = System.nanoTime();

    List<Block> blocks = extract(hostile);

    // commonmark stops opening quotes at some depth and keeps the remaining markers as text
    assertThat(blocks).singleElement().satisfies(b -> assertThat(b.text()).endsWith(" deep"));
    assertThat((System.nanoTime() - started) / 1_000_000).as("milliseconds").isLessThan(10_000);
  }

  private List<Block> extract(String markdown) throws ExtractionException {
    return extractor.extract("text/markdown; charset=utf-8", markdown.getBytes(UTF_8)).blocks();
  }
}
