package dev.cairn.server.vault.items;

import static dev.cairn.server.db.jooq.Tables.ITEM_CHUNKS;
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
 * chunks of a blob, records as one encrypted JSON value on their version row.
 */
public final class ItemStore {
  /** Plaintext bytes per stored chunk. */
  public static final int CHUNK_BYTES = 1024 * 1024;

  private final VaultContext vault;

  public ItemStore(VaultContext vault) {
    this.vault = requireNonNull(vault, "vault");
  }

  /**
   * Writes a document's content as it streams in, each full chunk encrypted and stored in its
   * own short transaction (so a large upload holds neither the content in memory nor a
   * connection for its whole duration). Nothing is visible until a version row points at the
   * blob; chunks of an abandoned upload are garbage the purge job removes.
   */
  public final class BlobWriter {
    private final Principal writer;
    private final UUID owner;
    private final UUID item;
    private final UUID blob = vault.ids().get();
    private final MessageDigest sha256 = sha256();
    private final byte[] buffer = new byte[CHUNK_BYTES];
    private int buffered;
    private int chunks;
    private long size;

    private BlobWriter(Principal writer, UUID owner, UUID item) {
      this.writer = writer;
      this.owner = owner;
      this.item = item;
    }

    /** The blob's id (to discard its chunks when the upload fails). */
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
        int n = Math.min(bytes.length - offset, CHUNK_BYTES - buffered);
        System.arraycopy(bytes, offset, buffer, buffered, n);
        buffered += n;
        offset += n;
        if (buffered == CHUNK_BYTES) {
          flush();
        }
      }
    }

    /** Stores what is buffered; returns the finished blob's facts. */
    public Blob finish() {
      if (buffered > 0 || chunks == 0) {
        flush();
      }
      return new Blob(blob, chunks, size, sha256.digest());
    }

    private void flush() {
      byte[] plain = Arrays.copyOf(buffer, buffered);
      int seq = chunks;
      vault.database().transaction(writer, sql -> {
        Aead aead = vault.dataKeys().forOwner(sql, owner);
        sql.insertInto(ITEM_CHUNKS)
            .set(ITEM_CHUNKS.BLOB_ID, blob)
            .set(ITEM_CHUNKS.SEQ, seq)
            .set(ITEM_CHUNKS.OWNER_ID, owner)
            .set(ITEM_CHUNKS.ITEM_ID, item)
            .set(ITEM_CHUNKS.CIPHERTEXT, ContentCipher.encryptChunk(aead, owner, item, blob, seq, plain))
            .execute();
        return null;
      });
      chunks++;
      buffered = 0;
    }
  }

  /** Finished content: which blob, how many chunks, how big, its SHA-256. */
  public record Blob(UUID id, int chunkCount, long sizeBytes, byte[] sha256) {}

  /** A writer for content of {@code owner}'s item {@code item}, written by {@code writer}. */
  public BlobWriter newBlob(Principal writer, UUID owner, UUID item) {
    return new BlobWriter(writer, owner, item);
  }

  /** Stores small content in one go (inside the caller's transaction). */
  public Blob writeSmall(DSLContext sql, UUID owner, UUID item, byte[] content) {
    UUID blob = vault.ids().get();
    Aead aead = vault.dataKeys().forOwner(sql, owner);
    int chunks = 0;
    for (int offset = 0; offset < content.length || chunks == 0; offset += CHUNK_BYTES) {
      byte[] plain = Arrays.copyOfRange(content, offset, Math.min(content.length, offset + CHUNK_BYTES));
      sql.insertInto(ITEM_CHUNKS)
          .set(ITEM_CHUNKS.BLOB_ID, blob)
          .set(ITEM_CHUNKS.SEQ, chunks)
          .set(ITEM_CHUNKS.OWNER_ID, owner)
          .set(ITEM_CHUNKS.ITEM_ID, item)
          .set(ITEM_CHUNKS.CIPHERTEXT, ContentCipher.encryptChunk(aead, owner, item, blob, chunks, plain))
          .execute();
      chunks++;
    }
    return new Blob(blob, chunks, content.length, sha256().digest(content));
  }

  /**
   * Reads a document version's chunks in order, one query per chunk, handing each decrypted
   * chunk to {@code sink}: memory stays at one chunk whatever the size. Each read runs as
   * {@code reader}, so row-level security still applies (a grant revoked mid-download stops
   * it). Checks the SHA-256 at the end: a swapped or damaged blob fails rather than pass.
   */
  public void readDocument(Principal reader, UUID owner, ItemVersionsRecord version, Consumer<byte[]> sink) {
    MessageDigest sha = sha256();
    for (int seq = 0; seq < version.getChunkCount(); seq++) {
      int s = seq;
      byte[] plain = vault.database().transaction(reader, sql -> readChunk(sql, owner, version, s));
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
    for (int seq = 0; seq < version.getChunkCount(); seq++) {
      out.writeBytes(readChunk(sql, owner, version, seq));
    }
    byte[] content = out.toByteArray();
    if (!MessageDigest.isEqual(sha256().digest(content), version.getContentSha256())) {
      throw new IllegalStateException("content of items/" + version.getItemId() + " does not match its hash");
    }
    return content;
  }

  private byte[] readChunk(DSLContext sql, UUID owner, ItemVersionsRecord version, int seq) {
    byte[] ciphertext =
        sql.select(ITEM_CHUNKS.CIPHERTEXT)
            .from(ITEM_CHUNKS)
            .where(ITEM_CHUNKS.BLOB_ID.eq(version.getBlobId()))
            .and(ITEM_CHUNKS.SEQ.eq(seq))
            .fetchOptional(ITEM_CHUNKS.CIPHERTEXT)
            .orElseThrow(() -> CairnException.notFound("items/" + version.getItemId()));
    Aead aead = vault.dataKeys().existing(sql, owner);
    return ContentCipher.decryptChunk(aead, owner, version.getItemId(), version.getBlobId(), seq, ciphertext);
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
