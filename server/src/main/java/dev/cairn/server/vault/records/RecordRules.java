package dev.cairn.server.vault.records;

import static dev.cairn.server.db.jooq.Tables.RECORD_VALUES;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.networknt.schema.ValidationMessage;
import dev.cairn.server.core.CairnException;
import dev.cairn.server.core.Principal;
import dev.cairn.server.vault.VaultContext;
import dev.cairn.server.vault.items.RecordValidator;
import dev.cairn.type.v1.ErrorReason;
import io.grpc.Status;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jspecify.annotations.Nullable;

/**
 * What the items path asks of collections when it stores a record: validate the data
 * against the collection's JSON Schema ({@link RecordValidator}), and pick out the queryable
 * field values (stored in plaintext in record_values so QueryRecords is index-backed; see
 * {@link #indexer()}).
 */
public final class RecordRules implements RecordValidator {
  /** Largest record, as canonical JSON (item.proto: "At most 1 MiB as canonical JSON"). */
  public static final int MAX_RECORD_BYTES = 1024 * 1024;
  /** The longest string value of a queryable field, in UTF-8 bytes. */
  public static final int MAX_QUERYABLE_STRING_BYTES = 1024;
  /** Schema errors reported per record; the rest are counted, not listed. */
  private static final int MAX_VIOLATIONS = 20;

  private final VaultContext vault;
  private final CollectionRepository collections = new CollectionRepository();
  private final SchemaCache schemas;

  public RecordRules(VaultContext vault) {
    this(vault, new SchemaCache());
  }

  RecordRules(VaultContext vault, SchemaCache schemas) {
    this.vault = requireNonNull(vault, "vault");
    this.schemas = requireNonNull(schemas, "schemas");
  }

  /** One queryable value of a record (arrays give one per element). */
  public record FieldValue(
      String field,
      java.math.@Nullable BigDecimal number,
      @Nullable String text,
      @Nullable Boolean bool,
      java.time.@Nullable OffsetDateTime time) {}

  /** A record that passed its schema: the canonical JSON to encrypt and the values to index. */
  public record Checked(byte[] json, List<FieldValue> values) {}

  /**
   * Validates {@code data} for a record in {@code collectionId} (owned by {@code owner}) as
   * {@code caller} may see it; INVALID_ARGUMENT with one field violation per schema error,
   * NOT_FOUND if the collection is not visible.
   *
   * <p>The collection is visible for writing to its owner, to holders of a live WRITE (or
   * SHARE) grant on it, and to holders of such a grant on one of its records (the items path
   * has already checked that the caller may write the record itself).
   */
  public Checked check(DSLContext sql, Principal caller, UUID owner, UUID collectionId, Struct data) {
    CollectionInfo collection =
        collections
            .findForRecordWrite(sql, caller, owner, collectionId)
            .orElseThrow(() -> CairnException.notFound("collections/" + collectionId));
    return check(schemas.get(collection), data);
  }

  @Override
  public byte[] canonicalJson(DSLContext sql, Principal caller, UUID owner, UUID collectionId, Struct data) {
    return check(sql, caller, owner, collectionId, data).json();
  }

  /**
   * The queryable values of a record's canonical JSON (as {@link #canonicalJson} made it), read
   * with the collection's schema as {@code caller} may see it for writing.
   */
  List<FieldValue> values(DSLContext sql, Principal caller, UUID owner, UUID collectionId, byte[] canonicalJson) {
    CollectionInfo collection =
        collections
            .findForRecordWrite(sql, caller, owner, collectionId)
            .orElseThrow(() -> CairnException.notFound("collections/" + collectionId));
    JsonNode json;
    try {
      json = canonical(CollectionSchema.JSON.readTree(canonicalJson));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("canonical record JSON did not parse", e);
    }
    return values(schemas.get(collection), json);
  }

  /** The listener that keeps record_values in step with each record's current version. */
  public RecordIndexer indexer() {
    return new RecordIndexer(this);
  }

  /** Validates {@code data} against an already loaded schema. */
  static Checked check(CollectionSchema schema, Struct data) {
    JsonNode json = canonical(toJson(data));
    byte[] bytes = write(json);
    if (bytes.length > MAX_RECORD_BYTES) {
      throw new CairnException(
          CairnException.Kind.INVALID_ARGUMENT,
          ErrorReason.ERROR_REASON_LIMIT_EXCEEDED,
          "item.data: " + bytes.length + " bytes as canonical JSON (expected at most " + MAX_RECORD_BYTES + ")",
          Map.of("limit", "max_record_bytes"),
          List.of(violation("item.data", bytes.length + " bytes (expected at most " + MAX_RECORD_BYTES + ")")));
    }
    List<ValidationMessage> errors = schema.validate(json);
    if (!errors.isEmpty()) {
      throw CairnException.invalid(violations(errors));
    }
    return new Checked(bytes, values(schema, json));
  }

  /** Replaces the indexed values of a record (inside the caller's transaction). */
  public void index(DSLContext sql, UUID owner, UUID collectionId, UUID item, List<FieldValue> values) {
    sql.deleteFrom(RECORD_VALUES).where(RECORD_VALUES.ITEM_ID.eq(item)).execute();
    if (values.isEmpty()) {
      return;
    }
    var insert =
        sql.insertInto(
            RECORD_VALUES,
            RECORD_VALUES.OWNER_ID,
            RECORD_VALUES.COLLECTION_ID,
            RECORD_VALUES.ITEM_ID,
            RECORD_VALUES.FIELD,
            RECORD_VALUES.NUM_VALUE,
            RECORD_VALUES.TEXT_VALUE,
            RECORD_VALUES.BOOL_VALUE,
            RECORD_VALUES.TIME_VALUE);
    for (FieldValue v : values) {
      insert = insert.values(owner, collectionId, item, v.field(), v.number(), v.text(), v.bool(), v.time());
    }
    insert.execute();
  }

