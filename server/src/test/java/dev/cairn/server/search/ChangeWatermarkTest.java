package dev.cairn.server.search;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The high-water mark's rules for change numbers that commit out of order (see ChangeWatermark). */
class ChangeWatermarkTest {

  @Test
  void contiguousNumbersMoveTheMarkAtOnce() {
    var mark = new ChangeWatermark(10);
    mark.applied(11, 500);
    mark.applied(12, 500);

    mark.advance(10, Long.MAX_VALUE, 400);

    assertThat(mark.through()).isEqualTo(12);
    assertThat(mark.ahead()).isZero();
  }

  @Test
  void aMissingNumberHoldsTheMarkWhileATransactionThatMayHoldItRuns() {
    var mark = new ChangeWatermark(10);
    mark.applied(12, 500); // 11 missing; 12 first seen in a snapshot whose xmax was 500

    mark.advance(10, Long.MAX_VALUE, 499); // xid 499 may still commit 11

    assertThat(mark.through()).isEqualTo(10);
    assertThat(mark.firstSight(12)).as("12 is not applied twice").isFalse();
    assertThat(mark.firstSight(11)).as("11 is still welcome").isTrue();
  }

  @Test
  void aMissingNumberIsSkippedOnceEveryTransactionOlderThanItsSightingHasEnded() {
    var mark = new ChangeWatermark(10);
    mark.applied(12, 500);

    mark.advance(10, Long.MAX_VALUE, 500);

    assertThat(mark.through()).isEqualTo(12);
  }

  @Test
  void onlyAPageThatStartsAtTheMarkOrCoversTheNumbersCanMoveIt() {
    var mark = new ChangeWatermark(10);
    mark.applied(11, 500);
    mark.applied(13, 500);

    mark.advance(11, Long.MAX_VALUE, 900); // a later page: it did not read 11..
    assertThat(mark.through()).isEqualTo(10);

    mark.advance(10, 11, 900); // a full page ending at 11 says nothing about 12
    assertThat(mark.through()).isEqualTo(11);
  }
}
