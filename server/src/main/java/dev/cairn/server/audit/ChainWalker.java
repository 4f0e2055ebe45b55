package dev.cairn.server.audit;

import dev.cairn.server.audit.AuditLog;
import java.security.MessageDigest;
import org.jspecify.annotations.Nullable;

/**
 * Checks an owner's chain one event at a time, in seq order, keeping only the previous
 * event's seq and hash: each event must follow the previous one without a gap, link to its
 * hash, and hash to what it stores. Stops at the first break. Afterwards, {@link #result}
 * also checks that the chain still reaches its head row and, if the caller sent one, still
 * holds the hash it recorded earlier: together they catch a truncated or rewritten tail. A
 * signed checkpoint is held to the same rule, so a rewrite that is consistent with itself
 * (hashes and head recomputed, as only someone with the database's keys could) still fails.
 */
final class ChainWalker {
  private static final byte[] GENESIS = new byte[32];

  private final long fromSeq;
  private final long expectedSeq;
  private final byte @Nullable [] expectedHash;
  private final AuditRepository.@Nullable Head head;
  private final @Nullable Anchor checkpoint;
  private boolean checkpointSeen;

  /** A signed checkpoint: the event at {@code seq} must have {@code hash}; its signature checked by the caller. */
  record Anchor(long seq, byte[] hash, boolean signatureValid) {}

  private long checked;
  private long lastSeq;
  private byte @Nullable [] lastHash;
  /** The hash of the last event that passed every check: what the next one must link to. */
  private byte @Nullable [] previousHash;
  private long brokenSeq;
  private String reason = "";
  private boolean expectedSeen;

  /**
   * @param fromSeq the first seq to check (from 1: its prev_hash must be the genesis hash;
   *     later: its stored prev_hash is trusted)
   * @param expectedSeq with {@code expectedHash}: the event that must still carry that hash; 0 for none
   * @param head the owner's head row, read before the walk (so the walk sees at least as much)
   * @param checkpoint the latest signed checkpoint, or null when there is none
   */
  ChainWalker(
      long fromSeq,
      long expectedSeq,
      byte @Nullable [] expectedHash,
      AuditRepository.@Nullable Head head,
      @Nullable Anchor checkpoint) {
    this.fromSeq = fromSeq;
    this.expectedSeq = expectedHash == null ? 0 : expectedSeq;
    this.expectedHash = expectedHash;
    this.head = head;
    this.checkpoint = checkpoint;
    if (checkpoint != null && !checkpoint.signatureValid()) {
      fail(checkpoint.seq(), "the checkpoint at seq " + checkpoint.seq() + " does not carry this server's signature");
    }
  }

  /** Checks the next event; false (stop) once the chain is broken. */
  boolean accept(AuditRepository.Link link) {
    if (brokenSeq != 0) {
      return false;
    }
    checked++;
    long seq = link.seq();
    long wanted = lastHash == null ? fromSeq : lastSeq + 1;
    lastSeq = seq;
    lastHash = link.storedHash();
    if (seq != wanted) {
      String missing = seq - wanted == 1 ? "seq " + wanted : "seqs " + wanted + ".." + (seq - 1);
      return fail(seq, "gap before seq " + seq + ": " + missing + " missing");
    }
    byte[] wantedPrev = checked == 1 ? (fromSeq == 1 ? GENESIS : null) : previousHash;
    if (wantedPrev != null && !MessageDigest.isEqual(wantedPrev, link.prevHash())) {
      return fail(seq, "broken link: prev_hash of seq " + seq + " is not the hash of seq " + (seq - 1));
    }
    if (!MessageDigest.isEqual(AuditLog.hash(link.prevHash(), link.canonical()), link.storedHash())) {
      return fail(seq, "hash mismatch at seq " + seq + ": the event is not what was written");
    }
    if (head != null && seq == head.seq() && !MessageDigest.isEqual(head.hash(), link.storedHash())) {
      return fail(seq, "the chain's head records a different hash for seq " + seq);
    }
    if (checkpoint != null && seq == checkpoint.seq()) {
      checkpointSeen = true;
      if (!MessageDigest.isEqual(checkpoint.hash(), link.storedHash())) {
        return fail(seq, "seq " + seq + " is not the event the server signed in its checkpoint: the chain was rewritten");
      }
    }
    if (seq == expectedSeq) {
      expectedSeen = true;
      if (!MessageDigest.isEqual(expectedHash, link.storedHash())) {
        return fail(seq, "expected_hash does not match the hash at seq " + seq);
      }
    }
    previousHash = link.storedHash();
    return true;
  }

  private boolean fail(long seq, String why) {
    brokenSeq = seq;
    reason = why;
    return false;
  }

  /** The verdict once the walk over {@code fromSeq..toSeq} has ended. */
  AuditEvents.Verification result(long toSeq) {
    if (brokenSeq == 0 && expectedSeq > 0 && !expectedSeen) {
      fail(expectedSeq, "expected_hash not found at seq " + expectedSeq + ": " + endsAt());
    }
    if (brokenSeq == 0 && checkpoint != null && checkpoint.seq() >= fromSeq && checkpoint.seq() <= toSeq && !checkpointSeen) {
      fail(checkpoint.seq(), "events removed: " + endsAt() + " but a signed checkpoint records seq " + checkpoint.seq());
    }
    if (brokenSeq == 0 && head != null && head.seq() >= fromSeq && head.seq() <= toSeq && lastSeq < head.seq()) {
      fail(lastSeq + 1, "events removed: " + endsAt() + " but its head records seq " + head.seq());
    }
    byte[] headHash = lastHash == null ? new byte[0] : lastHash;
    return new AuditEvents.Verification(brokenSeq == 0, checked, brokenSeq, reason, lastSeq, headHash, null, new byte[0], 0);
  }

  private String endsAt() {
    return lastHash == null ? "no events found from seq " + fromSeq : "the chain ends at seq " + lastSeq;
  }
}
