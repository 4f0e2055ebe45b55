package dev.cairn.server.vault.sharing.consents;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.cairn.server.config.CairnConfig.PiiController;
import dev.cairn.server.access.VaultAccess.Role;
import dev.cairn.server.crypto.Signer;
import dev.cairn.server.vault.sharing.Sharing;
import dev.cairn.server.vault.sharing.consents.Consents.Consent;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A consent receipt after the Kantara Consent Receipt Specification v1.1, built once from a
 * consent ({@link #of}) and rendered both as the signed JSON ({@link #json}) and, by
 * SharingGrpcService, as the {@code ConsentReceipt} message: the two cannot drift apart.
 * Fields in the specification's order; {@code consent} and those after it are Cairn's.
 */
public record KantaraReceipt(
    String version,
    String jurisdiction,
    OffsetDateTime consentTime,
    String collectionMethod,
    String consentReceiptId,
    String language,
    String piiPrincipalId,
    List<Controller> piiControllers,
    String policyUrl,
    List<Service> services,
    boolean sensitive,
    List<String> spiCategories,
    String consent,
    String recipient,
    Role role,
    List<String> scope,
    OffsetDateTime startTime,
    OffsetDateTime endTime,
    String agreementTextVersion,
    byte[] agreementTextSha256,
    @Nullable OffsetDateTime revokeTime) {

  static final String VERSION = "KI-CR-v1.1.0";

  /** A data controller (Kantara {@code piiControllers[]}). */
  public record Controller(String name, String contact, String email, String url, boolean onBehalf) {}

  /** A service and its purposes (Kantara {@code services[]}). */
  public record Service(String service, List<Purpose> purposes) {}

  /** Kantara {@code services[].purposes[]}. */
  public record Purpose(
      String purpose,
      List<String> purposeCategories,
      String consentType,
      List<String> piiCategories,
      boolean primaryPurpose,
      String termination,
      boolean thirdPartyDisclosure,
      String thirdPartyName) {}

  /** The receipt of {@code c}, naming its recipient as {@code recipientName} and the deployment's operator. */
  static KantaraReceipt of(Consent c, String recipientName, PiiController operator) {
    var purpose = new Purpose(
        c.purpose(), c.purposeCategories(), "EXPLICIT", c.piiCategories(), true,
        "Ends " + c.endsAt().toInstant() + " or when revoked by the owner", true, recipientName);
    return new KantaraReceipt(
        VERSION,
        c.jurisdiction(),
        c.createdAt(),
        c.agreement().collectionMethod(),
        c.id().toString(),
        "en",
        Sharing.userName(c.ownerId()),
        List.of(new Controller(operator.name(), operator.contact(), operator.email(), operator.url(), false)),
        c.policyUrl(),
        List.of(new Service("Cairn vault sharing", List.of(purpose))),
        c.sensitive(),
        c.sensitiveCategories(),
        "consents/" + c.id(),
        Sharing.userName(c.recipientId()),
        c.role(),
        c.scope(),
        c.startsAt(),
        c.endsAt(),
        c.agreement().textVersion(),
        Signer.sha256(c.agreement().text().getBytes(StandardCharsets.UTF_8)),
        c.revokedAt());
  }

  /**
   * The Kantara JSON (field names and order as in the specification; {@code consentTimestamp}
   * in epoch seconds, as it defines), with Cairn's extensions under {@code "cairn"}. These exact
   * bytes are signed.
   */
  byte[] json() {
    var json = new JsonObject();
    json.addProperty("version", version);
    json.addProperty("jurisdiction", jurisdiction);
    json.addProperty("consentTimestamp", consentTime.toEpochSecond());
    json.addProperty("collectionMethod", collectionMethod);
    json.addProperty("consentReceiptID", consentReceiptId);
    json.addProperty("language", language);
    json.addProperty("piiPrincipalId", piiPrincipalId);
    var controllers = new JsonArray();
    for (Controller c : piiControllers) {
      var controller = new JsonObject();
      controller.addProperty("piiController", c.name());
      controller.addProperty("contact", c.contact());
      controller.addProperty("email", c.email());
      controller.addProperty("piiControllerUrl", c.url());
      controller.addProperty("onBehalf", c.onBehalf());
      controllers.add(controller);
    }
    json.add("piiControllers", controllers);
    json.addProperty("policyUrl", policyUrl);
    var servicesJson = new JsonArray();
    for (Service s : services) {
      var purposes = new JsonArray();
      s.purposes().forEach(p -> purposes.add(json(p)));
      var service = new JsonObject();
      service.addProperty("service", s.service());
      service.add("purposes", purposes);
      servicesJson.add(service);
    }
    json.add("services", servicesJson);
    json.addProperty("sensitive", sensitive);
    json.add("spiCat", array(spiCategories));
    var cairn = new JsonObject();
    cairn.addProperty("consent", consent);
    cairn.addProperty("recipient", recipient);
    cairn.addProperty("role", role.name());
    cairn.add("scope", array(scope));
    cairn.addProperty("startTime", startTime.toInstant().toString());
    cairn.addProperty("endTime", endTime.toInstant().toString());
    cairn.addProperty("agreementTextVersion", agreementTextVersion);
    cairn.addProperty("agreementTextSha256", HexFormat.of().formatHex(agreementTextSha256));
    if (revokeTime != null) {
      cairn.addProperty("revokeTime", revokeTime.toInstant().toString());
    }
    json.add("cairn", cairn);
    return json.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static JsonObject json(Purpose p) {
    var purpose = new JsonObject();
    purpose.addProperty("purpose", p.purpose());
    purpose.add("purposeCategory", array(p.purposeCategories()));
    purpose.addProperty("consentType", p.consentType());
    purpose.add("piiCategory", array(p.piiCategories()));
    purpose.addProperty("primaryPurpose", p.primaryPurpose());
    purpose.addProperty("termination", p.termination());
    purpose.addProperty("thirdPartyDisclosure", p.thirdPartyDisclosure());
    purpose.addProperty("thirdPartyName", p.thirdPartyName());
    return purpose;
  }

  private static JsonArray array(List<String> values) {
    var array = new JsonArray();
    values.forEach(array::add);
    return array;
  }
}
