package dev.cairn.tools.eval;

import com.google.protobuf.ByteString;
import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.search.v1.GetIndexStatusRequest;
import dev.cairn.search.v1.IndexSummary;
import dev.cairn.search.v1.SearchMode;
import dev.cairn.search.v1.SearchRequest;
import dev.cairn.search.v1.SearchResponse;
import dev.cairn.search.v1.SearchServiceGrpc;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.ListItemsRequest;
import dev.cairn.vault.v1.ListItemsResponse;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** The public API calls the evaluation makes, as one user, with backoff where the server asks for it. */
final class ApiClient {
  private final VaultServiceGrpc.VaultServiceBlockingStub vault;
  private final SearchServiceGrpc.SearchServiceBlockingStub search;
  final ChatServiceGrpc.ChatServiceBlockingStub chat;
  final String userId;
  private final String token;

  private ApiClient(ManagedChannel channel, String token, String userId) {
    var auth = MetadataUtils.newAttachHeadersInterceptor(bearer(token));
    this.vault = VaultServiceGrpc.newBlockingStub(channel).withInterceptors(auth);
    this.search = SearchServiceGrpc.newBlockingStub(channel).withInterceptors(auth);
    this.chat = ChatServiceGrpc.newBlockingStub(channel).withInterceptors(auth);
    this.userId = userId;
    this.token = token;
  }

  /** A fresh user (unique name) made with the admin token, and a client acting as it. */
  static ApiClient newUser(ManagedChannel channel, String adminToken, String prefix) {
    String username = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    User user = admin(channel, adminToken)
        .createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername(username)).build()).getUser();
    return forUser(channel, adminToken, user.getName().substring("users/".length()));
  }

  /** A client acting as an existing user, with a new read/write token the admin makes for it. */
  static ApiClient forUser(ManagedChannel channel, String adminToken, String userId) {
    String token = admin(channel, adminToken).createApiToken(CreateApiTokenRequest.newBuilder()
            .setParent("users/" + userId).setDisplayName("scifact-eval")
            .addScopes(TokenScope.TOKEN_SCOPE_READ).addScopes(TokenScope.TOKEN_SCOPE_WRITE)
            .build())
        .getToken();
    return new ApiClient(channel, token, userId);
  }

  /** A client acting as the user the token belongs to. */
  static ApiClient withToken(ManagedChannel channel, String token, String userId) {
    return new ApiClient(channel, token, userId);
  }

  String token() {
    return token;
  }

  private static IdentityServiceGrpc.IdentityServiceBlockingStub admin(ManagedChannel channel, String adminToken) {
    return IdentityServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(adminToken)));
  }

  /** Item name → SciFact id of every item of this user's that carries the label {@code scifact_id} (ListItems, all pages). */
  java.util.Map<String, String> scifactItems() {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    String page = "";
    do {
      ListItemsResponse r = vault.withDeadlineAfter(60, TimeUnit.SECONDS)
          .listItems(ListItemsRequest.newBuilder().setPageSize(1000).setPageToken(page).build());
      for (Item item : r.getItemsList()) {
        String id = item.getLabelsMap().get("scifact_id");
        if (id != null) {
          out.put(item.getName(), id);
        }
      }
      page = r.getNextPageToken();
    } while (!page.isEmpty());
    return out;
  }

  /** CreateItem text/plain "title\n\ntext", searchable, label scifact_id; retried on RESOURCE_EXHAUSTED / UNAVAILABLE with the same request id. */
  String create(SciFact.Doc doc) throws InterruptedException {
    var request = CreateItemRequest.newBuilder()
        .setRequestId(UUID.randomUUID().toString())
        .setItem(Item.newBuilder()
            .setKind(Item.Kind.KIND_DOCUMENT)
            .setDisplayName(doc.title().length() > 200 ? doc.title().substring(0, 199) + "…" : doc.title())
            .setMediaType("text/plain; charset=utf-8")
            .setSearchable(true)
            .putLabels("scifact_id", doc.id())
            .setContent(ByteString.copyFrom(doc.content(), StandardCharsets.UTF_8)))
        .build();
    long delayMillis = 200;
    for (int attempt = 1; ; attempt++) {
      try {
        return vault.withDeadlineAfter(60, TimeUnit.SECONDS).createItem(request).getItem().getName();
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        if (attempt >= 12 || (code != Status.Code.RESOURCE_EXHAUSTED && code != Status.Code.UNAVAILABLE)) {
          throw e;
        }
        Thread.sleep(delayMillis / 2 + ThreadLocalRandom.current().nextLong(delayMillis / 2 + 1));
        delayMillis = Math.min(10_000, delayMillis * 2);
      }
    }
  }

  /** Those of {@code items} whose index status is INDEXED now (one GetIndexStatus each, 8 in flight). */
  Set<String> indexed(java.util.Collection<String> items) throws InterruptedException {
    Set<String> out = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
      for (String item : items) {
        pool.submit(() -> {
          var status = search.withDeadlineAfter(60, TimeUnit.SECONDS)
              .getIndexStatus(GetIndexStatusRequest.newBuilder().setItem(item).build()).getItemStatus();
          if (status.getState() == dev.cairn.search.v1.ItemIndexStatus.State.STATE_INDEXED) {
            out.add(item);
          }
          return null;
        });
      }
    }
    return out;
  }

  IndexSummary summary() {
    return search.withDeadlineAfter(30, TimeUnit.SECONDS).getIndexStatus(GetIndexStatusRequest.getDefaultInstance()).getSummary();
  }

  /** The first {@code depth} distinct items for the query, paging as needed. */
  List<String> search(String query, SearchMode mode, int depth) {
    Set<String> items = new LinkedHashSet<>();
    String token = "";
    do {
      SearchResponse page = search.withDeadlineAfter(60, TimeUnit.SECONDS).search(SearchRequest.newBuilder()
          .setQuery(query).setMode(mode).setPageSize(Math.min(100, depth - items.size())).setPageToken(token).build());
      page.getHitsList().forEach(h -> items.add(h.getItem()));
      token = page.getNextPageToken();
    } while (!token.isEmpty() && items.size() < depth);
    return new ArrayList<>(items).subList(0, Math.min(depth, items.size()));
  }

  /** The first {@code depth} hits (one per item) for the query, paging as needed. */
  List<dev.cairn.search.v1.SearchHit> hits(String query, SearchMode mode, int depth) {
    java.util.Map<String, dev.cairn.search.v1.SearchHit> items = new java.util.LinkedHashMap<>();
    String token = "";
    do {
      SearchResponse page = search.withDeadlineAfter(60, TimeUnit.SECONDS).search(SearchRequest.newBuilder()
          .setQuery(query).setMode(mode).setPageSize(Math.min(100, depth - items.size())).setPageToken(token).build());
      page.getHitsList().forEach(h -> items.putIfAbsent(h.getItem(), h));
      token = page.getNextPageToken();
    } while (!token.isEmpty() && items.size() < depth);
    return new ArrayList<>(items.values()).subList(0, Math.min(depth, items.size()));
  }

  /** A chat stub on another channel with this user's token (the chat benchmark's baseline server gets the same headers). */
  ChatServiceGrpc.ChatServiceBlockingStub chatOn(ManagedChannel other) {
    return ChatServiceGrpc.newBlockingStub(other).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(token)));
  }

  private static Metadata bearer(String token) {
    Metadata auth = new Metadata();
    auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return auth;
  }
}
