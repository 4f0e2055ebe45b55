package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.GRANTS;
import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static dev.cairn.server.db.jooq.Tables.ITEM_VERSIONS;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import dev.cairn.server.core.Principal;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.items.ItemStore;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.VaultServiceGrpc;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Writes records the way CreateItem will (item row, encrypted version, schema check and
 * index through {@link RecordRules}) as the owner, until the items RPCs exist; and grants,
 * until SharingService exists. Each record gets a distinct create time so "newest first"
 * is deterministic.
 */
final class RecordFixture {
  private static final AtomicLong SEQUENCE = new AtomicLong();

  final CairnTestServer server = CairnTestServer.get();
  final VaultContext vault = server.server().vault();
  final RecordRules rules = new RecordRules(vault);
  final ItemStore store = new ItemStore(vault);

  VaultServiceGrpc.VaultServiceBlockingStub vault(TestUser user) {
    return VaultServiceGrpc.newBlockingStub(server.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  /** Creates a collection through the API; returns its id. */
  UUID collection(TestUser owner, String jsonSchema) {
    var created =
        vault(owner)
            .createCollection(
                CreateCollectionRequest.newBuilder()
                    .setCollection(Collection.newBuilder().setDisplayName("people").setJsonSchema(jsonSchema))
                    .build())
            .getCollection();
    return UUID.fromString(created.getName().substring("collections/".length()));
  }

  /** Stores a record with {@code json} data in the owner's collection; returns the item id. */
  UUID record(TestUser owner, UUID collection, String json) {
    UUID ownerId = UUID.fromString(owner.id());
    Principal principal = Principal.system(ownerId);
    UUID item = UUID.randomUUID();
    OffsetDateTime created =
        OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS).plus(Duration.ofMillis(SEQUENCE.incrementAndGet()));
    return vault.database().transaction(principal, sql -> {
      RecordRules.Checked checked = rules.check(sql, principal, ownerId, collection, struct(json));
      byte[] sha = sha256(checked.json());
      sql.insertInto(ITEMS)
          .set(ITEMS.ID, item)
          .set(ITEMS.OWNER_ID, ownerId)
          .set(ITEMS.KIND, "RECORD")
          .set(ITEMS.COLLECTION_ID, collection)
          .set(ITEMS.MEDIA_TYPE, "application/json")
          .set(ITEMS.CURRENT_VERSION, 1)
          .set(ITEMS.SIZE_BYTES, (long) checked.json().length)
          .set(ITEMS.CONTENT_SHA256, sha)
          .set(ITEMS.CREATED_AT, created)
          .set(ITEMS.UPDATED_AT, created)
          .execute();
      sql.insertInto(ITEM_VERSIONS)
          .set(ITEM_VERSIONS.ITEM_ID, item)
          .set(ITEM_VERSIONS.VERSION, 1)
          .set(ITEM_VERSIONS.OWNER_ID, ownerId)
          .set(ITEM_VERSIONS.AUTHOR_ID, ownerId)
          .set(ITEM_VERSIONS.MEDIA_TYPE, "application/json")
          .set(ITEM_VERSIONS.SIZE_BYTES, (long) checked.json().length)
          .set(ITEM_VERSIONS.CONTENT_SHA256, sha)
          .set(ITEM_VERSIONS.RECORD_CIPHERTEXT, store.encryptRecord(sql, ownerId, item, 1, checked.json()))
          .set(ITEM_VERSIONS.CREATED_AT, created)
          .execute();
      rules.index(sql, ownerId, collection, item, checked.values());
      return item;
    });
  }

  /** The owner grants {@code grantee} a role on the collection; returns the grant id. */
  UUID grant(TestUser owner, TestUser grantee, UUID collection, String role, @Nullable OffsetDateTime expires) {
    UUID ownerId = UUID.fromString(owner.id());
    UUID id = UUID.randomUUID();
    vault.database().transaction(Principal.system(ownerId), sql ->
        sql.insertInto(GRANTS)
            .set(GRANTS.ID, id)
            .set(GRANTS.OWNER_ID, ownerId)
            .set(GRANTS.GRANTOR_ID, ownerId)
            .set(GRANTS.GRANTEE_ID, UUID.fromString(grantee.id()))
            .set(GRANTS.COLLECTION_ID, collection)
            .set(GRANTS.ROLE, role)
            .set(GRANTS.PURPOSE, "test")
            .set(GRANTS.STARTS_AT, OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(1))
            .set(GRANTS.EXPIRES_AT, expires)
            .execute());
    return id;
  }

  void revoke(TestUser owner, UUID grant) {
    vault.database().transaction(Principal.system(UUID.fromString(owner.id())), sql ->
        sql.update(GRANTS).set(GRANTS.REVOKED_AT, OffsetDateTime.now(ZoneOffset.UTC)).where(GRANTS.ID.eq(grant)).execute());
  }

  static Struct struct(String json) {
    var data = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, data);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(json, e);
    }
    return data.build();
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
