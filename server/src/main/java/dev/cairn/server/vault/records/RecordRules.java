package dev.cairn.server.vault.records;

import com.google.protobuf.Struct;
import dev.cairn.server.grpc.Principal;
import dev.cairn.server.vault.VaultContext;
import java.util.List;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * What the items path asks of collections when it stores a record: validate the data
 * against the collection's JSON Schema, and pick out the queryable field values (stored in
 * plaintext in record_values so QueryRecords is index-backed).
 */
public final class RecordRules {
  private final VaultContext vault;

  public RecordRules(VaultContext vault) {
    this.vault = vault;
  }

  /** One queryable value of a record (arrays give one per element). */
  public record FieldValue(
      String field,
      java.math.@Nullable BigDecimal number,
      @Nullable String text,
      @Nullable Boolean bool,
      java.time.@Nullable OffsetDateTime time) {}

  /** A record that passed its schema: the canonical JSON to encrypt and the values to index. */
  public record Checked(byte[] json, List<FieldValue> values) {}

  /**
   * Validates {@code data} for a record in {@code collectionId} (owned by {@code owner}) as
   * {@code caller} may see it; INVALID_ARGUMENT with one field violation per schema error,
   * NOT_FOUND if the collection is not visible.
   */
  public Checked check(DSLContext sql, Principal caller, UUID owner, UUID collectionId, Struct data) {
    throw new UnsupportedOperationException("records: not built yet");
  }

  /** Replaces the indexed values of a record (inside the caller's transaction). */
  public void index(DSLContext sql, UUID owner, UUID collectionId, UUID item, List<FieldValue> values) {
    throw new UnsupportedOperationException("records: not built yet");
  }
}
