package dev.cairn.server.vault.records;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.vault.v1.Collection;
import dev.cairn.vault.v1.CreateCollectionRequest;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Collections, records and grants for the records tests, made through the real RPCs
 * (CreateCollection, CreateItem, CreateGrant, RevokeGrant). Records are created one after
 * another, so each has its own create time and "newest first" is deterministic.
 */
final class RecordFixture {
  final CairnTestServer server = CairnTestServer.get();
  final VaultContext vault = server.server().vault();
  /** For tests of the schema rule itself (who may have data checked against a collection). */
  final RecordRules rules = new RecordRules(vault);

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

  /** Stores a record with {@code json} data in the owner's collection through CreateItem; returns the item id. */
  UUID record(TestUser owner, UUID collection, String json) {
    var created = vault(owner).createItem(CreateItemRequest.newBuilder()
        .setItem(Item.newBuilder()
            .setKind(Item.Kind.KIND_RECORD)
            .setCollection("collections/" + collection)
            .setData(struct(json)))
        .build()).getItem();
    return UUID.fromString(created.getName().substring("items/".length()));
  }

  /** The owner grants {@code grantee} a role on the collection through CreateGrant; returns the grant id. */
  UUID grant(TestUser owner, TestUser grantee, UUID collection, String role, @Nullable OffsetDateTime expires) {
    var grant = Grant.newBuilder()
        .setGrantee(grantee.user().getName())
        .setTarget("collections/" + collection)
        .setRole(Role.valueOf("ROLE_" + role))
        .setPurpose("test");
    if (expires != null) {
      grant.setExpireTime(Timestamp.newBuilder().setSeconds(expires.toEpochSecond()).setNanos(expires.getNano()));
    }
    String name = sharing(owner).createGrant(CreateGrantRequest.newBuilder().setGrant(grant).build()).getGrant().getName();
    return UUID.fromString(name.substring("grants/".length()));
  }

  void revoke(TestUser owner, UUID grant) {
    sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName("grants/" + grant).build());
  }

  private SharingServiceGrpc.SharingServiceBlockingStub sharing(TestUser user) {
    return SharingServiceGrpc.newBlockingStub(server.channel()).withCallCredentials(CairnTestServer.bearer(user.token()));
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
}
