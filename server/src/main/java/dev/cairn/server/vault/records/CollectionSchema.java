package dev.cairn.server.vault.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.AbsoluteIri;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaException;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.resource.AllowSchemaLoader;
import dev.cairn.server.core.CairnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A collection's JSON Schema (draft 2020-12), compiled, with the fields it declares
 * queryable through the top-level keyword {@code "x-cairn-queryable": ["age", "city"]}.
 * Each named field must be a top-level property; its {@code type} (and {@code format:
 * date-time}) decide how its values are indexed. Only those values are copied in plaintext
 * to record_values; the rest of a record is stored only encrypted.
 *
 * <p>Schemas may not reach outside the server: a {@code $ref} to anything but the bundled
 * draft 2020-12 meta-schemas is rejected instead of fetched. Nor may they make validating a
 * record unbounded: {@link SchemaBounds} refuses recursive, very deep and very large ones.
 */
final class CollectionSchema {
  static final String QUERYABLE_KEYWORD = "x-cairn-queryable";
  static final int MAX_QUERYABLE = 32;
  private static final Pattern FIELD_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,62}$");
  private static final String META_PREFIX = "https://json-schema.org/draft/2020-12/";

  static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private static final JsonSchemaFactory FACTORY = factory();
  private static final SchemaValidatorsConfig CONFIG =
      SchemaValidatorsConfig.builder()
          .pathType(PathType.JSON_PATH)
          .formatAssertionsEnabled(true)
          .build();

  private final @Nullable JsonSchema schema;
  private final Map<String, QueryableField> queryable;

  private CollectionSchema(@Nullable JsonSchema schema, Map<String, QueryableField> queryable) {
    this.schema = schema;
    this.queryable = Map.copyOf(queryable);
  }

  /** The schema of a collection without one: any object, nothing queryable. */
  static final CollectionSchema ANY_OBJECT = new CollectionSchema(null, Map.of());

  /**
   * Parses, checks (against the 2020-12 meta-schema) and compiles {@code text}; an empty
   * text accepts any object. Bad schemas are INVALID_ARGUMENT on {@code field}.
   */
  static CollectionSchema compile(String text, String field) {
    if (text.isBlank()) {
      return ANY_OBJECT;
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw CairnException.invalidField(field, "not valid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw CairnException.invalidField(field, "expected a JSON Schema object, e.g. {\"type\":\"object\"}");
    }
    // before anything walks the schema: the meta-schema check recurses as deep as it goes
    SchemaBounds.check(node, field, META_PREFIX);
    checkAgainstMetaSchema(node, field);
    Map<String, QueryableField> queryable = queryableFields(node, field);
    try {
      JsonSchema schema = FACTORY.getSchema(node, CONFIG);
      schema.initializeValidators();
      return new CollectionSchema(schema, queryable);
    } catch (JsonSchemaException | IllegalArgumentException | IllegalStateException e) {
      throw CairnException.invalidField(field, "not a usable JSON Schema: " + e.getMessage());
    }
  }

  /** Queryable fields by name. */
  Map<String, QueryableField> queryable() {
    return queryable;
  }

  /** The schema errors of {@code data} (empty when valid), with JSON-path locations. */
  List<ValidationMessage> validate(JsonNode data) {
    if (schema == null) {
      return List.of();
    }
    return new ArrayList<>(schema.validate(data));
  }

  private static void checkAgainstMetaSchema(JsonNode node, String field) {
    JsonSchema meta;
    try {
      meta = FACTORY.getSchema(SchemaLocation.of(SchemaId.V202012), CONFIG);
    } catch (JsonSchemaException e) {
      throw new IllegalStateException("the bundled 2020-12 meta-schema does not load", e);
    }
    Set<ValidationMessage> errors = meta.validate(node);
    if (!errors.isEmpty()) {
      throw CairnException.invalidField(
          field,
          "not a valid JSON Schema (draft 2020-12): "
              + errors.stream().map(ValidationMessage::getMessage).sorted().limit(5).toList());
    }
  }

  private static Map<String, QueryableField> queryableFields(JsonNode schema, String field) {
    JsonNode list = schema.get(QUERYABLE_KEYWORD);
    if (list == null) {
      return Map.of();
    }
    if (!list.isArray() || list.size() > MAX_QUERYABLE) {
      throw CairnException.invalidField(
          field, QUERYABLE_KEYWORD + ": expected an array of at most " + MAX_QUERYABLE + " property names");
    }
    JsonNode properties = schema.path("properties");
    Map<String, QueryableField> out = new LinkedHashMap<>();
    for (JsonNode name : list) {
      if (!name.isTextual() || !FIELD_NAME.matcher(name.asText()).matches()) {
        throw CairnException.invalidField(
            field, QUERYABLE_KEYWORD + ": " + name + " (expected a property name of letters, digits and _)");
      }
      JsonNode property = properties.get(name.asText());
      if (property == null) {
        throw CairnException.invalidField(
            field, QUERYABLE_KEYWORD + ": \"" + name.asText() + "\" is not a top-level property in \"properties\"");
      }
      out.put(name.asText(), describe(name.asText(), property));
    }
    return out;
  }

  private static QueryableField describe(String name, JsonNode property) {
    String type = typeOf(property);
    if ("array".equals(type)) {
      JsonNode items = property.path("items");
      return new QueryableField(name, scalar(typeOf(items), items), true);
    }
    return new QueryableField(name, scalar(type, property), false);
  }

  /** The single non-null type a schema names, or null. */
  private static @Nullable String typeOf(JsonNode schema) {
    JsonNode type = schema.get("type");
    if (type == null) {
      return null;
    }
    if (type.isTextual()) {
      return type.asText();
    }
    List<String> named = new ArrayList<>();
    type.forEach(t -> {
      if (!"null".equals(t.asText())) {
        named.add(t.asText());
      }
    });
    return named.size() == 1 ? named.getFirst() : null;
  }

  private static QueryableField.Type scalar(@Nullable String type, JsonNode schema) {
    if (type == null) {
      return QueryableField.Type.ANY;
    }
    return switch (type) {
      case "number", "integer" -> QueryableField.Type.NUMBER;
      case "boolean" -> QueryableField.Type.BOOLEAN;
      case "string" ->
          "date-time".equals(schema.path("format").asText())
              ? QueryableField.Type.DATE_TIME
              : QueryableField.Type.STRING;
      default -> QueryableField.Type.ANY;
    };
  }

  private static JsonSchemaFactory factory() {
    JsonMetaSchema meta =
        JsonMetaSchema.builder(JsonMetaSchema.getV202012())
            .keyword(new NonValidationKeyword(QUERYABLE_KEYWORD))
            .build();
    return JsonSchemaFactory.builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012))
        .metaSchema(meta)
        // never fetch: only the bundled meta-schemas (mapped to the classpath) may load
        .schemaLoaders(loaders -> loaders.add(new AllowSchemaLoader(CollectionSchema::bundled)))
        .build();
  }

  private static boolean bundled(AbsoluteIri iri) {
    String s = iri.toString();
    return s.startsWith("classpath:") || s.startsWith(META_PREFIX);
  }
}
