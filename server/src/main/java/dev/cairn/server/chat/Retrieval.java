package dev.cairn.server.chat;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.access.VaultAccess;
import dev.cairn.server.audit.AuditAction;
import dev.cairn.server.audit.AuditLog;
import dev.cairn.server.chat.generate.Prompt;
import dev.cairn.server.content.ContentStore;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Caller;
import dev.cairn.server.db.Database;
import dev.cairn.server.search.Search;
import dev.cairn.server.search.SearchService;
import dev.cairn.server.search.index.ChunkText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Finds what an answer may draw on: a HYBRID search as the caller (its rights, the
 * conversation's filter), then, in one transaction as the caller, each hit's full chunk text
 * (re-checked: a grant revoked since the search drops the hit) and an ITEM_READ in the owner's
 * audit chain under the grant or consent that allowed it.
 */
final class Retrieval {
  static final int PASSAGES = 5;
  private static final int MAX_QUERY_CODE_POINTS = 1000;

  /** The citations and, in the same order, the sources handed to the generator. */
  record Found(List<Chat.Citation> citations, List<Prompt.Source> sources) {
    static final Found NOTHING = new Found(List.of(), List.of());
  }

  private final Database database;
  private final SearchService search;
  private final VaultAccess access;
  private final ContentStore content;
  private final AuditLog audit;
  private final ChatRepository repository;

  Retrieval(Database database, SearchService search, VaultAccess access, ContentStore content, AuditLog audit,
      ChatRepository repository) {
    this.database = requireNonNull(database, "database");
    this.search = requireNonNull(search, "search");
    this.access = requireNonNull(access, "access");
    this.content = requireNonNull(content, "content");
    this.audit = requireNonNull(audit, "audit");
    this.repository = requireNonNull(repository, "repository");
  }

  Found find(Caller caller, String question, Search.Filter filter) {
    List<Search.Hit> hits;
    try {
      hits = search.search(caller, new Search.Query(truncate(question), filter, Search.Mode.HYBRID, PASSAGES, "",
          false, "")).hits();
    } catch (CairnException e) {
      if (e.kind() == CairnException.Kind.INVALID_ARGUMENT) {
        return Found.NOTHING; // only stop words or symbols: nothing to look for
      }
      throw e;
    }
    if (hits.isEmpty()) {
      return Found.NOTHING;
    }
    return database.transaction(caller, sql -> {
      Map<UUID, ContentStore.ChunkTexts> keys = new HashMap<>();
      List<Chat.Citation> citations = new ArrayList<>();
      List<Prompt.Source> sources = new ArrayList<>();
      for (Search.Hit hit : hits) {
        VaultAccess.Access allowed = readable(sql, caller, hit.itemId());
        byte[] ciphertext = allowed == null ? null
            : repository.chunkCiphertext(sql, hit.ownerId(), hit.itemId(), hit.version(), hit.ordinal());
        if (ciphertext == null) {
          continue; // revoked, deleted or re-indexed since the search
        }
        var texts = keys.computeIfAbsent(hit.ownerId(), owner -> content.chunkTexts(sql, owner, false));
        String text = ChunkText.decode(texts.decrypt(hit.itemId(), hit.version(), hit.ordinal(), ciphertext)).text();
        UUID grant = allowed.isOwner() ? null : allowed.grantId();
        citations.add(new Chat.Citation(hit.itemId(), hit.version(), hit.ordinal(), grant, hit.displayName(),
            hit.snippet(), hit.score(), hit.page()));
        sources.add(new Prompt.Source(citations.size(), hit.displayName(), text, hit.page()));
        AuditLog.Entry entry = AuditLog.Entry.of("users/" + caller.requireUserId(), AuditAction.ITEM_READ,
                "items/" + hit.itemId(), caller.requestId())
            .withDetails(Map.of("view", "CHAT_CITATION", "version", Integer.toString(hit.version()),
                "chunk", Integer.toString(hit.ordinal())));
        if (!allowed.isOwner()) {
          entry = entry.withVia(allowed.grantId(), null, allowed.consentId());
        }
        audit.append(sql, hit.ownerId(), entry);
      }
      return new Found(citations, sources);
    });
  }

  private VaultAccess.@Nullable Access readable(org.jooq.DSLContext sql, Caller caller, UUID item) {
    try {
      return access.item(sql, caller, item, VaultAccess.Role.READ, false, false);
    } catch (CairnException e) {
      if (e.kind() == CairnException.Kind.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private static String truncate(String question) {
    int length = question.codePointCount(0, question.length());
    return length <= MAX_QUERY_CODE_POINTS ? question
        : question.substring(0, question.offsetByCodePoints(0, MAX_QUERY_CODE_POINTS));
  }
}
