package dev.cairn.server.arch;

import dev.cairn.server.db.jooq.Tables;

/** Test-only: a repository using a generated table (what ArchitectureTest's jOOQ rule must allow). */
final class FixtureItemRepository {
  Object table() {
    return Tables.ITEMS;
  }
}
