package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.chat.generate.Prompt;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.db.Database;
import dev.cairn.server.search.Search;
import dev.cairn.server.search.SearchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Finds what an answer may draw on: a HYBRID search as the caller (its rights, the
 * conversation's filter) and, in the search's own transaction (the rights it just checked, one
 * snapshot), each hit's full chunk text, an ITEM_READ in the owner's audit chain under the grant
 * or consent that allowed it, and whatever the caller stores with the citations ({@link Then}).
 */
final class Retrieval {
  static final int PASSAGES = 5;
  private static final int MAX_QUERY_CODE_POINTS = 1000;

  /** The citations and, in the same order, the sources handed to the generator. */
  record Found(List<Chat.Citation> citations, List<Prompt.Source> sources) {
    static final Found NOTHING = new Found(List.of(), List.of());
  }

  /** Runs in the retrieval's transaction with its citations (chat stores them there). */
  @FunctionalInterface
  interface Then {
    void accept(DSLContext sql, List<Chat.Citation> citations);
  }

  private final Database database;
  private final SearchService search;
  private final AuditLog audit;

  Retrieval(Database database, SearchService search, AuditLog audit) {
    this.database = requireNonNull(database, "database");
    this.search = requireNonNull(search, "search");
    this.audit = requireNonNull(audit, "audit");
  }

  Found find(Caller caller, String question, Search.Filter filter, Then then) {
    var query = new Search.Query(truncate(question), filter, Search.Mode.HYBRID, PASSAGES, "", false, "");
    try {
      return search.search(caller, query, (sql, result) -> {
        Found found = read(sql, caller, result.passages());
        then.accept(sql, found.citations());
        return found;
      });
    } catch (CairnException e) {
      if (e.kind() != CairnException.Kind.INVALID_ARGUMENT) {
        throw e;
      }
      // only stop words or symbols: nothing to look for
      database.transaction(caller, sql -> {
        then.accept(sql, List.of());
        return null;
      });
      return Found.NOTHING;
    }
  }

  private Found read(DSLContext sql, Caller caller, List<Search.Passage> passages) {
    List<Chat.Citation> citations = new ArrayList<>();
    List<Prompt.Source> sources = new ArrayList<>();
    List<Map.Entry<UUID, AuditLog.Entry>> reads = new ArrayList<>();
    for (Search.Passage passage : passages) {
      Search.Hit hit = passage.hit();
      citations.add(new Chat.Citation(hit.itemId(), hit.version(), hit.ordinal(), hit.grantId(), hit.displayName(),
          hit.snippet(), hit.score(), hit.page()));
      sources.add(new Prompt.Source(citations.size(), hit.displayName(), passage.text(), hit.page()));
      AuditLog.Entry entry = AuditLog.Entry.of("users/" + caller.requireUserId(), AuditAction.ITEM_READ,
              "items/" + hit.itemId(), caller.requestId())
          .withDetails(Map.of("view", "CHAT_CITATION", "version", Integer.toString(hit.version()),
              "chunk", Integer.toString(hit.ordinal())));
      if (hit.grantId() != null) {
        entry = entry.withVia(hit.grantId(), null, passage.consentId());
      }
      reads.add(Map.entry(hit.ownerId(), entry));
    }
    audit.appendAll(sql, reads);
    return new Found(citations, sources);
  }

  private static String truncate(String question) {
    int length = question.codePointCount(0, question.length());
    return length <= MAX_QUERY_CODE_POINTS ? question
        : question.substring(0, question.offsetByCodePoints(0, MAX_QUERY_CODE_POINTS));
  }
}
