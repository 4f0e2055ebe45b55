package dev.cairn.server.vault.sharing.grants;

/** Test-only: stands for the grants feature's repository in ArchitectureTest's sharing rule. */
public final class FixtureGrantRepository {
  public int count() {
    return 0;
  }
}
