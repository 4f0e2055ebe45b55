package dev.cairn.client;

import static java.util.Objects.requireNonNull;

import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.vault.v1.AuditServiceGrpc;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A connection to one Cairn server and the stubs to call it. Every call made through it carries
 * the token ({@code authorization: Bearer …}), a default deadline when it has none (30 s for unary
 * calls), a {@code request_id} when the request has an empty one, and is retried on
 * {@code UNAVAILABLE} when that is safe (reads, and writes with a request id). Thread-safe; make one
 * per server and share it.
 *
 * <pre>{@code
 * try (CairnClient cairn = CairnClient.fromEnvironment()) {
 *   User me = cairn.identity().getUser(GetUserRequest.newBuilder().setName("users/me").build()).getUser();
 * }
 * }</pre>
 *
 * <p>Stubs for other gRPC services (health, reflection) can be made on {@link #channel()}; they get
 * the same token and deadline.
 */
public final class CairnClient implements AutoCloseable {

  /** The Cairn services this SDK knows; their safe methods get the retry policy. */
  static final List<ServiceDescriptor> SERVICES = List.of(
      IdentityServiceGrpc.getServiceDescriptor(),
      VaultServiceGrpc.getServiceDescriptor(),
      SharingServiceGrpc.getServiceDescriptor(),
      AuditServiceGrpc.getServiceDescriptor(),
      SearchServiceGrpc.getServiceDescriptor(),
      ChatServiceGrpc.getServiceDescriptor());

  public static final String DEFAULT_TARGET = "localhost:50051";
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  private final @Nullable ManagedChannel ownedChannel;
  private final Channel channel;
  private final IdentityServiceGrpc.IdentityServiceBlockingStub identity;
  private final IdentityServiceGrpc.IdentityServiceFutureStub identityFuture;
  private final IdentityServiceGrpc.IdentityServiceStub identityAsync;
  private final VaultServiceGrpc.VaultServiceBlockingStub vault;
  private final VaultServiceGrpc.VaultServiceStub vaultAsync;
  private final SharingServiceGrpc.SharingServiceBlockingStub sharing;
  private final AuditServiceGrpc.AuditServiceBlockingStub audit;
  private final SearchServiceGrpc.SearchServiceBlockingStub search;
  private final ChatServiceGrpc.ChatServiceBlockingStub chat;

  private CairnClient(@Nullable ManagedChannel ownedChannel, Channel channel) {
    this.ownedChannel = ownedChannel;
    this.channel = channel;
    this.identity = IdentityServiceGrpc.newBlockingStub(channel);
    this.identityFuture = IdentityServiceGrpc.newFutureStub(channel);
    this.identityAsync = IdentityServiceGrpc.newStub(channel);
    this.vault = VaultServiceGrpc.newBlockingStub(channel);
    this.vaultAsync = VaultServiceGrpc.newStub(channel);
    this.sharing = SharingServiceGrpc.newBlockingStub(channel);
    this.audit = AuditServiceGrpc.newBlockingStub(channel);
    this.search = SearchServiceGrpc.newBlockingStub(channel);
    this.chat = ChatServiceGrpc.newBlockingStub(channel);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A client configured from {@code CAIRN_TARGET}, {@code CAIRN_TOKEN}, {@code CAIRN_TLS}, {@code CAIRN_CA_FILE}. */
  public static CairnClient fromEnvironment() {
    return builder().environment(System.getenv()).build();
  }

  /** Users and API tokens (blocking). */
  public IdentityServiceGrpc.IdentityServiceBlockingStub identity() {
    return identity;
  }

  /** Users and API tokens (ListenableFuture). */
  public IdentityServiceGrpc.IdentityServiceFutureStub identityFuture() {
    return identityFuture;
  }

  /** Users and API tokens (StreamObserver). */
  public IdentityServiceGrpc.IdentityServiceStub identityAsync() {
    return identityAsync;
  }

  /** Items, versions, collections and records (blocking; DownloadItem returns an iterator). */
  public VaultServiceGrpc.VaultServiceBlockingStub vault() {
    return vault;
  }

  /** Items (StreamObserver): UploadItem, which streams from the client, needs this flavour. */
  public VaultServiceGrpc.VaultServiceStub vaultAsync() {
    return vaultAsync;
  }

  /** Grants, access links and consents (blocking). */
  public SharingServiceGrpc.SharingServiceBlockingStub sharing() {
    return sharing;
  }

  /** The caller's audit log (blocking). */
  public AuditServiceGrpc.AuditServiceBlockingStub audit() {
    return audit;
  }

  /** Search over what the caller can read, and the index status of its items (blocking). */
  public SearchServiceGrpc.SearchServiceBlockingStub search() {
    return search;
  }

  /**
   * Conversations and their streamed answers (blocking; SendMessage and StreamMessage return
   * iterators). SendMessage is never retried by the SDK, even with its request id: a retry would
   * replay the answer from its start over text already shown; resume with StreamMessage instead.
   */
  public ChatServiceGrpc.ChatServiceBlockingStub chat() {
    return chat;
  }

  /** The channel with the token, deadline and request-id interceptors applied, for other stubs. */
  public Channel channel() {
    return channel;
  }

  /**
   * Shuts the channel down if this client created it (waiting up to 5 s for calls in flight); a
   * channel passed to {@link Builder#channel(ManagedChannel)} is the caller's to close.
   */
  @Override
  public void close() {
    if (ownedChannel == null) {
      return;
    }
    ownedChannel.shutdown();
    try {
      if (!ownedChannel.awaitTermination(5, TimeUnit.SECONDS)) {
        ownedChannel.shutdownNow();
      }
    } catch (InterruptedException e) {
      ownedChannel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Configures and builds a {@link CairnClient}; everything has a default. */
  public static final class Builder {
    private String target = DEFAULT_TARGET;
    private @Nullable String token;
    private boolean tls;
    private @Nullable Path trustCertificates;
    private boolean allowPlaintextToken;
    private @Nullable Duration defaultDeadline = DEFAULT_DEADLINE;
    private @Nullable Duration streamingDeadline;
    private String userAgent = "cairn-java";
    private boolean retries = true;
    private @Nullable ManagedChannel channel;
    private @Nullable ManagedChannelBuilder<?> channelBuilder;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();

    private Builder() {}

    /** {@code host:port} or any gRPC target URI ({@code dns:///cairn.example.com:443}). Default {@code localhost:50051}. */
    public Builder target(String target) {
      this.target = requireNonNull(target, "target");
      return this;
    }

    /** The bearer token ({@code cairn_pat_…}, the admin token, or a JWT); null sends none. */
    public Builder token(@Nullable String token) {
      this.token = token == null || token.isBlank() ? null : token.strip();
      return this;
    }

    /** Use TLS, trusting the JDK's default CAs unless {@link #trustCertificates(Path)} is set. */
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /** Trust these PEM CA certificates (and turn TLS on). */
    public Builder trustCertificates(Path caFile) {
      this.trustCertificates = requireNonNull(caFile, "caFile");
      this.tls = true;
      return this;
    }

    /**
     * Send the token over plaintext to hosts other than loopback. Off by default: a bearer token
     * sent in the clear can be stolen from the network. Turn on only behind a mesh that encrypts.
     */
    public Builder allowPlaintextToken(boolean allow) {
      this.allowPlaintextToken = allow;
      return this;
    }

    /** Deadline for unary calls that have none; null for none. Default 30 s. */
    public Builder defaultDeadline(@Nullable Duration deadline) {
      this.defaultDeadline = positive(deadline, "defaultDeadline");
      return this;
    }

    /** Deadline for streaming calls (downloads, uploads, chat) that have none; null (the default) for none. */
    public Builder streamingDeadline(@Nullable Duration deadline) {
      this.streamingDeadline = positive(deadline, "streamingDeadline");
      return this;
    }

    /** Prepended to grpc-java's own user agent. Default {@code cairn-java}. */
    public Builder userAgent(String userAgent) {
      this.userAgent = requireNonNull(userAgent, "userAgent");
      return this;
    }

    /** Retry safe calls on UNAVAILABLE (default on). Applies only to channels this builder creates. */
    public Builder retries(boolean retries) {
      this.retries = retries;
      return this;
    }

    /** An extra interceptor, run before the client's own (e.g. tracing). */
    public Builder intercept(ClientInterceptor interceptor) {
      interceptors.add(requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Use an existing channel instead of opening one; target, TLS, user agent and retries are then
     * the channel's business, and {@link CairnClient#close()} leaves it open.
     */
    public Builder channel(ManagedChannel channel) {
      this.channel = requireNonNull(channel, "channel");
      return this;
    }

    /**
     * Build the channel from this builder (e.g. {@code InProcessChannelBuilder.forName(…)} in tests)
     * instead of from the target; the user agent and retry policy are applied to it and the client
     * owns the channel.
     */
    public Builder channelBuilder(ManagedChannelBuilder<?> channelBuilder) {
      this.channelBuilder = requireNonNull(channelBuilder, "channelBuilder");
      return this;
    }

    /**
     * Reads {@code CAIRN_TARGET}, {@code CAIRN_TOKEN}, {@code CAIRN_TLS} (true/false),
     * {@code CAIRN_CA_FILE} and {@code CAIRN_ALLOW_PLAINTEXT_TOKEN} from {@code env}; absent
     * variables leave the builder's value.
     */
    public Builder environment(Map<String, String> env) {
      requireNonNull(env, "env");
      String value = env.get("CAIRN_TARGET");
      if (value != null && !value.isBlank()) {
        target(value.strip());
      }
      value = env.get("CAIRN_TOKEN");
      if (value != null && !value.isBlank()) {
        token(value);
      }
      value = env.get("CAIRN_TLS");
      if (value != null && !value.isBlank()) {
        tls(parseBoolean("CAIRN_TLS", value));
      }
      value = env.get("CAIRN_CA_FILE");
      if (value != null && !value.isBlank()) {
        trustCertificates(Path.of(value.strip()));
      }
      value = env.get("CAIRN_ALLOW_PLAINTEXT_TOKEN");
      if (value != null && !value.isBlank()) {
        allowPlaintextToken(parseBoolean("CAIRN_ALLOW_PLAINTEXT_TOKEN", value));
      }
      return this;
    }

    public CairnClient build() {
      ManagedChannel owned = null;
      ManagedChannel base = channel;
      if (base == null) {
        ManagedChannelBuilder<?> builder = channelBuilder != null ? channelBuilder : nettyBuilder();
        builder.userAgent(userAgent);
        if (retries) {
          builder.defaultServiceConfig(RetryPolicy.serviceConfig(SERVICES)).enableRetry();
        }
        owned = builder.build();
        base = owned;
      }
      List<ClientInterceptor> chain = new ArrayList<>();
      // ClientInterceptors.intercept runs the last interceptor first, so list them innermost first.
      chain.add(new RequestIdInterceptor());
      if (token != null) {
        chain.add(new CredentialsInterceptor(new BearerTokenCredentials(token, allowPlaintextToken)));
      }
      chain.add(new DefaultDeadlineInterceptor(defaultDeadline, streamingDeadline));
      chain.addAll(interceptors.reversed());
      return new CairnClient(owned, ClientInterceptors.intercept(base, chain));
    }

    private ManagedChannelBuilder<?> nettyBuilder() {
      ChannelCredentials credentials;
      if (!tls) {
        credentials = InsecureChannelCredentials.create();
      } else if (trustCertificates == null) {
        credentials = TlsChannelCredentials.create();
      } else {
        if (!Files.isReadable(trustCertificates)) {
          throw new IllegalArgumentException(
              "CA file " + trustCertificates + " is not readable (expected: a PEM file of trusted certificates)");
        }
        try {
          credentials = TlsChannelCredentials.newBuilder().trustManager(trustCertificates.toFile()).build();
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read CA file " + trustCertificates, e);
        }
      }
      return NettyChannelBuilder.forTarget(target, credentials);
    }

    private static @Nullable Duration positive(@Nullable Duration duration, String name) {
      if (duration != null && (duration.isNegative() || duration.isZero())) {
        throw new IllegalArgumentException(name + ": " + duration + " (expected: positive, or null for none)");
      }
      return duration;
    }

    private static boolean parseBoolean(String name, String value) {
      return switch (value.strip().toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes", "on" -> true;
        case "false", "0", "no", "off" -> false;
        default -> throw new IllegalArgumentException(name + ": '" + value + "' (expected: true or false)");
      };
    }
  }

  /** Attaches the token to calls that carry no credentials of their own. */
  private static final class CredentialsInterceptor implements ClientInterceptor {
    private final CallCredentials credentials;

    CredentialsInterceptor(CallCredentials credentials) {
      this.credentials = credentials;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
      if (callOptions.getCredentials() == null) {
        callOptions = callOptions.withCallCredentials(credentials);
      }
      return next.newCall(method, callOptions);
    }
  }
}
