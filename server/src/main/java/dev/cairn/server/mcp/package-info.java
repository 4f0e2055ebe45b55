/**
 * The MCP endpoint: AI assistants reach a person's vault over Streamable HTTP (stateless) with
 * that person's bearer token. Every tool is a call to Cairn's own gRPC services through an
 * in-process channel carrying the caller's token, so authentication, scopes, validation, rights,
 * audit and error mapping are exactly the RPC's: there is no second access path.
 */
@NullMarked
package dev.cairn.server.mcp;

import org.jspecify.annotations.NullMarked;
