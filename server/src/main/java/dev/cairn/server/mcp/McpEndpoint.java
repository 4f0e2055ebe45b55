package dev.cairn.server.mcp;

import static java.util.Objects.requireNonNull;

import dev.cairn.server.config.CairnConfig;
import dev.cairn.server.core.Authenticator;
import io.grpc.Channel;
import io.micrometer.core.instrument.MeterRegistry;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.DispatcherType;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.eclipse.jetty.ee11.servlet.FilterHolder;
import org.eclipse.jetty.ee11.servlet.ServletContextHandler;
import org.eclipse.jetty.ee11.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.VirtualThreadPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MCP endpoint: Jetty (every request on a virtual thread) serving the SDK's stateless
 * Streamable HTTP transport at {@code /mcp} behind the bearer check, and the RFC 9728 metadata at
 * {@code /.well-known/oauth-protected-resource}. Tools run on the request's thread and call Cairn's
 * gRPC services through {@code cairn}, the in-process channel.
 */
public final class McpEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(McpEndpoint.class);
  /** The largest JSON-RPC request body read (a create_item carries the document). */
  private static final int MAX_REQUEST_BYTES = 8 * 1024 * 1024;

  private final Server jetty;
  private final McpStatelessSyncServer mcp;

  private McpEndpoint(Server jetty, McpStatelessSyncServer mcp) {
    this.jetty = jetty;
    this.mcp = mcp;
  }

  /** Starts listening on the configured address and port. */
  public static McpEndpoint start(CairnConfig.McpConfig config, Channel cairn, Authenticator authenticator,
      MeterRegistry registry, String version) {
    requireNonNull(config, "config");
    var urls = new ResourceUrls(config.publicUrl());
    var stubs = new CairnStubs(cairn);
    List<CairnTool> tools = List.of(
        new SearchTool(stubs), new FetchTool(stubs, config.maxResultChars() - 4_000), new ListItemsTool(stubs),
        new QueryRecordsTool(stubs), new AskTool(stubs, config.maxResultChars() - 8_000),
        new CreateItemTool(stubs), new CreateRecordTool(stubs));
    Set<String> writeTools = tools.stream().filter(CairnTool::writes).map(CairnTool::name).collect(Collectors.toSet());
    var runner = new ToolRunner(new ToolMetrics(registry), config.maxResultChars());

    var jsonMapper = new JacksonMcpJsonMapper(new com.fasterxml.jackson.databind.ObjectMapper());
    HttpServletStatelessServerTransport transport = HttpServletStatelessServerTransport.builder()
        .jsonMapper(jsonMapper)
        .messageEndpoint(ResourceUrls.MCP_PATH)
        .maxRequestSize(MAX_REQUEST_BYTES)
        .contextExtractor(request -> {
          Object caller = request.getAttribute(BearerFilter.CALLER_ATTRIBUTE);
          return caller == null ? McpTransportContext.EMPTY : McpTransportContext.create(Map.of(McpCaller.KEY, caller));
        })
        .build();
    McpStatelessSyncServer mcp = McpServer.sync(transport)
        .serverInfo("cairn", version)
        .instructions("Cairn is this user's private vault of documents and records. search finds passages, fetch "
            + "reads an item, list_items and query_records browse, ask answers with citations. Every call acts "
            + "with this user's rights and is written to their audit log.")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(false).build())
        .jsonMapper(jsonMapper)
        .jsonSchemaValidator(new NoOutputSchemas())
        // the tools check their own arguments so that an error names the argument (an isError result)
        .validateToolInputs(false)
        // run on the request's virtual thread rather than hopping to Reactor's pool
        .immediateExecution(true)
        .requestTimeout(Duration.ofMinutes(4))
        .tools(tools.stream().map(runner::specification).toList())
        .addToolFilter((context, tool) -> !writeTools.contains(tool.name()) || canWrite(context))
        .build();

    Server jetty = new Server(new VirtualThreadPool());
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost(config.address());
    connector.setPort(config.port());
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    context.addServlet(new ServletHolder("mcp", transport), ResourceUrls.MCP_PATH);
    context.addFilter(new FilterHolder(new BearerFilter(authenticator, urls)), ResourceUrls.MCP_PATH,
        EnumSet.of(DispatcherType.REQUEST));
    var metadata = new ServletHolder("resource-metadata", new ResourceMetadataServlet(urls));
    context.addServlet(metadata, ResourceUrls.METADATA_PATH);
    context.addServlet(metadata, ResourceUrls.METADATA_PATH + ResourceUrls.MCP_PATH);
    jetty.setHandler(context);
    var endpoint = new McpEndpoint(jetty, mcp);
    try {
      jetty.start();
    } catch (Exception e) {
      endpoint.close();
      throw new IllegalStateException("could not listen for MCP on " + config.address() + ":" + config.port(), e);
    }
    log.info("MCP endpoint on http://{}:{}{} ({} tools)", config.address(), endpoint.port(), ResourceUrls.MCP_PATH,
        tools.size());
    return endpoint;
  }

  private static boolean canWrite(McpTransportContext context) {
    @Nullable Object caller = context.get(McpCaller.KEY);
    return caller instanceof McpCaller c && c.canWrite();
  }

  /** The port it listens on (the chosen one when configured as 0). */
  public int port() {
    return ((ServerConnector) jetty.getConnectors()[0]).getLocalPort();
  }

  @Override
  public void close() {
    try {
      jetty.stop();
    } catch (Exception e) {
      log.warn("error while stopping the MCP endpoint", e);
    }
    mcp.close();
  }
}
