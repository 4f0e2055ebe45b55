package dev.cairn.server.vault.records;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.vault.items.ItemListener;
import org.jooq.DSLContext;

/**
 * Keeps a record's queryable values (record_values) those of its current version: replaced
 * with each new version, in the same transaction. A deleted record keeps its values, so an
 * undelete needs no re-index: QueryRecords shows only live items, and the purge removes them.
 */
public final class RecordIndexer implements ItemListener {
  private final RecordRules rules;

  RecordIndexer(RecordRules rules) {
    this.rules = requireNonNull(rules, "rules");
  }

  @Override
  public void itemChanged(DSLContext sql, Change change) {
    byte[] json = change.recordJson();
    if (change.what() != What.NEW_VERSION || change.collectionId() == null || json == null) {
      return; // documents, metadata, delete and undelete leave the indexed values as they are
    }
    var values = rules.values(sql, change.actor(), change.ownerId(), change.collectionId(), json);
    rules.index(sql, change.ownerId(), change.collectionId(), change.itemId(), values);
  }
}
