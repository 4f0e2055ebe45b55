package dev.cairn.server.content;

import java.time.OffsetDateTime;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One stored version of an item's content: where its bytes are (a blob of encrypted segments for
 * a document, one encrypted JSON value for a record) and the facts that identify them.
 */
public record StoredVersion(
    UUID itemId,
    int version,
    UUID ownerId,
    UUID authorId,
    String mediaType,
    long sizeBytes,
    byte[] contentSha256,
    @Nullable UUID blobId,
    int segmentCount,
    byte @Nullable [] recordCiphertext,
    OffsetDateTime createdAt) {

  /** A record's version carries its JSON on the row; a document's lives in segments. */
  public boolean isRecord() {
    return recordCiphertext != null;
  }
}
