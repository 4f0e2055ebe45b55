package dev.cairn.server.search.ingest;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlExtractionTest {
  private static final String PAGE = """
      <!doctype html>
      <html><head><title>Caf&eacute; menu</title><style>p { color: red }</style>
      <script>var secret = "tracking";</script></head>
      <body>
      <nav><a href="/">Home</a> | <a href="/about">About</a></nav>
      <h1>Menu</h1>
      <p>Coffee &amp; cake, &lt;fresh&gt; daily &#x1F370;.</p>
      <h2>Drinks</h2>
      <ul>
        <li>Espresso
          <ul><li>single</li><li>double</li></ul>
        </li>
        <li>Tea</li>
      </ul>
      <table><tr><th>Item</th><th>Price</th></tr><tr><td>Latte</td><td>3.50</td></tr></table>
      <pre>  opening
          hours</pre>
      <div>Loose text <b>in a div</b><br>after a break</div>
      <script>document.write("more tracking")</script>
      </body></html>
      """;

  private final Extractor extractor = new Extractor(ExtractionSettings.defaults());

  @Test
  void scriptsStylesNavigationAndTheHeadAreDropped() throws Exception {
    String text = extractor.extract("text/html", PAGE.getBytes(UTF_8)).text();

    assertThat(text).doesNotContain("tracking", "color", "Home", "About", "menu");
  }

  @Test
  void blocksKeepTheirKindsEntitiesAreDecodedAndNestedListsAreSeparateItems() throws Exception {
    ExtractedDocument document = extractor.extract("text/html", PAGE.getBytes(UTF_8));

    assertThat(document.title()).isEqualTo("Café menu");
    assertThat(document.blocks()).extracting(Block::kind, Block::text, Block::headingPath).containsExactly(
        tuple(BlockKind.HEADING, "Menu", List.of()),
        tuple(BlockKind.PARAGRAPH, "Coffee & cake, <fresh> daily \uD83C\uDF70.", List.of("Menu")),
        tuple(BlockKind.HEADING, "Drinks", List.of("Menu")),
        tuple(BlockKind.LIST_ITEM, "Espresso", List.of("Menu", "Drinks")),
        tuple(BlockKind.LIST_ITEM, "single", List.of("Menu", "Drinks")),
        tuple(BlockKind.LIST_ITEM, "double", List.of("Menu", "Drinks")),
        tuple(BlockKind.LIST_ITEM, "Tea", List.of("Menu", "Drinks")),
        tuple(BlockKind.TABLE_ROW, "Item | Price", List.of("Menu", "Drinks")),
        tuple(BlockKind.TABLE_ROW, "Latte | 3.50", List.of("Menu", "Drinks")),
        tuple(BlockKind.CODE, "  opening\n    hours", List.of("Menu", "Drinks")),
        tuple(BlockKind.PARAGRAPH, "Loose text in a div after a break", List.of("Menu", "Drinks")));
  }

  @Test
  void theCharsetComesFromTheMetaTagWhenTheMediaTypeHasNone() throws Exception {
    byte[] latin1 = "<html><head><meta charset=\"iso-8859-1\"></head><body><p>déjà vu</p></body></html>"
        .getBytes(ISO_8859_1);

    assertThat(extractor.extract("text/html", latin1).text()).isEqualTo("déjà vu");
  }

  @Test
  void aHundredThousandNestedElementsEndInTimeWithTheirText() throws Exception {
    String hostile = "<div>".repeat(100_000) + "bottom" + "</div>".repeat(100_000) + "<p>after</p>";
    long started = System.nanoTime();

    ExtractedDocument document = extractor.extract("text/html", hostile.getBytes(UTF_8));

    assertThat(document.blocks()).extracting(Block::text).containsExactly("bottom", "after");
    assertThat((System.nanoTime() - started) / 1_000_000).as("milliseconds").isLessThan(10_000);
  }

  @Test
  void aPageWithOnlyScriptsHasNoText() {
    byte[] html = "<html><body><script>x()</script><nav>menu</nav></body></html>".getBytes(UTF_8);

    assertThatThrownBy(() -> extractor.extract("text/html", html))
        .isInstanceOfSatisfying(ExtractionException.class,
            e -> assertThat(e.reason()).isEqualTo(ExtractionException.Reason.NO_TEXT));
  }
}
