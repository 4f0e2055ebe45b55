package dev.cairn.server.search.ingest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.parser.Parser;
import org.jspecify.annotations.Nullable;

/**
 * text/html through jsoup: scripts, styles, navigation and the head dropped; headings, paragraphs,
 * list items, table rows and {@code pre} kept as blocks; text outside them gathered into
 * paragraphs. jsoup bounds the element depth while parsing, and the walk below is a loop, so
 * hostile nesting costs neither stack nor quadratic time.
 */
final class HtmlReader {
  /** As deep as browsers go in practice; deeper elements are attached at this depth. */
  private static final int MAX_DEPTH = 512;
  private static final String DROPPED = "script, style, nav, noscript, template, iframe, object, svg, math";
  private static final Set<String> CONTAINERS = Set.of(
      "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "figure",
      "figcaption", "caption", "dl", "dt", "dd", "address", "details", "summary", "form", "fieldset",
      "ul", "ol", "table", "thead", "tbody", "tfoot", "body", "center", "hr");

  private HtmlReader() {}

  static ExtractedDocument read(byte[] bytes, MediaType type, DocumentBuilder builder) throws ExtractionException {
    Document document = parse(bytes, type);
    String title = document.title();
    document.select(DROPPED).remove();
    new Walk(builder).run(document.body());
    return builder.build(title, 0);
  }

  private static Document parse(byte[] bytes, MediaType type) throws ExtractionException {
    // without a charset parameter jsoup reads the BOM or <meta charset>, falling back to UTF-8
    String charset = type.charset().map(c -> c.name()).orElse(null);
    try {
      return Jsoup.parse(new ByteArrayInputStream(bytes), charset, "", Parser.htmlParser().setMaxDepth(MAX_DEPTH));
    } catch (IOException | UncheckedIOException e) {
      throw new ExtractionException(ExtractionException.Reason.MALFORMED, "html: could not be decoded", e);
    }
  }

  /** One pass over the body: each block element flushes the text gathered so far as its own kind. */
  private static final class Walk {
    private record Open(BlockKind kind, int level) {}

    private final DocumentBuilder builder;
    private final Deque<Open> open = new ArrayDeque<>();
    private final StringBuilder pending = new StringBuilder();

    Walk(DocumentBuilder builder) {
      this.builder = builder;
    }

    void run(Element body) throws ExtractionException {
      open.push(new Open(BlockKind.PARAGRAPH, 0));
      Node node = body;
      while (node != null) {
        boolean descend = enter(node);
        if (descend && node.childNodeSize() > 0) {
          node = node.childNode(0);
          continue;
        }
        node = leaveUpTo(node, body);
      }
      flush();
    }

    /** Leaves the node and every ancestor without a next sibling; returns where to go next. */
    private @Nullable Node leaveUpTo(Node node, Node root) throws ExtractionException {
      Node current = node;
      while (true) {
        leave(current);
        if (current == root) {
          return null;
        }
        if (current.nextSibling() != null) {
          return current.nextSibling();
        }
        current = current.parent();
      }
    }

    private boolean enter(Node node) throws ExtractionException {
      if (node instanceof TextNode text) {
        pending.append(text.getWholeText());
        return false;
      }
      if (!(node instanceof Element element)) {
        return false;
      }
      String tag = element.normalName();
      switch (tag) {
        case "pre" -> {
          flush();
          builder.code(element.wholeText());
          return false;
        }
        case "br" -> pending.append('\n');
        case "td", "th" -> {
          if (!pending.isEmpty()) {
            pending.append(" | ");
          }
        }
        default -> {
          Open kind = kindOf(tag);
          if (kind != null) {
            flush();
            open.push(kind);
          }
        }
      }
      return true;
    }

    private void leave(Node node) throws ExtractionException {
      if (node instanceof Element element && !element.normalName().equals("pre") && kindOf(element.normalName()) != null) {
        flush();
        open.pop();
      }
    }

    private static @Nullable Open kindOf(String tag) {
      if (tag.length() == 2 && tag.charAt(0) == 'h' && tag.charAt(1) >= '1' && tag.charAt(1) <= '6') {
        return new Open(BlockKind.HEADING, tag.charAt(1) - '0');
      }
      return switch (tag) {
        case "li" -> new Open(BlockKind.LIST_ITEM, 0);
        case "tr" -> new Open(BlockKind.TABLE_ROW, 0);
        default -> CONTAINERS.contains(tag) ? new Open(BlockKind.PARAGRAPH, 0) : null;
      };
    }

    private void flush() throws ExtractionException {
      if (pending.isEmpty()) {
        return;
      }
      Open current = open.peek();
      if (current.kind() == BlockKind.HEADING) {
        builder.heading(current.level(), pending.toString());
      } else {
        builder.text(current.kind(), pending.toString());
      }
      pending.setLength(0);
    }
  }
}
