package dev.cairn.server.mcp;

import static java.util.Objects.requireNonNull;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Stubs of Cairn's own gRPC services, over the in-process channel, that carry the MCP caller's
 * token and a request id naming the tool ({@code mcp.search.<random>}), so the RPC authenticates,
 * authorises, validates and audits the call exactly as it would a client's, and its log and audit
 * lines show it came through MCP.
 */
final class CairnStubs {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);

  private final Channel channel;
  private final SecureRandom random = new SecureRandom();

  CairnStubs(Channel channel) {
    this.channel = requireNonNull(channel, "channel");
  }

  VaultServiceGrpc.VaultServiceBlockingStub vault(McpCaller caller, String tool, Duration deadline) {
    return as(VaultServiceGrpc.newBlockingStub(channel), caller, tool, deadline);
  }

  SearchServiceGrpc.SearchServiceBlockingStub search(McpCaller caller, String tool, Duration deadline) {
    return as(SearchServiceGrpc.newBlockingStub(channel), caller, tool, deadline);
  }

  ChatServiceGrpc.ChatServiceBlockingStub chat(McpCaller caller, String tool, Duration deadline) {
    return as(ChatServiceGrpc.newBlockingStub(channel), caller, tool, deadline);
  }

  private <S extends AbstractStub<S>> S as(S stub, McpCaller caller, String tool, Duration deadline) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + caller.token());
    byte[] id = new byte[8];
    random.nextBytes(id);
    headers.put(REQUEST_ID, "mcp." + tool + "." + HexFormat.of().formatHex(id));
    ClientInterceptor attach = MetadataUtils.newAttachHeadersInterceptor(headers);
    return stub.withInterceptors(attach).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }
}
