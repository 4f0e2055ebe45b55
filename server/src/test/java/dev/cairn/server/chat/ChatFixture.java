package dev.cairn.server.chat;

import com.google.protobuf.ByteString;
import dev.cairn.chat.v1.ChatServiceGrpc;
import dev.cairn.chat.v1.Conversation;
import dev.cairn.chat.v1.CreateConversationRequest;
import dev.cairn.chat.v1.Message;
import dev.cairn.chat.v1.SendMessageRequest;
import dev.cairn.chat.v1.SendMessageResponse;
import dev.cairn.identity.v1.CreateApiTokenRequest;
import dev.cairn.identity.v1.CreateUserRequest;
import dev.cairn.identity.v1.IdentityServiceGrpc;
import dev.cairn.identity.v1.TokenScope;
import dev.cairn.identity.v1.User;
import dev.cairn.server.app.CairnServer;
import dev.cairn.server.testing.CairnTestServer;
import dev.cairn.server.testing.CairnTestServer.TestUser;
import dev.cairn.server.testing.TestDatabase;
import dev.cairn.vault.v1.CreateGrantRequest;
import dev.cairn.vault.v1.CreateItemRequest;
import dev.cairn.vault.v1.Grant;
import dev.cairn.vault.v1.Item;
import dev.cairn.vault.v1.RevokeGrantRequest;
import dev.cairn.vault.v1.Role;
import dev.cairn.vault.v1.SharingServiceGrpc;
import dev.cairn.vault.v1.VaultServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * Two Cairn replicas (Netty on ephemeral ports) on the shared test PostgreSQL, with the same keys
 * (as replicas behind one load balancer have), each answering chat with its own {@link
 * ScriptedGenerator}; helpers for users, documents, grants and chat calls.
 */
final class ChatFixture {
  static final ChatFixture INSTANCE = new ChatFixture();

  final ScriptedGenerator generatorA = new ScriptedGenerator();
  final ScriptedGenerator generatorB = new ScriptedGenerator();
  final CairnServer a;
  final CairnServer b;
  final ManagedChannel channelA;
  final ManagedChannel channelB;

