package dev.cairn.server.grpc;

import dev.cairn.server.core.Principal;
import static dev.cairn.server.db.jooq.Tables.ITEMS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import dev.cairn.server.testing.TestDatabase;
import io.grpc.Status;
import java.util.UUID;
import org.jooq.JSONB;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL puts the failing row's values in an error's DETAIL ("Failing row contains (…)",
 * "Key (…)=(…)"). Labels and display names are the owner's data: no log line may carry them,
 * even when a statement fails in a way that is logged as an internal error.
 */
class SqlErrorLoggingTest {
  private static final String SECRET_LABEL = "diagnosis-hiv-positive-7f3a";
  private static final String SECRET_NAME = "letter-to-my-lawyer-7f3a";

  @Test
  void aConstraintViolationIsLoggedWithoutTheRowsValues() {
    UUID owner = UUID.randomUUID();
    // a record without a collection breaks a CHECK: PostgreSQL would quote the whole row
    Throwable failure = catchThrowable(() -> TestDatabase.get().app().transaction(Principal.system(owner), sql ->
        sql.insertInto(ITEMS)
            .set(ITEMS.ID, UUID.randomUUID())
            .set(ITEMS.OWNER_ID, owner)
            .set(ITEMS.KIND, "RECORD")
            .set(ITEMS.DISPLAY_NAME, SECRET_NAME)
            .set(ITEMS.LABELS, JSONB.valueOf("{\"condition\": \"" + SECRET_LABEL + "\"}"))
            .set(ITEMS.CURRENT_VERSION, 1)
            .execute()));
    assertLoggedWithoutValues(failure, "items_record_has_collection");
  }

  @Test
  void aFailedCastOfARecordValueIsLoggedWithoutTheValue() {
    // PostgreSQL quotes the value in the message itself ("invalid input syntax for type numeric: …")
    Throwable failure = catchThrowable(() -> TestDatabase.get().app().transaction(Principal.system(UUID.randomUUID()), sql ->
        sql.select(DSL.field("cast(cast({0} as jsonb) ->> 'condition' as numeric)", Object.class,
            DSL.val("{\"condition\": \"" + SECRET_LABEL + "\"}"))).fetch()));
    assertLoggedWithoutValues(failure, "22P02");
  }

  @Test
  void aJsonParseErrorIsLoggedWithoutItsContext() {
    // DETAIL ("Token … is invalid") and CONTEXT ("JSON data, line 1: …") quote the input
    Throwable failure = catchThrowable(() -> TestDatabase.get().app().transaction(Principal.system(UUID.randomUUID()), sql ->
        sql.select(DSL.field("cast({0} as jsonb)", Object.class, DSL.val("{\"condition\": " + SECRET_LABEL + "}"))).fetch()));
    assertLoggedWithoutValues(failure, "22P02");
  }

  private static void assertLoggedWithoutValues(Throwable failure, String stillNamed) {
    assertThat(failure).isNotNull();
    Logger logger = (Logger) LoggerFactory.getLogger(ErrorMapper.class);
    var appender = new ListAppender<ILoggingEvent>();
    appender.start();
    logger.addAppender(appender);
    try {
      assertThat(ErrorMapper.map(failure, "cairn.vault.v1.VaultService/CreateItem").status().getCode())
          .isEqualTo(Status.Code.INTERNAL);
    } finally {
      logger.detachAppender(appender);
    }

    assertThat(appender.list).isNotEmpty();
    for (ILoggingEvent event : appender.list) {
      String logged = event.getFormattedMessage() + "\n" + text(event.getThrowableProxy());
      assertThat(logged).contains(stillNamed); // still says what failed
      assertThat(logged).doesNotContain(SECRET_LABEL).doesNotContain(SECRET_NAME)
          .doesNotContain("Failing row").doesNotContain("JSON data");
    }
  }

  private static String text(IThrowableProxy proxy) {
    return proxy == null ? "" : ThrowableProxyUtil.asString(proxy);
  }
}
