package dev.cairn.client.cli;

import static java.util.Objects.requireNonNull;

import dev.cairn.search.v1.GetIndexStatusRequest;
import dev.cairn.search.v1.IndexSummary;
import dev.cairn.search.v1.ItemIndexStatus;
import dev.cairn.search.v1.SearchServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Waits until every named item is indexed or has failed, or the time is up, moving a progress
 * bar. Each round asks GetIndexStatus for the caller's summary (one cheap call); while it still
 * counts pending items, only the first few still-pending items are asked about one by one (the
 * index jobs run roughly in upload order, so the rest would answer PENDING too), and once it
 * counts none, every item left is asked once for its final state and reason.
 */
final class IndexWaiter {
  /** While the summary says pending, ask about at most this many still-pending items per round. */
  static final int PENDING_PROBES = 16;

  /** An item that did not end indexed: FAILED with the server's reason, or NOT_INDEXED. */
  record Failure(String item, String label, ItemIndexStatus.State state, String reason) {}

  /** What happened: indexed count, failures, and the items still pending when time ran out. */
  record Outcome(int indexed, List<Failure> failures, List<String> pending) {}

  private final SearchServiceGrpc.SearchServiceBlockingStub search;
  private final Backoff.Sleeper sleeper;
  private final LongSupplier nanoTime;

  IndexWaiter(SearchServiceGrpc.SearchServiceBlockingStub search, Backoff.Sleeper sleeper, LongSupplier nanoTime) {
    this.search = requireNonNull(search, "search");
    this.sleeper = requireNonNull(sleeper, "sleeper");
    this.nanoTime = requireNonNull(nanoTime, "nanoTime");
  }

  /** {@code items}: item name → what to call it in messages (its path). */
  Outcome await(Map<String, String> items, Duration timeout, Progress progress) throws InterruptedException {
    Map<String, String> left = new LinkedHashMap<>(items);
    List<Failure> failures = new ArrayList<>();
    int indexed = 0;
    long deadline = nanoTime.getAsLong() + timeout.toNanos();
    Duration pause = Duration.ofMillis(200);
    while (!left.isEmpty()) {
      IndexSummary summary = search.getIndexStatus(GetIndexStatusRequest.getDefaultInstance()).getSummary();
      int probes = summary.getPendingCount() == 0 ? Integer.MAX_VALUE : PENDING_PROBES;
      Iterator<Map.Entry<String, String>> it = left.entrySet().iterator();
      while (it.hasNext() && probes > 0) {
        var entry = it.next();
        ItemIndexStatus status = search.getIndexStatus(GetIndexStatusRequest.newBuilder().setItem(entry.getKey()).build())
            .getItemStatus();
        switch (status.getState()) {
          case STATE_INDEXED -> {
            indexed++;
            it.remove();
          }
          case STATE_FAILED, STATE_NOT_INDEXED -> {
            failures.add(new Failure(entry.getKey(), entry.getValue(), status.getState(), status.getError()));
            it.remove();
          }
          default -> probes--; // PENDING (or a state this client does not know): ask again later
        }
      }
      progress.set(items.size() - left.size());
      if (left.isEmpty() || nanoTime.getAsLong() >= deadline) {
        break;
      }
      sleeper.sleep(pause);
      pause = pause.multipliedBy(2).compareTo(Duration.ofSeconds(2)) > 0 ? Duration.ofSeconds(2) : pause.multipliedBy(2);
    }
    return new Outcome(indexed, failures, List.copyOf(left.values()));
  }
}