  private ChatFixture() {
    // the same keys as every other server on the test database (CairnTestServer.config)
    var quiet = new PrintStream(PrintStream.nullOutputStream());
    a = CairnServer.start(CairnTestServer.config(Map.of()), CairnTestServer.CLOCK, quiet, generatorA);
    b = CairnServer.start(CairnTestServer.config(Map.of()), CairnTestServer.CLOCK, quiet, generatorB);
    channelA = NettyChannelBuilder.forAddress("localhost", a.grpcPort()).usePlaintext().build();
    channelB = NettyChannelBuilder.forAddress("localhost", b.grpcPort()).usePlaintext().build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      channelA.shutdownNow();
      channelB.shutdownNow();
      a.close();
      b.close();
    }));
  }

  ChatServiceGrpc.ChatServiceBlockingStub chat(TestUser user) {
    return ChatServiceGrpc.newBlockingStub(channelA).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  ChatServiceGrpc.ChatServiceBlockingStub chatOnB(TestUser user) {
    return ChatServiceGrpc.newBlockingStub(channelB).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  ChatServiceGrpc.ChatServiceStub asyncChat(TestUser user) {
    return ChatServiceGrpc.newStub(channelA).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  TestUser newUser(String prefix) {
    var admin = IdentityServiceGrpc.newBlockingStub(channelA).withCallCredentials(
        CairnTestServer.bearer(CairnTestServer.ADMIN_TOKEN));
    String username = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    User user = admin.createUser(CreateUserRequest.newBuilder().setUser(User.newBuilder().setUsername(username)).build())
        .getUser();
    String token = admin.createApiToken(CreateApiTokenRequest.newBuilder().setParent(user.getName())
        .setDisplayName("test").addScopes(TokenScope.TOKEN_SCOPE_READ).addScopes(TokenScope.TOKEN_SCOPE_WRITE).build())
        .getToken();
    return new TestUser(user, token);
  }

  /** A searchable text document, indexed before this returns. */
  String document(TestUser owner, String displayName, String text) {
    return document(owner, displayName, "text/plain", text.getBytes(StandardCharsets.UTF_8));
  }

  /** A searchable document of any media type, indexed before this returns. */
  String document(TestUser owner, String displayName, String mediaType, byte[] content) {
    Item item = Item.newBuilder().setKind(Item.Kind.KIND_DOCUMENT).setDisplayName(displayName)
        .setMediaType(mediaType).setSearchable(true).setContent(ByteString.copyFrom(content)).build();
    String name = VaultServiceGrpc.newBlockingStub(channelA).withCallCredentials(CairnTestServer.bearer(owner.token()))
        .createItem(CreateItemRequest.newBuilder().setItem(item).build()).getItem().getName();
    a.jobWorker().runDue();
    // replica B's worker may have claimed the index job: wait for whichever ran it
    try {
      if (!eventually(Duration.ofSeconds(30), () -> !superuser(
          "SELECT 1 FROM cairn.search_index_status WHERE item_id = ? AND indexed_version = 1", id(name)).isEmpty())) {
        throw new IllegalStateException(name + " was not indexed in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return name;
  }

  String grant(TestUser owner, TestUser grantee, String item) {
    var grant = Grant.newBuilder().setGrantee(grantee.user().getName()).setTarget(item).setRole(Role.ROLE_READ)
        .setPurpose("chat test");
    return sharing(owner).createGrant(CreateGrantRequest.newBuilder().setGrant(grant).build()).getGrant().getName();
  }

  /** A consent (the owner's signed agreement) letting the recipient read one item; its grants do the reading. */
  dev.cairn.vault.v1.Consent consent(TestUser owner, TestUser recipient, String item) {
    var consent = dev.cairn.vault.v1.Consent.newBuilder()
        .setRecipient(recipient.user().getName())
        .setPurpose("chat consent test")
        .setRole(Role.ROLE_READ)
        .setEndTime(com.google.protobuf.Timestamp.newBuilder()
            .setSeconds(java.time.Instant.now().plus(java.time.Duration.ofDays(30)).getEpochSecond()))
        .setItems(dev.cairn.vault.v1.Consent.ItemScope.newBuilder().addItems(item))
        .setAgreement(dev.cairn.vault.v1.Consent.Agreement.newBuilder().setAgreed(true).setText("I agree")
            .setTextVersion("v1").setCollectionMethod("test"));
    return sharing(owner).createConsent(dev.cairn.vault.v1.CreateConsentRequest.newBuilder().setConsent(consent).build())
        .getConsent();
  }

  void revokeConsent(TestUser owner, String consent) {
    sharing(owner).revokeConsent(dev.cairn.vault.v1.RevokeConsentRequest.newBuilder().setName(consent).build());
  }

  void revoke(TestUser owner, String grant) {
    sharing(owner).revokeGrant(RevokeGrantRequest.newBuilder().setName(grant).build());
  }

  private SharingServiceGrpc.SharingServiceBlockingStub sharing(TestUser user) {
    return SharingServiceGrpc.newBlockingStub(channelA).withCallCredentials(CairnTestServer.bearer(user.token()));
  }

  /** Where most chat tests start: a new user with one searchable document and an empty conversation. */
  record Start(TestUser user, String item, Conversation conversation) {}

  Start userWithDocument(String displayName, String text) {
    TestUser user = newUser("alice");
    String item = document(user, displayName, text);
    return new Start(user, item, conversation(user));
  }

  /**
   * Sends in a call of its own and drops that call (as a client that goes away) once the
   * generator is held at its script's hold point; returns the answer's name.
   */
  String sendAndDrop(TestUser user, SendMessageRequest request, Duration wait) throws Exception {
    var call = io.grpc.Context.current().withCancellation();
    try {
      Iterator<SendMessageResponse> stream = call.call(() -> chat(user).sendMessage(request));
      String answer = call.call(() -> stream.next().getStarted().getMessage().getName());
      if (!generatorA.awaitHeld(wait)) {
        throw new IllegalStateException("the generator did not reach its hold point in " + wait);
      }
      return answer;
    } finally {
      call.cancel(null);
    }
  }

  Conversation conversation(TestUser user) {
    return chat(user).createConversation(CreateConversationRequest.getDefaultInstance()).getConversation();
  }

  /** Sends and reads the whole stream. */
  static List<SendMessageResponse> sendAll(ChatServiceGrpc.ChatServiceBlockingStub stub, SendMessageRequest request) {
    List<SendMessageResponse> out = new ArrayList<>();
    Iterator<SendMessageResponse> it = stub.sendMessage(request);
    it.forEachRemaining(out::add);
    return out;
  }

  static SendMessageRequest send(Conversation c, String text) {
    return SendMessageRequest.newBuilder().setParent(c.getName()).setText(text).build();
  }

  static String answerText(List<SendMessageResponse> events) {
    StringBuilder text = new StringBuilder();
    events.stream().filter(SendMessageResponse::hasDelta).forEach(e -> text.append(e.getDelta().getText()));
    return text.toString();
  }

  /** The stored answer (as its owner sees it through ListMessages). */
  Message stored(TestUser owner, String messageName) {
    String parent = messageName.substring(0, messageName.indexOf("/messages/"));
    return chat(owner).listMessages(dev.cairn.chat.v1.ListMessagesRequest.newBuilder().setParent(parent)
            .setPageSize(1000).build())
        .getMessagesList().stream().filter(m -> m.getName().equals(messageName)).findFirst().orElseThrow();
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes. */
  static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }

  /** One column of rows, as the superuser sees them (no RLS). */
  static List<String> superuser(String sql, Object... args) {
    try (var c = DriverManager.getConnection(TestDatabase.get().url(), "postgres", "");
        var ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      List<String> out = new ArrayList<>();
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static UUID id(String name) {
    return UUID.fromString(name.substring(name.lastIndexOf('/') + 1));
  }

  /** A PDF with one page per entry, each page's text as one line. */
  static byte[] pdf(List<String> pages) {
    try (var doc = new org.apache.pdfbox.pdmodel.PDDocument()) {
      for (String text : pages) {
        var page = new org.apache.pdfbox.pdmodel.PDPage();
        doc.addPage(page);
        try (var out = new org.apache.pdfbox.pdmodel.PDPageContentStream(doc, page)) {
          out.beginText();
          out.setFont(new org.apache.pdfbox.pdmodel.font.PDType1Font(
              org.apache.pdfbox.pdmodel.font.Standard14Fonts.FontName.HELVETICA), 12);
          out.newLineAtOffset(72, 700);
          out.showText(text);
          out.endText();
        }
      }
      var bytes = new java.io.ByteArrayOutputStream();
      doc.save(bytes);
      return bytes.toByteArray();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Links every queued audit event into its chain. */
  void chainAudit() {
    new dev.cairn.server.audit.AuditChainer(a.vault().database()).chainAll();
  }
}
