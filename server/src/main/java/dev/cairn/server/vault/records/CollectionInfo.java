package dev.cairn.server.vault.records;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** A collection as the services speak of it (no jOOQ, no proto). */
record CollectionInfo(
    UUID id,
    UUID ownerId,
    String displayName,
    String description,
    String jsonSchema,
    List<String> queryableFields,
    long revision,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt) {

  CollectionInfo {
    queryableFields = List.copyOf(queryableFields);
  }

  String name() {
    return "collections/" + id;
  }

  String etag() {
    return "\"" + revision + "\"";
  }
}
