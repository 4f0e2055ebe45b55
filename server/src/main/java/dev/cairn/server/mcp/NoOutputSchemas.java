package dev.cairn.server.mcp;

import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.util.Map;

/**
 * The SDK's schema validator slot. Cairn's tools declare no output schemas and check their own
 * inputs (so errors name the argument), so nothing is ever validated against a schema here; the
 * SDK's default validator is not used because it needs json-schema-validator 2.x, while the vault
 * uses 1.5. Should a tool ever declare an output schema, this fails loudly instead of passing it.
 */
final class NoOutputSchemas implements JsonSchemaValidator {
  @Override
  public ValidationResponse validate(Map<String, Object> schema, Object structuredContent) {
    throw new UnsupportedOperationException("Cairn's MCP tools declare no output schema");
  }
}
