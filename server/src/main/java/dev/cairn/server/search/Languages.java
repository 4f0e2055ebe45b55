package dev.cairn.server.search;

import dev.cairn.server.core.CairnException;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Text search configurations (PostgreSQL's {@code regconfig}): an item's language is the label
 * {@value #LABEL} (default {@value #DEFAULT}), a query's the request's {@code language}. An unknown
 * name is the caller's error, never a silent fall back to {@code simple}, which would index
 * without stemming or stop words and quietly find less.
 */
public final class Languages {
  /** The item label that names its language, e.g. {@code search.language=norwegian}. */
  public static final String LABEL = "search.language";
  public static final String DEFAULT = "english";
  private static final Pattern NAME = Pattern.compile("^[a-z_]{1,32}$");

  private Languages() {}

  /** The configuration named {@code name} if the server has it. */
  public static Optional<String> known(DSLContext sql, String name) {
    if (!NAME.matcher(name).matches()) {
      return Optional.empty();
    }
    // the configurations visible on the search path (the built-in ones live in pg_catalog)
    String found = sql.resultQuery(
            "SELECT c.oid::regconfig::text FROM pg_catalog.pg_ts_config c WHERE c.cfgname = {0} AND pg_catalog.pg_ts_config_is_visible(c.oid)",
            DSL.val(name))
        .fetchOne(0, String.class);
    return Optional.ofNullable(found);
  }

  /** {@code name}, checked: INVALID_ARGUMENT on {@code field} when the server has no such configuration. */
  public static String require(DSLContext sql, String field, String name) {
    return known(sql, name).orElseThrow(() -> CairnException.invalidField(field,
        "'" + abbreviate(name) + "' is not a text search language of this server (expected: e.g. english, german, norwegian, simple)"));
  }

  private static String abbreviate(String name) {
    return name.length() <= 32 ? name : name.substring(0, 32) + "…";
  }
}
