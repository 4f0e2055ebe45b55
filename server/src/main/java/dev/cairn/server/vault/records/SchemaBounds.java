package dev.cairn.server.vault.records;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cairn.server.core.CairnException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Bounds what validating a record against a collection schema can cost, before the schema is
 * accepted. The validator recurses once per subschema it applies, with {@code $ref}s followed
 * where they stand, so a schema that refers to itself ({@code {"$ref":"#"}}) never ends, one
 * nested hundreds of levels deep overflows the stack, and shared definitions that each use the
 * one before twice grow exponentially. So: no recursion through {@code $ref}, at most {@link
 * #MAX_DEPTH} levels of subschemas and at most {@link #MAX_EXPANDED} subschemas, both counted
 * with every {@code $ref} replaced by what it points at. References may only point inside the
 * schema ({@code #/...}) or at the bundled draft 2020-12 meta-schemas.
 */
final class SchemaBounds {
  /** Deeper than any record: a request nests at most ~33 Struct levels before protobuf refuses it. */
  static final int MAX_DEPTH = 32;
  static final int MAX_EXPANDED = 20_000;

  private static final Set<String> ONE_SCHEMA = Set.of(
      "additionalProperties", "items", "contains", "propertyNames", "not", "if", "then", "else",
      "unevaluatedItems", "unevaluatedProperties", "contentSchema", "additionalItems");
  private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems", "items");
  private static final Set<String> NAMED_SCHEMAS = Set.of(
      "properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies");

  private record Size(long subschemas, int height) {}

  private record Child(JsonNode schema, String at) {}

  private final JsonNode root;
  private final String field;
  private final String metaPrefix;
  private final Map<JsonNode, Size> measured = new IdentityHashMap<>();
  private final Set<JsonNode> open = Collections.newSetFromMap(new IdentityHashMap<>());

  private SchemaBounds(JsonNode root, String field, String metaPrefix) {
    this.root = root;
    this.field = field;
    this.metaPrefix = metaPrefix;
  }

  /** INVALID_ARGUMENT on {@code field} when {@code schema} is recursive, too deep or too large. */
  static void check(JsonNode schema, String field, String metaPrefix) {
    new SchemaBounds(schema, field, metaPrefix).measure(schema, 1, "#");
  }

  private Size measure(JsonNode schema, int depth, String at) {
    if (depth > MAX_DEPTH) {
      throw invalid("subschemas nested deeper than " + MAX_DEPTH + " levels at " + at);
    }
    Size known = measured.get(schema);
    if (known != null) {
      if (depth + known.height() > MAX_DEPTH) {
        throw invalid("subschemas nested deeper than " + MAX_DEPTH + " levels through " + at);
      }
      return known;
    }
    if (!open.add(schema)) {
      throw invalid("recursive: " + at + " leads back to itself (recursive schemas are not supported)");
    }
    long subschemas = 1;
    int height = 0;
    for (Child child : children(schema, at)) {
      Size size = measure(child.schema(), depth + 1, child.at());
      subschemas += size.subschemas();
      height = Math.max(height, size.height() + 1);
      if (subschemas > MAX_EXPANDED) {
        throw invalid("expands to more than " + MAX_EXPANDED + " subschemas (each $ref counted where it is used)");
      }
    }
    open.remove(schema);
    Size size = new Size(subschemas, height);
    measured.put(schema, size);
    return size;
  }

  /** The subschemas {@code schema} applies, and what its {@code $ref} points at. */
  private List<Child> children(JsonNode schema, String at) {
    List<Child> out = new ArrayList<>();
    if (!schema.isObject()) {
      return out;
    }
    for (Map.Entry<String, JsonNode> e : schema.properties()) {
      String keyword = e.getKey();
      JsonNode value = e.getValue();
      String here = at + "/" + keyword;
      switch (keyword) {
        case "$ref" -> {
          if (value.isTextual()) {
            JsonNode target = resolve(value.asText(), here);
            if (target != null) {
              out.add(new Child(target, value.asText()));
            }
          }
        }
        case "$dynamicRef", "$recursiveRef" -> throw invalid(here + ": not supported (use $ref to #/$defs/...)");
        case "$id" -> {
          if (schema != root) {
            throw invalid(here + ": $id is supported only at the top level");
          }
        }
        default -> {
          if (ONE_SCHEMA.contains(keyword) && (value.isObject() || value.isBoolean())) {
            out.add(new Child(value, here));
          }
          if (SCHEMA_LISTS.contains(keyword) && value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
              out.add(new Child(value.get(i), here + "/" + i));
            }
          }
          if (NAMED_SCHEMAS.contains(keyword) && value.isObject()) {
            for (Map.Entry<String, JsonNode> named : value.properties()) {
              if (named.getValue().isObject() || named.getValue().isBoolean()) {
                out.add(new Child(named.getValue(), here + "/" + named.getKey()));
              }
            }
          }
        }
      }
    }
    return out;
  }

  /** The node a local reference names; null for a bundled meta-schema; anything else refused. */
  private @Nullable JsonNode resolve(String ref, String at) {
    if (ref.startsWith(metaPrefix)) {
      return null;
    }
    if (!ref.equals("#") && !ref.startsWith("#/")) {
      throw invalid(at + ": " + ref + " (expected: a reference inside the schema, #/$defs/name)");
    }
    JsonNode target;
    try {
      String pointer = ref.substring(1);
      if (pointer.indexOf('%') >= 0) {
        pointer = URLDecoder.decode(pointer.replace("+", "%2B"), StandardCharsets.UTF_8);
      }
      target = root.at(JsonPointer.compile(pointer));
    } catch (IllegalArgumentException e) {
      throw invalid(at + ": " + ref + " is not a JSON pointer");
    }
    if (target.isMissingNode()) {
      throw invalid(at + ": " + ref + " points at nothing in the schema");
    }
    return target;
  }

  private CairnException invalid(String description) {
    return CairnException.invalidField(field, description);
  }
}
