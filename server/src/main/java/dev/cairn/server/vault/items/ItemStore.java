package dev.cairn.server.vault.items;

import static dev.cairn.server.db.jooq.Tables.ITEM_SEGMENTS;
import static dev.cairn.server.db.jooq.Tables.ITEM_VERSIONS;
import static java.util.Objects.requireNonNull;

import com.google.crypto.tink.Aead;
import dev.cairn.server.db.jooq.tables.records.ItemVersionsRecord;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.crypto.ContentCipher;
import dev.cairn.server.vault.VaultContext;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * Storage primitives for item content, shared by every path that writes or reads it
 * (items, records, access links, later search ingestion): documents as encrypted 1 MiB
 * segments of a blob, records as one encrypted JSON value on their version row.
 */
public final class ItemStore {
  /** Plaintext bytes per stored segment. */
  public static final int SEGMENT_BYTES = 1024 * 1024;

  private final VaultContext vault;

  public ItemStore(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }

  /**
   * Writes a document's content as it streams in, each full segment encrypted and stored in its
   * own short transaction (so a large upload holds neither the content in memory nor a
   * connection for its whole duration). Nothing is visible until a version row points at the
   * blob; segments of an abandoned upload are garbage the purge job removes.
   */
  public final class BlobWriter {
    private final Principal writer;
    private final UUID owner;
    private final UUID item;
    private final UUID blob = vault.ids().get();
    private final MessageDigest sha256 = sha256();
    private final byte[] buffer = new byte[SEGMENT_BYTES];
    private int buffered;
    private int segments;
    private long size;

    private BlobWriter(Principal writer, UUID owner, UUID item) {
      this.writer = writer;
      this.owner = owner;
      this.item = item;
    }

    /** The blob's id (to discard its segments when the upload fails). */
    public UUID blobId() {
      return blob;
    }

    /** Adds bytes; fails with RESOURCE_EXHAUSTED past {@code maxBytes}. */
    public void write(byte[] bytes, long maxBytes) {
      if (size + bytes.length > maxBytes) {
        throw CairnException.limitExceeded(
            "max_item_bytes", "document larger than " + maxBytes + " bytes");
      }
      sha256.update(bytes);
      size += bytes.length;
      int offset = 0;
      while (offset < bytes.length) {
        int n = Math.min(bytes.length - offset, SEGMENT_BYTES - buffered);
        System.arraycopy(bytes, offset, buffer, buffered, n);
        buffered += n;
        offset += n;
        if (buffered == SEGMENT_BYTES) {
          flush();
        }
      }
    }

    /** Stores what is buffered; returns the finished blob's facts. */
    public Blob finish() {
      if (buffered > 0 || segments == 0) {
        flush();
      }
      return new Blob(blob, segments, size, sha256.digest());
    }

    private void flush() {
      byte[] plain = Arrays.copyOf(buffer, buffered);
      int seq = segments;
      vault.database().transaction(writer, sql -> {
        Aead aead = vault.dataKeys().forOwner(sql, owner);
        sql.insertInto(ITEM_SEGMENTS)
            .set(ITEM_SEGMENTS.BLOB_ID, blob)
            .set(ITEM_SEGMENTS.SEQ, seq)
            .set(ITEM_SEGMENTS.OWNER_ID, owner)
            .set(ITEM_SEGMENTS.ITEM_ID, item)
            .set(ITEM_SEGMENTS.CIPHERTEXT, ContentCipher.encryptSegment(aead, owner, item, blob, seq, plain))
            .execute();
        return null;
      });
      segments++;
      buffered = 0;
    }
  }

  /** Finished content: which blob, how many segments, how big, its SHA-256. */
  public record Blob(UUID id, int segmentCount, long sizeBytes, byte[] sha256) {}

  /** A writer for content of {@code owner}'s item {@code item}, written by {@code writer}. */
  public BlobWriter newBlob(Principal writer, UUID owner, UUID item) {
    return new BlobWriter(writer, owner, item);
  }

