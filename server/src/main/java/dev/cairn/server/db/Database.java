package dev.cairn.server.db;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.cairn.server.core.Caller;
import dev.cairn.server.core.Principal;
import io.grpc.Context;
import io.grpc.Deadline;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import dev.cairn.server.core.CairnException;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

/**
 * The application's connection pool (as the least-privilege role) and its one way to run
 * SQL: {@link #transaction} opens a transaction that carries the caller's identity, so the
 * row-level security policies see it, bounds statements by the call's deadline, and cancels
 * the running statement when the call is cancelled.
 */
public final class Database implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final HikariDataSource dataSource;
  private final Settings settings = new Settings().withRenderSchema(true).withExecuteLogging(false);

  /** Work done inside a transaction. */
  @FunctionalInterface
  public interface TransactionalWork<T> {
    T run(DSLContext sql);
  }

  private final Clock clock;
  private final long maxItemsPerUser;
  private final PGSimpleDataSource unpooled = new PGSimpleDataSource();
  private final DatabaseSpans spans;
  private final MeterRegistry metrics;

  public Database(
      String url, String user, String password, int poolSize, MeterRegistry metrics, Clock clock) {
    this(url, user, password, poolSize, metrics, clock, 0);
  }

  /**
   * {@code maxItemsPerUser} (0: none) is the limit the item-count trigger enforces at commit
   * (see V13__item_counts.sql); it travels with every transaction, in the same round trip as
   * the caller's identity.
   */
  public Database(
      String url, String user, String password, int poolSize, MeterRegistry metrics, Clock clock,
      long maxItemsPerUser) {
    this(url, user, password, poolSize, metrics, clock, maxItemsPerUser, TracerProvider.noop().get("none"));
  }

  /** As above, with a span for each transaction from {@code tracer}. */
  public Database(
      String url, String user, String password, int poolSize, MeterRegistry metrics, Clock clock,
      long maxItemsPerUser, Tracer tracer) {
    this.spans = new DatabaseSpans(requireNonNull(tracer, "tracer"));
    this.metrics = requireNonNull(metrics, "metrics");
    this.clock = requireNonNull(clock, "clock");
    this.maxItemsPerUser = maxItemsPerUser;
    unpooled.setUrl(url);
    unpooled.setUser(user);
    unpooled.setPassword(password);
    unpooled.setTcpKeepAlive(true);
    var config = new HikariConfig();
    config.setPoolName("cairn");
    config.setJdbcUrl(requireNonNull(url, "url"));
    config.setUsername(requireNonNull(user, "user"));
    config.setPassword(requireNonNull(password, "password"));
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(Math.min(2, poolSize));
    config.setAutoCommit(false);
    config.setConnectionTimeout(5_000);
    config.setMetricRegistry(requireNonNull(metrics, "metrics"));
    config.addDataSourceProperty("ApplicationName", "cairn-server");
    config.addDataSourceProperty("reWriteBatchedInserts", "true");
    // errors then carry no DETAIL ("Failing row contains (...)", "Key (...)=(...)"): the owners'
    // values stay out of exceptions and logs (LoggableErrors scrubs what remains)
    config.addDataSourceProperty("logServerErrorDetail", "false");
    this.dataSource = new HikariDataSource(config);
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** The most connections the pool holds. */
  public int poolSize() {
    return dataSource.getMaximumPoolSize();
  }

  /**
   * A new connection outside the pool, as the same role, for a session that must stay open
   * (LISTEN): a pooled one would be held for ever and its LISTEN could leak to a borrower.
   * The caller closes it.
   */
  public Connection openDedicatedConnection(String applicationName) throws SQLException {
    Connection connection = unpooled.getConnection();
    try {
      connection.setClientInfo("ApplicationName", applicationName);
      connection.setAutoCommit(true);
      return connection;
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** As {@link #transaction(Principal, TransactionalWork)}, as the caller's principal. */
  public <T> T transaction(Caller caller, TransactionalWork<T> work) {
    return transaction(caller.principal(), work);
  }

  /**
   * Runs {@code work} in one transaction as {@code principal}: {@code cairn.user_id} (and
   * {@code cairn.admin}) are set transaction-locally, so RLS applies to every statement, and
   * {@code cairn.now} carries the server's clock so SQL-side expiry agrees with Java's.
   * Commits when {@code work} returns, rolls back when it throws.
   */
  public <T> T transaction(Principal principal, TransactionalWork<T> work) {
    requireNonNull(principal, "principal");
    return spans.around("transaction", () -> inTransaction(principal, work));
  }

  private <T> T inTransaction(Principal principal, TransactionalWork<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      StatementCanceller onCancel = new StatementCanceller(connection, dataSource);
      Context context = Context.current();
      context.addListener(onCancel, Runnable::run);
      try {
        DSLContext sql = DSL.using(new LocalsFirst(connection, principal, context.getDeadline(), TokenCheck.pending()),
            SQLDialect.POSTGRES, settings);
        T result = work.run(sql);
        commit(connection);
        return result;
      } catch (RuntimeException | Error e) {
        rollbackQuietly(connection);
        throw e;
      } finally {
        context.removeListener(onCancel);
        onCancel.done();
      }
    } catch (SQLException e) {
      throw new DataAccessFailure(e);
    }
  }

  /**
   * Runs one statement outside any transaction and without a caller (autocommit: no BEGIN,
   * no COMMIT). Only for the few SECURITY DEFINER lookups that must run before the caller is
   * known, such as authentication, which runs on every call.
   */
  public <T> T withoutTransaction(TransactionalWork<T> work) {
    return spans.around("autocommit", () -> autocommit(work));
  }

  private <T> T autocommit(TransactionalWork<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      connection.setAutoCommit(true);
      return work.run(DSL.using(connection, SQLDialect.POSTGRES, settings));
    } catch (SQLException e) {
      throw new DataAccessFailure(e);
    }
  }

  /** Binds a statement's own parameters (numbered from 1, as if it were sent alone). */
  @FunctionalInterface
  public interface Binder {
    void bind(Parameters parameters) throws SQLException;
  }

  /** Reads a statement's result. */
  @FunctionalInterface
  public interface ResultReader<T> {
    T read(ResultSet rows) throws SQLException;
  }

  /**
   * A statement's parameters, after the transaction locals' own. Only values pgjdbc binds with
   * their type: for a parameter of unknown type (a null, a {@code java.sql.Timestamp}) pgjdbc
   * first describes the statement with a Sync of its own once it is server-prepared, that Sync
   * ends the implicit transaction the locals were set in, and the statement would then run
   * without the caller's identity. Such a value is refused before anything is sent; a nullable
   * argument goes as {@code ''} and {@code nullif(cast(? as text), '')} in the SQL.
   */
  public static final class Parameters {
    /** What pgjdbc's setObject binds with a type of its own (varchar, uuid, int8, timestamptz, bytea[]...). */
    private static final Set<Class<?>> TYPED = Set.of(
        String.class, UUID.class, Long.class, Integer.class, Short.class, Boolean.class, Double.class,
        Float.class, BigDecimal.class, OffsetDateTime.class, LocalDateTime.class, LocalDate.class,
        byte[].class, byte[][].class, String[].class, long[].class, int[].class, short[].class,
        double[].class, float[].class, boolean[].class);

    private final PreparedStatement statement;
    private final int base;
    private final int count;
    /** Inside an explicit transaction (BEGIN sent): a describe's Sync then ends nothing. */
    private final boolean inTransaction;

    private Parameters(PreparedStatement statement, int base, int count, boolean inTransaction) {
      this.statement = statement;
      this.base = base;
      this.count = count;
      this.inTransaction = inTransaction;
    }

    public void set(int index, Object value) throws SQLException {
      checkIndex(index);
      if (value == null) {
        throw new IllegalArgumentException("statement parameter " + index
            + ": null (expected: a value; pgjdbc sends a null untyped, which would run the statement"
            + " without the caller's identity: bind '' and nullif it in the SQL)");
      }
      if (!TYPED.contains(value.getClass())) {
        throw new IllegalArgumentException("statement parameter " + index + ": a " + value.getClass().getName()
            + " (expected: one of " + TYPED.stream().map(Class::getSimpleName).sorted().toList()
            + ", which pgjdbc binds typed)");
      }
      statement.setObject(base + index, value);
    }

    /**
     * A uuid[] parameter, bound with its type (pgjdbc binds no {@code UUID[]} of its own; as text
     * cast in the SQL, the cast stays in a generic plan and runs wherever the array is compared).
     */
    public void setUuids(int index, java.util.Collection<UUID> values) throws SQLException {
      checkIndex(index);
      statement.setArray(base + index, statement.getConnection().createArrayOf("uuid", values.toArray()));
    }

    /**
     * A text parameter sent without a type, so that it takes the type of the cast around it
     * ({@code ?::regconfig} becomes a regconfig parameter, parsed once at bind; as varchar, the
     * cast would run on every row it is compared with once the statement's plan is generic), as
     * {@link Untyped} does for jOOQ. Only inside a transaction: pgjdbc may describe such a
     * statement with a Sync of its own, which would end an implicit one.
     */
    public void setUntyped(int index, String value) throws SQLException {
      checkIndex(index);
      if (!inTransaction) {
        throw new IllegalStateException("statement parameter " + index
            + ": an untyped value outside a transaction (a describe's Sync would end the implicit one)");
      }
      statement.setObject(base + index, requireNonNull(value, "value"), java.sql.Types.OTHER);
    }

    private void checkIndex(int index) {
      if (index < 1 || index > count) {
        // in a batch, the next call's parameters follow: never bind into them
        throw new IllegalArgumentException("statement parameter " + index + " (expected: 1.." + count + ")");
      }
    }
  }

  /**
   * Runs one read-or-write statement as {@code principal} in a single round trip: the
   * transaction locals of {@link #transaction} and {@code statement} go in one pipeline with
   * one Sync and no BEGIN/COMMIT. PostgreSQL runs everything up to a Sync as one implicit
   * transaction, so the locals (set first, by the server, never from the statement's own
   * arguments) hold for the statement exactly as in {@link #transaction}, and it commits at
   * the Sync. Only for work that is one statement (no Java between two statements);
   * the deadline becomes statement_timeout and a cancelled call cancels it, as in a transaction.
   * {@code statement} must be constant (pgjdbc keeps it prepared per connection).
   */
  public <T> T statement(Principal principal, String statement, Binder binder, ResultReader<T> reader) {
    requireNonNull(principal, "principal");
    return statementOfCurrentCall(pipeline(statement, 1), Integer.MAX_VALUE,
        new Request<>(principal, Context.current().getDeadline(), TokenCheck.pending(), binder, reader));
  }

  /**
   * Runs one constant statement with {@code parameterCount} parameters on the connection of the
   * transaction {@code sql} belongs to (as its principal, under its deadline and cancellation),
   * bound and read through JDBC. For the hottest reads: jOOQ renders a statement again on every
   * call (its plain-SQL templates parsed each time) and reads a plain-SQL result's types from the
   * result set's metadata, which was a tenth of a search's server CPU (a HYBRID profile, 2026-12-03).
   * {@code statement} must be constant, so pgjdbc keeps it prepared per connection.
   */
  public static <T> T query(DSLContext sql, String statement, int parameterCount, Binder binder, ResultReader<T> reader) {
    var connections = sql.configuration().connectionProvider();
    if (connections instanceof LocalsFirst first && first.pending) {
      return first.withLocals(statement, parameterCount, binder, reader);
    }
    Connection connection = connections.acquire();
    try (PreparedStatement prepared = connection.prepareStatement(statement)) {
      binder.bind(new Parameters(prepared, 0, parameterCount, !connection.getAutoCommit()));
      try (ResultSet rows = prepared.executeQuery()) {
        return reader.read(rows);
      }
    } catch (SQLException e) {
      throw new DataAccessFailure(e);
    } finally {
      connections.release(connection);
    }
  }

  /**
   * Batches concurrent calls of one constant statement into shared round trips and commits (see
   * {@link StatementBatcher}); {@code parameterCount} is how many parameters the statement has.
   */
  public <T> StatementBatcher<T> batcher(
      String name, String statement, int parameterCount, int maxBatch, int maxInFlight) {
    var sizes = DistributionSummary.builder("cairn.db.batch.calls")
        .description("calls per committed round of a batched statement (1: it ran alone)")
        .tag("statement", name)
        .register(metrics);
    var retried = Counter.builder("cairn.db.batch.retried")
        .description("calls of a batched statement run again alone because their round failed")
        .tag("statement", name)
        .register(metrics);
    return new StatementBatcher<>(this, statement, parameterCount, maxBatch, maxInFlight, sizes, retried);
  }

  /**
   * One call of a pipeline: who runs it, by when, the token its locals check (its call's {@link
   * TokenCheck#pending}, or null), with which parameters, and what reads its rows.
   */
  record Request<T>(
      Principal principal, @Nullable Deadline deadline, @Nullable TokenCheck check, Binder binder, ResultReader<T> reader) {}

  /**
   * What one call of a committed pipeline came to: its reader's value, or what its reader threw.
   * A reader runs after the Sync, when the round has committed: its failure is its call's alone.
   */
  record Result<T>(@Nullable T value, @Nullable RuntimeException failure) {
    /** The value, or the reader's failure thrown. */
    T get() {
      if (failure != null) {
        throw failure;
      }
      return value;
    }
  }

  /** The text {@link #statements} sends for {@code count} calls of {@code statement}. */
  static String pipeline(String statement, int count) {
    var sql = new StringBuilder();
    for (int i = 0; i < count; i++) {
      sql.append(i == 0 ? "" : "; ").append(SET_TRANSACTION_LOCALS).append("; ").append(statement);
    }
    return sql.toString();
  }

  /** One call of a pipeline's text for one, cancelled with the current call as {@link #statement} is. */
  <T> T statementOfCurrentCall(String pipeline, int parameterCount, Request<T> call) {
    return spans.around("transaction",
        () -> inPipeline(pipeline, parameterCount, List.of(call), Context.current()).get(0).get());
  }

  /**
   * Several calls of one statement in one round trip and one implicit transaction: each call's
   * transaction locals, then its statement, in turn ({@code pipeline} is {@link #pipeline}'s text
   * for as many calls). Not cancelled by the current call (it runs others' calls too); each
   * statement is bounded by its own call's deadline. A failure of any statement rolls all back
   * and is thrown; once the round has committed, each call's reader succeeds or fails alone.
   */
  <T> List<Result<T>> statements(String pipeline, int parameterCount, List<Request<T>> calls) {
    return spans.around("transaction", () -> inPipeline(pipeline, parameterCount, calls, null));
  }

  private <T> List<Result<T>> inPipeline(
      String pipeline, int parameterCount, List<Request<T>> calls, @Nullable Context cancelledBy) {
    try (Connection connection = dataSource.getConnection()) {
      StatementCanceller onCancel = cancelledBy == null ? null : new StatementCanceller(connection, dataSource);
      if (onCancel != null) {
        cancelledBy.addListener(onCancel, Runnable::run);
      }
      // autocommit: pgjdbc sends no BEGIN, and the Sync ends the implicit transaction
      connection.setAutoCommit(true);
      try (PreparedStatement statement = connection.prepareStatement(pipeline)) {
        int stride = calls.size() == 1 ? 0 : LOCALS_PARAMETERS + parameterCount;
        for (int i = 0; i < calls.size(); i++) {
          Request<T> call = calls.get(i);
          bindLocals(statement, i * stride, call.principal(), call.deadline(), call.check());
          call.binder().bind(new Parameters(statement, i * stride + LOCALS_PARAMETERS, parameterCount, false));
        }
        // every statement's results have arrived, and the Sync committed, when execute returns
        statement.execute(); // the first call's locals: one row
        for (Request<T> call : calls) {
          if (call.check() != null) {
            call.check().checkedBy(call.principal()); // every call's locals passed: the Sync committed
          }
        }
        var results = new ArrayList<Result<T>>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
          if (i > 0) {
            statement.getMoreResults(); // the next call's locals
          }
          if (!statement.getMoreResults()) {
            throw new IllegalStateException("the statement returned no rows: " + pipeline);
          }
          try (ResultSet rows = statement.getResultSet()) {
            results.add(new Result<>(calls.get(i).reader().read(rows), null));
          } catch (SQLException e) {
            results.add(new Result<>(null, new DataAccessFailure(e)));
          } catch (RuntimeException e) {
            results.add(new Result<>(null, e));
          }
        }
        return results;
      } catch (SQLException e) {
        if (ITEM_LIMIT_STATE.equals(e.getSQLState())) {
          throw CairnException.limitExceeded("max_items_per_user", itemLimitMessage(e));
        }
        throw failure(e);
      } finally {
        if (onCancel != null) {
          cancelledBy.removeListener(onCancel);
          onCancel.done();
        }
      }
    } catch (SQLException e) {
      throw new DataAccessFailure(e);
    }
  }

  /** Commits; a limit that a deferred trigger found broken at commit is the caller's error. */
  private static void commit(Connection connection) throws SQLException {
    try {
      connection.commit();
    } catch (SQLException e) {
      if (ITEM_LIMIT_STATE.equals(e.getSQLState())) {
        throw CairnException.limitExceeded("max_items_per_user", itemLimitMessage(e));
      }
      throw e;
    }
  }

  /** SQLSTATE the item-count trigger raises (V13__item_counts.sql). */
  private static final String ITEM_LIMIT_STATE = "CA001";
  /** SQLSTATE a transaction's locals raise when the call's token is no longer live (V33__call_token_check.sql). */
  private static final String TOKEN_REVOKED_STATE = "CA401";

  /**
   * What a failed statement is to the caller: its token refused, or a failure of the database.
   * Only this class sends the locals that raise CA401, so this is the one place it is mapped.
   */
  private static RuntimeException failure(SQLException e) {
    if (TOKEN_REVOKED_STATE.equals(e.getSQLState())) {
      return CairnException.unauthenticated(
          dev.cairn.type.v1.ErrorReason.ERROR_REASON_TOKEN_REVOKED, "token has been revoked");
    }
    return new DataAccessFailure(e);
  }

  private static String itemLimitMessage(SQLException e) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null
        && p.getServerErrorMessage().getMessage() != null) {
      return p.getServerErrorMessage().getMessage();
    }
    return "you already hold the most items you may (the limit)";
  }

  /**
   * The transaction-local settings every transaction starts with, one constant prepared
   * statement: pgjdbc keeps it parsed (and, after a few uses, server-prepared) per connection,
   * where building it with jOOQ on every transaction was the single largest CPU cost of a call.
   */
  private static final String SET_TRANSACTION_LOCALS =
      "select set_config('cairn.user_id', ?, true), set_config('cairn.admin', ?, true),"
          + " set_config('statement_timeout', ?, true), set_config('cairn.now', ?, true),"
          + " set_config('cairn.max_items_per_user', ?, true), cairn.check_call_token(?, ?)";

  private static final int LOCALS_PARAMETERS = 7;

  /**
   * A transaction's connection as jOOQ (and {@link #query}) reach it, its locals not yet sent: the
   * first statement carries them. {@link #query}'s constant statements send them in the same
   * round trip (one multi-statement pipeline, the locals first, one Sync): one round trip fewer
   * for such a transaction; anything else that acquires the connection (a jOOQ query,
   * {@code sql.connection(...)}) sets them first, alone, as every transaction did before. So
   * no statement of a transaction ever runs before its locals; a transaction that sends no
   * statement sends nothing at all (pgjdbc then has no BEGIN to commit).
   */
  private final class LocalsFirst implements org.jooq.ConnectionProvider {
    private final Connection connection;
    private final Principal principal;
    private final @Nullable Deadline deadline;
    private final @Nullable TokenCheck check;
    private boolean pending = true;

    LocalsFirst(Connection connection, Principal principal, @Nullable Deadline deadline, @Nullable TokenCheck check) {
      this.connection = connection;
      this.principal = principal;
      this.deadline = deadline;
      this.check = check;
    }

    @Override
    public Connection acquire() {
      if (pending) {
        pending = false;
        setTransactionLocals(connection, principal, deadline, check);
        checked();
      }
      return connection;
    }

    /** The locals ran: their check of the call's token (if they carried it) passed. */
    private void checked() {
      if (check != null) {
        check.checkedBy(principal);
      }
    }

    @Override
    public void release(Connection released) {
      // the transaction's: closed by inTransaction
    }

    /** The locals, then {@code statement} (its parameters after theirs), in one round trip. */
    <T> T withLocals(String statement, int parameterCount, Binder binder, ResultReader<T> reader) {
      pending = false;
      // the same text a one-statement pipeline sends (statement(...)): pgjdbc keeps it prepared once
      try (PreparedStatement prepared = connection.prepareStatement(pipeline(statement, 1))) {
        bindLocals(prepared, 0, principal, deadline, check);
        binder.bind(new Parameters(prepared, LOCALS_PARAMETERS, parameterCount, true));
        prepared.execute(); // the locals' row
        checked();
        if (!prepared.getMoreResults()) {
          throw new IllegalStateException("the statement returned no rows: " + statement);
        }
        try (ResultSet rows = prepared.getResultSet()) {
          return reader.read(rows);
        }
      } catch (SQLException e) {
        throw failure(e);
      }
    }
  }

  private void setTransactionLocals(
      Connection connection, Principal principal, @Nullable Deadline deadline, @Nullable TokenCheck check) {
    try (PreparedStatement statement = connection.prepareStatement(SET_TRANSACTION_LOCALS)) {
      bindLocals(statement, 0, principal, deadline, check);
      statement.execute();
    } catch (SQLException e) {
      throw failure(e);
    }
  }

  private void bindLocals(
      PreparedStatement statement, int base, Principal principal, @Nullable Deadline deadline, @Nullable TokenCheck check)
      throws SQLException {
    String userId = principal.userId() == null ? "" : principal.userId().toString();
    String timeout =
        deadline == null
            ? "0"
            : Long.toString(Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS)));
    statement.setString(base + 1, userId);
    statement.setString(base + 2, principal.admin() ? "on" : "off");
    statement.setString(base + 3, timeout);
    statement.setString(base + 4, clock.instant().toString());
    statement.setString(base + 5, maxItemsPerUser > 0 ? Long.toString(maxItemsPerUser) : "");
    // the call's token while it is unconfirmed (TokenCheck), checked at this statement's snapshot
    statement.setString(base + 6, check == null ? "" : check.tokenFor(principal));
    statement.setString(base + 7, userId);
  }

  /**
   * Cancels the statement running on a connection when its call is cancelled. PostgreSQL takes a
   * cancel request on a connection of its own and acts on it when it arrives: one sent as the
   * statement ended could instead cancel the next statement on that backend, another call's once
   * the connection is back in the pool (seen in a test: the next test's first statement was
   * cancelled by the one before's deadline). So a connection a cancel was sent for is evicted
   * from the pool, not reused; after {@link #done} no cancel is sent.
   */
  private static final class StatementCanceller implements Context.CancellationListener {
    private final Connection connection;
    private final HikariDataSource pool;
    private boolean sent;
    private boolean done;

    StatementCanceller(Connection connection, HikariDataSource pool) {
      this.connection = connection;
      this.pool = pool;
    }

    @Override
    public synchronized void cancelled(Context context) {
      if (done) {
        return;
      }
      sent = true;
      try {
        connection.unwrap(PGConnection.class).cancelQuery();
      } catch (SQLException e) {
        log.debug("could not cancel the running statement", e);
      }
    }

    /** The call is done with the connection: if a cancel was sent for it, it leaves the pool when closed. */
    synchronized void done() {
      done = true;
      if (sent) {
        pool.evictConnection(connection);
      }
    }
  }

  private static void rollbackQuietly(Connection connection) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      log.debug("rollback failed", e);
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
