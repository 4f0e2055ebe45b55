package dev.cairn.server.vault.sharing.links;

import dev.cairn.server.vault.sharing.grants.Grants.Grant;
import dev.cairn.server.vault.sharing.grants.Grants.ReshareCascade;
import org.jooq.DSLContext;

/** A SHARE holder's access links go with the grant they were made through. */
public final class AccessLinkCascade implements ReshareCascade {
  private final AccessLinkRepository repository = new AccessLinkRepository();

  @Override
  public void revokeMadeThrough(DSLContext sql, Grant lost) {
    repository.revokeDerivedFrom(sql, lost);
  }
}
