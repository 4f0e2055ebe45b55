package dev.cairn.server.vault.sharing;

import dev.cairn.server.core.ResourceNames;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** The value types grants, links and consents all speak in (no proto, no jOOQ). */
public final class Sharing {
  private Sharing() {}

  /** What a grant is on: one item, or one collection (all its records). */
  public record Target(boolean collection, UUID id) {
    public String name() {
      return (collection ? "collections/" : "items/") + id;
    }

    /** {@code items/{uuid}} or {@code collections/{uuid}}; anything unparseable is NOT_FOUND. */
    public static Target parse(String name) {
      boolean collection = name.startsWith("collections/");
      UUID id = ResourceNames.idOf(name);
      return new Target(collection, id);
    }

    /** As {@link #parse}, but null for a name that cannot name anything (list filters). */
    public static @Nullable Target parseOrNull(String name) {
      boolean collection = name.startsWith("collections/");
      return ResourceNames.uuid(name.substring(name.indexOf('/') + 1)).map(id -> new Target(collection, id)).orElse(null);
    }
  }

  /** Another user as sharing names them: their id and what a receipt shows. */
  public record UserInfo(UUID id, String username, String displayName) {}

  public static String userName(UUID id) {
    return "users/" + id;
  }
}
