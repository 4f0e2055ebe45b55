package dev.cairn.server.vault.sharing.links;

import dev.cairn.server.vault.sharing.grants.FixtureGrantRepository;

/** Test-only: a links class reaching into the grants feature's repository (ArchitectureTest must refuse it). */
public final class FixtureLinkService {
  public int grants(FixtureGrantRepository grants) {
    return grants.count();
  }
}
