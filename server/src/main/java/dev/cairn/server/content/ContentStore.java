package dev.cairn.server.content;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.crypto.tink.Aead;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.crypto.ContentCipher;
import dev.cairn.server.crypto.DataKeys;
import dev.cairn.server.db.Database;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * Storage primitives for item content, shared by every path that writes or reads it
 * (items, records, access links, later search ingestion): documents as encrypted 1 MiB
 * segments of a blob, records as one encrypted JSON value on their version row.
 */
public final class ContentStore {
  /** Plaintext bytes per stored segment. */
  public static final int SEGMENT_BYTES = 1024 * 1024;

  private final Database database;
  private final DataKeys dataKeys;
  private final Supplier<UUID> ids;
  private final long inlineMaxBytes;
  private final ContentRepository repository = new ContentRepository();
  /**
   * The key row each owner's last {@link #seal} encrypted under. Not trusted: the statement that
   * stores sealed content checks it is still the owner's key row and writes nothing if not
   * (then {@link #forgetKey} and seal again), so a destroyed or re-wrapped key is never used.
   */
  private final Cache<UUID, DataKeys.Wrapped> sealingKeys = Caffeine.newBuilder().maximumSize(10_000).build();

  /** @param inlineMaxBytes the largest document read whole ({@link #readSmall}); larger ones stream */
  public ContentStore(Database database, DataKeys dataKeys, Supplier<UUID> ids, long inlineMaxBytes) {
    this.database = requireNonNull(database, "database");
    this.dataKeys = requireNonNull(dataKeys, "dataKeys");
    this.ids = requireNonNull(ids, "ids");
    this.inlineMaxBytes = inlineMaxBytes;
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
    private final UUID blob = ids.get();
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
      database.transaction(writer, sql -> {
        Aead aead = dataKeys.forOwner(sql, owner);
        repository.insertSegment(sql, owner, item, blob, seq, ContentCipher.encryptSegment(aead, owner, item, blob, seq, plain));
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
    UUID blob = ids.get();
    Aead aead = dataKeys.forOwner(sql, owner);
    List<byte[]> segments = encryptSegments(aead, owner, item, blob, content);
    for (int seq = 0; seq < segments.size(); seq++) {
      repository.insertSegment(sql, owner, item, blob, seq, segments.get(seq));
    }
    return new Blob(blob, segments.size(), content.length, sha256().digest(content));
  }

  /** Small content cut into segments and encrypted in order; empty content is one empty segment. */
  private static List<byte[]> encryptSegments(Aead aead, UUID owner, UUID item, UUID blob, byte[] content) {
    var segments = new ArrayList<byte[]>();
    for (int offset = 0; offset < content.length || segments.isEmpty(); offset += SEGMENT_BYTES) {
      byte[] plain = Arrays.copyOfRange(content, offset, Math.min(content.length, offset + SEGMENT_BYTES));
      segments.add(ContentCipher.encryptSegment(aead, owner, item, blob, segments.size(), plain));
    }
    return segments;
  }

  /**
   * Small content encrypted for a statement of the caller's that stores it whole (CreateItem's
   * {@code cairn.create_document}): the blob's facts, its segments' ciphertexts in order, and
   * the key row they were encrypted under, which that statement must find unchanged.
   */
  public record Sealed(Blob blob, List<byte[]> segments, DataKeys.Wrapped key) {}

  /**
   * Encrypts small content of {@code owner}'s new item {@code item} exactly as
   * {@link #writeSmall} would store it, without a database round trip when the owner's key row
   * is known from an earlier seal (else it is read, or made, in a short transaction as
   * {@code writer}, who is the owner).
   */
  public Sealed seal(Principal writer, UUID owner, UUID item, byte[] content) {
    DataKeys.Wrapped key = sealingKeys.getIfPresent(owner);
    if (key == null) {
      key = database.transaction(writer, sql -> {
        dataKeys.forOwner(sql, owner); // makes the owner's key on their first write
        return repository.keyRow(sql, owner);
      });
      sealingKeys.put(owner, key);
    }
    Aead aead = dataKeys.unwrap(owner, key);
    UUID blob = ids.get();
    List<byte[]> segments = encryptSegments(aead, owner, item, blob, content);
    return new Sealed(new Blob(blob, segments.size(), content.length, sha256().digest(content)), segments, key);
  }

  /** Drops the key row {@link #seal} remembers for {@code owner} (the store found it stale). */
  public void forgetKey(UUID owner) {
    sealingKeys.invalidate(owner);
  }

  /**
   * Stores one segment of a staged blob (a resumable upload's append) inside the caller's
   * transaction, encrypted exactly as every other segment; {@code plain} is at most one segment.
   */
  public void writeSegment(DSLContext sql, UUID owner, UUID item, UUID blob, int seq, byte[] plain) {
    if (plain.length > SEGMENT_BYTES) {
      throw new IllegalArgumentException(plain.length + " bytes is more than one segment");
    }
    Aead aead = dataKeys.forOwner(sql, owner);
    repository.insertSegment(sql, owner, item, blob, seq, ContentCipher.encryptSegment(aead, owner, item, blob, seq, plain));
  }

  /**
   * The facts of a staged blob's first {@code segments} segments, read and decrypted one per
   * transaction as {@code reader} (memory stays at one segment): what a completed upload stores.
   */
  public Blob measure(Principal reader, UUID owner, UUID item, UUID blob, int segments) {
    MessageDigest sha = sha256();
    long size = 0;
    for (int seq = 0; seq < segments; seq++) {
      int s = seq;
      byte[] plain = database.transaction(reader, sql -> {
        byte[] ciphertext = repository.segment(sql, blob, s)
            .orElseThrow(() -> new IllegalStateException("segment " + s + " of blob " + blob + " is missing"));
        return ContentCipher.decryptSegment(dataKeys.existing(sql, owner), owner, item, blob, s, ciphertext);
      });
      sha.update(plain);
      size += plain.length;
    }
    return new Blob(blob, segments, size, sha.digest());
  }

  /**
   * Reads a document version's segments in order, one query per segment, handing each decrypted
   * segment to {@code sink}: memory stays at one segment whatever the size. Each read runs as
   * {@code reader}, so row-level security still applies (a grant revoked mid-download stops
   * it). Checks the SHA-256 at the end: a swapped or damaged blob fails rather than pass.
   */
  public void readDocument(Principal reader, UUID owner, StoredVersion version, Consumer<byte[]> sink) {
    MessageDigest sha = sha256();
    for (int seq = 0; seq < version.segmentCount(); seq++) {
      int s = seq;
      byte[] plain = database.transaction(reader, sql -> readSegment(sql, owner, version, s));
      sha.update(plain);
      sink.accept(plain);
    }
    if (!MessageDigest.isEqual(sha.digest(), version.contentSha256())) {
      throw new IllegalStateException("content of items/" + version.itemId() + " v" + version.version() + " does not match its hash");
    }
  }

  /** The largest document {@link #readSmall} reads. */
  public long inlineMaxBytes() {
    return inlineMaxBytes;
  }

  /** The whole content of a small document version, inside the caller's transaction. */
  public byte[] readSmall(DSLContext sql, UUID owner, StoredVersion version) {
    if (version.sizeBytes() > inlineMaxBytes) {
      throw CairnException.failedPrecondition(
          "items/" + version.itemId() + " is " + version.sizeBytes() + " bytes; use DownloadItem");
    }
    var out = new java.io.ByteArrayOutputStream((int) (long) version.sizeBytes());
    for (int seq = 0; seq < version.segmentCount(); seq++) {
      out.writeBytes(readSegment(sql, owner, version, seq));
    }
    byte[] content = out.toByteArray();
    if (!MessageDigest.isEqual(sha256().digest(content), version.contentSha256())) {
      throw new IllegalStateException("content of items/" + version.itemId() + " does not match its hash");
    }
    return content;
  }

  private byte[] readSegment(DSLContext sql, UUID owner, StoredVersion version, int seq) {
    UUID blob = requireNonNull(version.blobId(), "a document version has a blob");
    byte[] ciphertext = repository.segment(sql, blob, seq)
        .orElseThrow(() -> CairnException.notFound("items/" + version.itemId()));
    Aead aead = dataKeys.existing(sql, owner);
    return ContentCipher.decryptSegment(aead, owner, version.itemId(), blob, seq, ciphertext);
  }

  /**
   * The whole content of a small document version from its segments (in order) and the owner's
   * wrapped key, both read by the caller's own statement under its row-level security (GetItem's
   * one statement). Checks the SHA-256 as {@link #readSmall} does.
   */
  public byte[] openSmall(UUID owner, StoredVersion version, List<byte[]> segments, DataKeys.Wrapped key) {
    UUID blob = requireNonNull(version.blobId(), "a document version has a blob");
    Aead aead = dataKeys.unwrap(owner, key);
    byte[] content = segments.size() == 1
        // the common small document: its one plaintext segment is the content, no copy
        ? ContentCipher.decryptSegment(aead, owner, version.itemId(), blob, 0, segments.getFirst())
        : concat(aead, owner, version, blob, segments);
    if (!MessageDigest.isEqual(sha256().digest(content), version.contentSha256())) {
      throw new IllegalStateException("content of items/" + version.itemId() + " does not match its hash");
    }
    return content;
  }

  private static byte[] concat(Aead aead, UUID owner, StoredVersion version, UUID blob, List<byte[]> segments) {
    var out = new java.io.ByteArrayOutputStream((int) version.sizeBytes());
    for (int seq = 0; seq < segments.size(); seq++) {
      out.writeBytes(ContentCipher.decryptSegment(aead, owner, version.itemId(), blob, seq, segments.get(seq)));
    }
    return out.toByteArray();
  }

  /** A record version's JSON, under the owner's wrapped key read by the caller's statement. */
  public byte[] openRecord(UUID owner, StoredVersion version, DataKeys.Wrapped key) {
    byte[] ciphertext = requireNonNull(version.recordCiphertext(), "a record version has its JSON");
    return ContentCipher.decryptRecord(dataKeys.unwrap(owner, key), owner, version.itemId(), version.version(), ciphertext);
  }

  /** Encrypts a record's JSON for its version row. */
  public byte[] encryptRecord(DSLContext sql, UUID owner, UUID item, int version, byte[] json) {
    return ContentCipher.encryptRecord(dataKeys.forOwner(sql, owner), owner, item, version, json);
  }

  /** Decrypts a record version's JSON. */
  public byte[] decryptRecord(DSLContext sql, UUID owner, StoredVersion version) {
    Aead aead = dataKeys.existing(sql, owner);
    byte[] ciphertext = requireNonNull(version.recordCiphertext(), "a record version has its JSON");
    return ContentCipher.decryptRecord(aead, owner, version.itemId(), version.version(), ciphertext);
  }

  /**
   * Search chunk texts of one owner under their data key, looked up once: the index job encrypts
   * a version's chunks with it, a search decrypts its hits (RLS gives a grantee the key only
   * while a live grant from the owner exists).
   */
  public ChunkTexts chunkTexts(DSLContext sql, UUID owner, boolean create) {
    Aead aead = create ? dataKeys.forOwner(sql, owner) : dataKeys.existing(sql, owner);
    return new ChunkTexts(aead, owner);
  }

  /**
   * The data key of the owner in {@code owner}, as a column a statement selects next to that
   * owner's rows (a search its hits): with {@link #chunkTexts(DSLContext, UUID, byte[])} the
   * key comes in the same round trip as the ciphertexts. Opaque outside content/.
   */
  public static org.jooq.Field<byte[]> keyColumn(org.jooq.Field<UUID> owner) {
    return ContentRepository.keyRowOf(owner);
  }

  /**
   * As {@link #chunkTexts(DSLContext, UUID, boolean)} for reading, with the key as this
   * transaction's statement selected it through {@link #keyColumn}; null (the caller may not
   * see it, or there is none) reads it as that method does, with its error.
   */
  public ChunkTexts chunkTexts(DSLContext sql, UUID owner, byte @Nullable [] keyColumn) {
    if (keyColumn == null) {
      return chunkTexts(sql, owner, false);
    }
    return new ChunkTexts(dataKeys.unwrap(sql, owner, ContentRepository.keyRowFrom(keyColumn)), owner);
  }

  /** Encrypts and decrypts one owner's chunk texts. */
  public static final class ChunkTexts {
    private final Aead aead;
    private final UUID owner;

    private ChunkTexts(Aead aead, UUID owner) {
      this.aead = aead;
      this.owner = owner;
    }

    public byte[] encrypt(UUID item, int version, int ordinal, byte[] text) {
      return ContentCipher.encryptChunkText(aead, owner, item, version, ordinal, text);
    }

    public byte[] decrypt(UUID item, int version, int ordinal, byte[] ciphertext) {
      return ContentCipher.decryptChunkText(aead, owner, item, version, ordinal, ciphertext);
    }
  }

  /**
   * Chat message texts and citations of one owner under their data key (created on first use):
   * stored encrypted like item content, so crypto-shredding reaches conversations too.
   */
  public MessageTexts messageTexts(DSLContext sql, UUID owner) {
    return new MessageTexts(dataKeys.forOwner(sql, owner), owner);
  }

  /** Encrypts and decrypts one owner's chat messages: part 0 the text, part 1 the citations. */
  public static final class MessageTexts {
    public static final int TEXT = 0;
    public static final int CITATIONS = 1;
    private final Aead aead;
    private final UUID owner;

    private MessageTexts(Aead aead, UUID owner) {
      this.aead = aead;
      this.owner = owner;
    }

    public byte[] encrypt(UUID conversation, UUID message, int part, byte[] plaintext) {
      return ContentCipher.encryptMessage(aead, owner, conversation, message, part, plaintext);
    }

    public byte[] decrypt(UUID conversation, UUID message, int part, byte[] ciphertext) {
      return ContentCipher.decryptMessage(aead, owner, conversation, message, part, ciphertext);
    }
  }

  /** A version row of a visible item (RLS: visible exactly when the item is). */
  public StoredVersion version(DSLContext sql, UUID item, int version) {
    return repository.version(sql, item, version)
        .orElseThrow(() -> CairnException.notFound("items/" + item + "/versions/" + version));
  }

  /** Removes every segment of an item's blobs (the purge, in its transaction). */
  public void deleteItemContent(DSLContext sql, UUID owner, UUID item) {
    repository.deleteItemSegments(sql, owner, item);
  }

  /** Drops the segments of one blob (a failed or duplicate upload). */
  public void deleteBlob(DSLContext sql, UUID owner, UUID blob) {
    repository.deleteBlob(sql, owner, blob);
  }

  /** Drops a blob's segments unless a version points at it. */
  public void deleteUnattachedBlob(DSLContext sql, UUID owner, UUID blob) {
    repository.deleteUnattachedBlob(sql, owner, blob);
  }

  /** Segments of uploads that never became a version, older than {@code before}. */
  public int deleteAbandonedSegments(DSLContext sql, UUID owner, OffsetDateTime before) {
    return repository.deleteAbandonedSegments(sql, owner, before);
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
