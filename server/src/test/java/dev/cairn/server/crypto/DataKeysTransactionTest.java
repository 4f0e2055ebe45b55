package dev.cairn.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.crypto.tink.Aead;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.db.Database;
import dev.cairn.server.testing.CairnTestServer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.junit.jupiter.api.Test;

/**
 * A transaction reads an owner's data key row once (chat's retrieval decrypts its hits and
 * encrypts its citations with the same key), and only once per transaction: the next one reads
 * the row again, so a shredded key is noticed at once.
 */
class DataKeysTransactionTest {
  private static final CairnTestServer SERVER = CairnTestServer.get();
  private final DataKeys keys = SERVER.server().vault().dataKeys();

  @Test
  void aTransactionReadsAnOwnersKeyRowOnce() throws Exception {
    UUID owner = UUID.fromString(SERVER.newUser("keys-once").id());
    database().transaction(Principal.system(owner), sql -> keys.forOwner(sql, owner)); // the key made
    AtomicInteger keyReads = new AtomicInteger();
    byte[] sealed = database().transaction(Principal.system(owner), sql -> {
      sql.configuration().set(countingKeyReads(keyReads));
      keys.existing(sql, owner); // as a search decrypting its hits
      return encrypt(keys.forOwner(sql, owner)); // as chat encrypting its citations

    });
    assertThat(keyReads).hasValue(1);
    byte[] opened = database().transaction(Principal.system(owner), sql -> decrypt(keys.existing(sql, owner), sealed));
    assertThat(new String(opened, StandardCharsets.UTF_8)).isEqualTo("citation");
  }

  @Test
  void aKeyShreddedByAnotherTransactionIsGoneForTheNext() {
    UUID owner = UUID.fromString(SERVER.newUser("keys-shred").id());
    database().transaction(Principal.system(owner), sql -> keys.forOwner(sql, owner));
    database().transaction(Principal.system(owner), sql -> {
      keys.destroy(sql, owner);
      return null;
    });
    assertThatThrownBy(() -> database().transaction(Principal.system(owner), sql -> keys.existing(sql, owner)))
        .isInstanceOfSatisfying(CairnException.class, e -> assertThat(e.kind()).isEqualTo(CairnException.Kind.FAILED_PRECONDITION));
  }

  @Test
  void aKeyShreddedEarlierInTheSameTransactionIsNotReused() {
    UUID owner = UUID.fromString(SERVER.newUser("keys-shred-same").id());
    database().transaction(Principal.system(owner), sql -> {
      Aead before = keys.forOwner(sql, owner);
      keys.destroy(sql, owner);
      assertThatThrownBy(() -> keys.existing(sql, owner)).isInstanceOf(CairnException.class);
      Aead after = keys.forOwner(sql, owner); // a new key, made now
      assertThat(after).isNotSameAs(before);
      return null;
    });
  }

  private static Database database() {
    return SERVER.server().database();
  }

  private static ExecuteListener countingKeyReads(AtomicInteger reads) {
    return new ExecuteListener() {
      @Override
      public void executeStart(ExecuteContext ctx) {
        String sql = ctx.sql();
        if (sql != null && sql.contains("data_keys") && sql.trim().toLowerCase().startsWith("select")) {
          reads.incrementAndGet();
        }
      }
    };
  }

  private static byte[] encrypt(Aead aead) {
    try {
      return aead.encrypt("citation".getBytes(StandardCharsets.UTF_8), new byte[0]);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] decrypt(Aead aead, byte[] sealed) {
    try {
      return aead.decrypt(sealed, new byte[0]);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
