package dev.cairn.server.arch;

import dev.cairn.server.db.jooq.Tables;

/** Test-only: no repository, yet it uses a generated table (what ArchitectureTest's jOOQ rule must refuse). */
final class FixtureJooqUser {
  Object table() {
    return Tables.ITEMS;
  }
}
