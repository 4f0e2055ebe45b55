package dev.cairn.server.chat.generate;

import dev.cairn.server.search.vector.SciFact;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * How often the extractive answer's first citation is a relevant document (precision@1 of
 * citations) on SciFact's judged train queries, next to how often retrieval's own first source
 * is: both over the same top-k sources from an in-memory Lucene BM25 stand-in for Cairn's search.
 * Arguments: {@code <dataset dir> [k]}. Run through tools/eval/lib.sh's cairn_run_test_main.
 */
public final class ExtractiveCitationEval {
  /** A citation marker: the extractive answer writes a source's own bracketed numbers as (n). */
  private static final Pattern MARKER = Pattern.compile("\\[(\\d+)\\]");

  private ExtractiveCitationEval() {}

  public static void main(String[] args) throws Exception {
    SciFact data = SciFact.load(Path.of(args[0]));
    int k = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    List<String> ids = new ArrayList<>(data.corpus().keySet());
    ExtractiveGenerator generator = new ExtractiveGenerator();
    try (ByteBuffersDirectory dir = new ByteBuffersDirectory();
        EnglishAnalyzer analyzer = new EnglishAnalyzer()) {
      try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig(analyzer))) {
        for (String id : ids) {
          Document doc = new Document();
          doc.add(new StoredField("id", id));
          doc.add(new TextField("text", data.corpus().get(id), Field.Store.NO));
          writer.addDocument(doc);
        }
      }
      try (DirectoryReader reader = DirectoryReader.open(dir)) {
        IndexSearcher searcher = new IndexSearcher(reader);
        int retrievalHits = 0;
        int citationHits = 0;
        int noSources = 0;
        for (Map.Entry<String, String> query : data.queries().entrySet()) {
          Map<String, Integer> relevant = data.qrels().get(query.getKey());
          List<String> top = new ArrayList<>();
          for (ScoreDoc hit : searcher.search(bm25Query(analyzer, query.getValue()), k).scoreDocs) {
            top.add(searcher.storedFields().document(hit.doc).get("id"));
          }
          if (!top.isEmpty() && relevant.containsKey(top.getFirst())) {
            retrievalHits++;
          }
          List<Prompt.Source> sources = new ArrayList<>();
          for (int i = 0; i < top.size(); i++) {
            sources.add(new Prompt.Source(i + 1, top.get(i), data.corpus().get(top.get(i)), 0));
          }
          StringBuilder answer = new StringBuilder();
          Generation generation = generator.generate(
              new Prompt(query.getValue(), List.of(), sources), answer::append, new NeverCancelled());
          if (generation.finishReason() == FinishReason.NO_SOURCES) {
            noSources++;
            continue;
          }
          Matcher m = MARKER.matcher(answer);
          if (m.find() && relevant.containsKey(top.get(Integer.parseInt(m.group(1)) - 1))) {
            citationHits++;
          }
        }
        int n = data.queries().size();
        System.out.printf("SciFact train, %d judged queries, top %d BM25 sources each%n", n, k);
        System.out.printf("precision@1 of retrieval's first source: %.3f%n", (double) retrievalHits / n);
        System.out.printf("precision@1 of the extractive answer's first citation: %.3f (NO_SOURCES %d)%n",
            (double) citationHits / n, noSources);
      }
    }
  }

  /** The query's analysed terms OR-ed: plain BM25, as BEIR's baseline runs it. */
  private static BooleanQuery bm25Query(EnglishAnalyzer analyzer, String text) throws java.io.IOException {
    BooleanQuery.Builder query = new BooleanQuery.Builder();
    try (TokenStream stream = analyzer.tokenStream("text", text)) {
      CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
      stream.reset();
      while (stream.incrementToken()) {
        query.add(new TermQuery(new Term("text", term.toString())), BooleanClause.Occur.SHOULD);
      }
      stream.end();
    }
    return query.build();
  }

  private static final class NeverCancelled implements Cancellation {
    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void onCancel(Runnable action) {}
  }
}
