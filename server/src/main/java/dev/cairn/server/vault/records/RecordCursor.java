package dev.cairn.server.vault.records;

import dev.cairn.server.db.PagePosition;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Where a QueryRecords page starts: after the record with this sort value and id, in the
 * query's order. It travels inside the server's page token (bound there to the caller,
 * collection, filter and order), written and read by the query's {@link SortKey}.
 */
record RecordCursor(@Nullable Object value, UUID id) {

  PagePosition position(SortKey<?> key) {
    return out -> out.putString(key.write(value)).putUuid(id);
  }

  static RecordCursor read(PagePosition.Reader in, SortKey<?> key) {
    return new RecordCursor(key.read(in.getString()), in.getUuid());
  }
}