  /** The compiled schema cache (shared with the query path, which needs the field types). */
  SchemaCache schemas() {
    return schemas;
  }

  // ------------------------------------------------------------------ JSON

  private static JsonNode toJson(Struct data) {
    try {
      return CollectionSchema.JSON.readTree(JsonFormat.printer().omittingInsignificantWhitespace().print(data));
    } catch (InvalidProtocolBufferException | JsonProcessingException e) {
      // a Struct always prints as JSON, except for NaN or infinite numbers
      throw CairnException.invalidField("item.data", "not representable as JSON: " + e.getMessage());
    }
  }

  /**
   * Canonical form: object keys sorted, integral numbers without a fraction (Struct carries
   * every number as a double, so 18 arrives as 18.0), so equal data has equal bytes.
   */
  static JsonNode canonical(JsonNode node) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (node.isObject()) {
      var sorted = new TreeMap<String, JsonNode>();
      node.properties().forEach(e -> sorted.put(e.getKey(), canonical(e.getValue())));
      ObjectNode out = f.objectNode();
      sorted.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      var out = f.arrayNode();
      node.forEach(e -> out.add(canonical(e)));
      return out;
    }
    if (node.isNumber()) {
      BigDecimal d = node.decimalValue().stripTrailingZeros();
      if (d.scale() <= 0 && d.abs().compareTo(BigDecimal.valueOf(1L << 53)) <= 0) {
        return f.numberNode(d.longValueExact());
      }
      return f.numberNode(d);
    }
    return node;
  }

  static byte[] write(JsonNode node) {
    try {
      return CollectionSchema.JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree did not serialise", e);
    }
  }

  // ------------------------------------------------------------------ violations

  private static List<BadRequest.FieldViolation> violations(List<ValidationMessage> errors) {
    List<ValidationMessage> sorted =
        errors.stream()
            .sorted(Comparator.comparing((ValidationMessage m) -> m.getInstanceLocation().toString())
                .thenComparing(ValidationMessage::getMessage))
            .toList();
    List<BadRequest.FieldViolation> out = new ArrayList<>();
    for (ValidationMessage m : sorted.subList(0, Math.min(MAX_VIOLATIONS, sorted.size()))) {
      out.add(violation(fieldPath(m), description(m)));
    }
    if (sorted.size() > MAX_VIOLATIONS) {
      out.add(violation("item.data", (sorted.size() - MAX_VIOLATIONS) + " more schema errors not listed"));
    }
    return out;
  }

  /** {@code $.address.city} → {@code item.data.address.city}; a missing property names itself. */
  private static String fieldPath(ValidationMessage m) {
    String location = m.getInstanceLocation().toString();
    String path = "item.data" + (location.startsWith("$") ? location.substring(1) : "." + location);
    if ("required".equals(m.getType()) && m.getProperty() != null) {
      path += "." + m.getProperty();
    }
    return path;
  }

  /** The library's message without its location prefix, plus which keyword failed. */
  private static String description(ValidationMessage m) {
    String message = m.getMessage();
    String prefix = m.getInstanceLocation() + ": ";
    if (message.startsWith(prefix)) {
      message = message.substring(prefix.length());
    }
    return message + " (schema: " + m.getType() + ")";
  }

  private static BadRequest.FieldViolation violation(String field, String description) {
    return BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description).build();
  }

  // ------------------------------------------------------------------ indexed values

  private static List<FieldValue> values(CollectionSchema schema, JsonNode json) {
    List<FieldValue> out = new ArrayList<>();
    for (QueryableField field : schema.queryable().values()) {
      JsonNode value = json.get(field.name());
      if (value == null || value.isNull()) {
        continue;
      }
      if (value.isArray()) {
        value.forEach(element -> scalar(field, element, out));
      } else {
        scalar(field, value, out);
      }
    }
    return out;
  }

  private static void scalar(QueryableField field, JsonNode v, List<FieldValue> out) {
    if (v.isNumber()) {
      out.add(new FieldValue(field.name(), v.decimalValue(), null, null, null));
    } else if (v.isTextual()) {
      int bytes = v.asText().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > MAX_QUERYABLE_STRING_BYTES) {
        // its B-tree index entry would pass PostgreSQL's limit (~2.7 kB), and its page tokens ours
        throw CairnException.invalidField("item.data." + field.name(), "a queryable string is indexed up to "
            + MAX_QUERYABLE_STRING_BYTES + " bytes of UTF-8; this one has " + bytes
            + " (leave long text out of x-cairn-queryable)");
      }
      OffsetDateTime time = field.type() == QueryableField.Type.DATE_TIME ? time(v.asText()) : null;
      out.add(new FieldValue(field.name(), null, v.asText(), null, time));
    } else if (v.isBoolean()) {
      out.add(new FieldValue(field.name(), null, null, v.booleanValue(), null));
    }
    // objects and nulls are not indexed: only scalars can be compared
  }

  private static @Nullable OffsetDateTime time(String text) {
    try {
      return OffsetDateTime.parse(text);
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