  /** Stores small content in one go (inside the caller's transaction). */
  public Blob writeSmall(DSLContext sql, UUID owner, UUID item, byte[] content) {
    UUID blob = vault.ids().get();
    Aead aead = vault.dataKeys().forOwner(sql, owner);
    int segments = 0;
    for (int offset = 0; offset < content.length || segments == 0; offset += SEGMENT_BYTES) {
      byte[] plain = Arrays.copyOfRange(content, offset, Math.min(content.length, offset + SEGMENT_BYTES));
      sql.insertInto(ITEM_SEGMENTS)
          .set(ITEM_SEGMENTS.BLOB_ID, blob)
          .set(ITEM_SEGMENTS.SEQ, segments)
          .set(ITEM_SEGMENTS.OWNER_ID, owner)
          .set(ITEM_SEGMENTS.ITEM_ID, item)
          .set(ITEM_SEGMENTS.CIPHERTEXT, ContentCipher.encryptSegment(aead, owner, item, blob, segments, plain))
          .execute();
      segments++;
    }
    return new Blob(blob, segments, content.length, sha256().digest(content));
  }

  /**
   * Reads a document version's segments in order, one query per segment, handing each decrypted
   * segment to {@code sink}: memory stays at one segment whatever the size. Each read runs as
   * {@code reader}, so row-level security still applies (a grant revoked mid-download stops
   * it). Checks the SHA-256 at the end: a swapped or damaged blob fails rather than pass.
   */
  public void readDocument(Principal reader, UUID owner, ItemVersionsRecord version, Consumer<byte[]> sink) {
    MessageDigest sha = sha256();
    for (int seq = 0; seq < version.getSegmentCount(); seq++) {
      int s = seq;
      byte[] plain = vault.database().transaction(reader, sql -> readSegment(sql, owner, version, s));
      sha.update(plain);
      sink.accept(plain);
    }
    if (!MessageDigest.isEqual(sha.digest(), version.getContentSha256())) {
      throw new IllegalStateException("content of items/" + version.getItemId() + " v" + version.getVersion() + " does not match its hash");
    }
  }

  /** The whole content of a small document version, inside the caller's transaction. */
  public byte[] readSmall(DSLContext sql, UUID owner, ItemVersionsRecord version) {
    if (version.getSizeBytes() > vault.limits().inlineMaxBytes()) {
      throw CairnException.failedPrecondition(
          "items/" + version.getItemId() + " is " + version.getSizeBytes() + " bytes; use DownloadItem");
    }
    var out = new java.io.ByteArrayOutputStream((int) (long) version.getSizeBytes());
    for (int seq = 0; seq < version.getSegmentCount(); seq++) {
      out.writeBytes(readSegment(sql, owner, version, seq));
    }
    byte[] content = out.toByteArray();
    if (!MessageDigest.isEqual(sha256().digest(content), version.getContentSha256())) {
      throw new IllegalStateException("content of items/" + version.getItemId() + " does not match its hash");
    }
    return content;
  }

  private byte[] readSegment(DSLContext sql, UUID owner, ItemVersionsRecord version, int seq) {
    byte[] ciphertext =
        sql.select(ITEM_SEGMENTS.CIPHERTEXT)
            .from(ITEM_SEGMENTS)
            .where(ITEM_SEGMENTS.BLOB_ID.eq(version.getBlobId()))
            .and(ITEM_SEGMENTS.SEQ.eq(seq))
            .fetchOptional(ITEM_SEGMENTS.CIPHERTEXT)
            .orElseThrow(() -> CairnException.notFound("items/" + version.getItemId()));
    Aead aead = vault.dataKeys().existing(sql, owner);
    return ContentCipher.decryptSegment(aead, owner, version.getItemId(), version.getBlobId(), seq, ciphertext);
  }

  /** Encrypts a record's JSON for its version row. */
  public byte[] encryptRecord(DSLContext sql, UUID owner, UUID item, int version, byte[] json) {
    return ContentCipher.encryptRecord(vault.dataKeys().forOwner(sql, owner), owner, item, version, json);
  }

  /** Decrypts a record version's JSON. */
  public byte[] decryptRecord(DSLContext sql, UUID owner, ItemVersionsRecord version) {
    Aead aead = vault.dataKeys().existing(sql, owner);
    return ContentCipher.decryptRecord(aead, owner, version.getItemId(), version.getVersion(), version.getRecordCiphertext());
  }

  /** A version row of a visible item (RLS: visible exactly when the item is). */
  public ItemVersionsRecord version(DSLContext sql, UUID item, int version) {
    var row =
        sql.selectFrom(ITEM_VERSIONS)
            .where(ITEM_VERSIONS.ITEM_ID.eq(item))
            .and(ITEM_VERSIONS.VERSION.eq(version))
            .fetchOne();
    if (row == null) {
      throw CairnException.notFound("items/" + item + "/versions/" + version);
    }
    return row;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
