package dev.cairn.server.vault.items;

import com.google.protobuf.Struct;
import dev.cairn.server.core.Principal;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * What items asks of collections before storing a record (collections implement it; the
 * composition root wires it): the data checked against the collection's schema.
 */
public interface RecordValidator {

  /**
   * The canonical JSON of {@code data} for a record in {@code owner}'s {@code collection}, as
   * {@code caller} writes it: NOT_FOUND if the collection is not visible to them for writing,
   * INVALID_ARGUMENT with one field violation per schema error.
   */
  byte[] canonicalJson(DSLContext sql, Principal caller, UUID owner, UUID collection, Struct data);
}
