package dev.cairn.server.search.ingest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.commonmark.ext.gfm.tables.TableCell;
import org.commonmark.ext.gfm.tables.TableRow;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.Code;
import org.commonmark.node.FencedCodeBlock;
import org.commonmark.node.HardLineBreak;
import org.commonmark.node.Heading;
import org.commonmark.node.HtmlBlock;
import org.commonmark.node.HtmlInline;
import org.commonmark.node.IndentedCodeBlock;
import org.commonmark.node.ListItem;
import org.commonmark.node.Node;
import org.commonmark.node.Paragraph;
import org.commonmark.node.SoftLineBreak;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.jsoup.Jsoup;
import org.jspecify.annotations.Nullable;

/**
 * text/markdown through the CommonMark AST (with GFM tables). The tree is walked with an explicit
 * loop rather than commonmark's recursive visitor, so thousands of nested block quotes cannot
 * overflow the stack.
 */
final class MarkdownReader {
  private static final Parser PARSER = Parser.builder().extensions(List.of(TablesExtension.create())).build();

  private MarkdownReader() {}

  static ExtractedDocument read(byte[] bytes, MediaType type, DocumentBuilder builder) throws ExtractionException {
    String source = PlainTextReader.decode(bytes, type.charset().orElse(StandardCharsets.UTF_8));
    Node root = PARSER.parse(TextNormalizer.clean(source));
    Node node = root.getFirstChild();
    while (node != null) {
      boolean descend = !emit(node, builder);
      node = descend && node.getFirstChild() != null ? node.getFirstChild() : next(node, root);
    }
    return builder.build(null, 0);
  }

  /** Emits a block for a node whose text is taken whole; false for a container to descend into. */
  private static boolean emit(Node node, DocumentBuilder builder) throws ExtractionException {
    switch (node) {
      case Heading heading -> builder.heading(heading.getLevel(), inlineText(heading));
      case Paragraph paragraph -> builder.text(
          paragraph.getParent() instanceof ListItem ? BlockKind.LIST_ITEM : BlockKind.PARAGRAPH, inlineText(paragraph));
      case FencedCodeBlock code -> builder.code(code.getLiteral());
      case IndentedCodeBlock code -> builder.code(code.getLiteral());
      case TableRow row -> builder.text(BlockKind.TABLE_ROW, cells(row));
      case HtmlBlock html -> builder.text(BlockKind.PARAGRAPH, Jsoup.parseBodyFragment(html.getLiteral()).text());
      default -> {
        return false;
      }
    }
    return true;
  }

  private static String cells(TableRow row) {
    StringBuilder text = new StringBuilder();
    for (Node cell = row.getFirstChild(); cell != null; cell = cell.getNext()) {
      if (cell instanceof TableCell) {
        if (!text.isEmpty()) {
          text.append(" | ");
        }
        text.append(inlineText(cell));
      }
    }
    return text.toString();
  }

  /** The plain text under a block: literals of text and code spans, breaks as spaces, no inline HTML. */
  private static String inlineText(Node block) {
    StringBuilder text = new StringBuilder();
    Node node = block.getFirstChild();
    while (node != null) {
      switch (node) {
        case Text t -> text.append(t.getLiteral());
        case Code c -> text.append(c.getLiteral());
        case SoftLineBreak b -> text.append(' ');
        case HardLineBreak b -> text.append(' ');
        default -> { }
      }
      boolean descend = !(node instanceof HtmlInline) && node.getFirstChild() != null;
      node = descend ? node.getFirstChild() : next(node, block);
    }
    return text.toString();
  }

  /** The node after this one's subtree in document order, or null past the end of root. */
  private static @Nullable Node next(Node node, Node root) {
    Node current = node;
    while (current != root) {
      if (current.getNext() != null) {
        return current.getNext();
      }
      current = current.getParent();
    }
    return null;
  }
}
