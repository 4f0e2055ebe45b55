package dev.cairn.server.db;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * The position most lists seek from: the sort key (a time and an id) of the last row a page
 * returned. {@link PageTokens} seals it into the opaque token clients see.
 */
public record PageToken(OffsetDateTime time, UUID id) implements PagePosition {

  @Override
  public void writeTo(Writer out) {
    out.putTime(time).putUuid(id);
  }

  public static PageToken read(Reader in) {
    return new PageToken(in.getTime(), in.getUuid());
  }
}
