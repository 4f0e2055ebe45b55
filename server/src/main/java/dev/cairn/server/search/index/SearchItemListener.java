package dev.cairn.server.search.index;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.core.Now;
import dev.cairn.server.jobs.JobQueue;
import dev.cairn.server.search.Languages;
import dev.cairn.server.vault.items.ItemListener;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Keeps search in step with items, inside each item change's transaction: a searchable item's
 * change enqueues its index job (rolled back with the change), and a deletion or
 * {@code searchable=false} by the owner removes its chunks at once. A grantee's change cannot
 * delete the owner's chunks (RLS: only the owner writes them); search hides them anyway from the
 * moment the change commits (it joins each chunk with its item's current state), and the job the
 * change enqueues removes them as the owner. A language label naming no text search
 * configuration fails the change with INVALID_ARGUMENT.
 */
public final class SearchItemListener implements ItemListener {
  private final JobQueue queue;
  private final Clock clock;
  private final IndexRepository repository = new IndexRepository();

  public SearchItemListener(JobQueue queue, Clock clock) {
    this.queue = requireNonNull(queue, "queue");
    this.clock = requireNonNull(clock, "clock");
  }

  @Override
  public void itemChanged(DSLContext sql, Change change) {
    UUID owner = change.ownerId();
    if (change.searchable() && change.what() != What.DELETED) {
      checkLanguage(sql, change.itemId());
      SearchIndexer.enqueue(queue, sql, owner, change.itemId());
    } else if (change.isNewItem()) {
      // a brand-new item that is not searchable: nothing of it can be indexed, so nothing to remove
    } else if (owner.equals(change.actor().userId())) {
      removeNow(sql, owner, change.itemId());
    } else if (repository.wasIndexed(sql, change.itemId())) {
      SearchIndexer.enqueue(queue, sql, owner, change.itemId()); // the job removes them as the owner
    }
  }

  private void checkLanguage(DSLContext sql, UUID item) {
    Map<String, String> labels = repository.labels(sql, item);
    String language = labels == null ? null : labels.get(Languages.LABEL);
    if (language != null) {
      Languages.require(sql, "item.labels[" + Languages.LABEL + "]", language);
    }
  }

  private void removeNow(DSLContext sql, UUID owner, UUID item) {
    if (repository.deleteChunks(sql, owner, item) > 0 || repository.wasIndexed(sql, item)) {
      repository.markRemoved(sql, owner, item, Now.of(clock));
    }
  }
}
