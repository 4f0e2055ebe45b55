package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void retriesReadsAndCreatesWithRequestIdOnly() {
    Map<String, Object> config = RetryPolicy.serviceConfig(CairnClient.SERVICES);

    @SuppressWarnings("unchecked")
    Map<String, Object> methodConfig = ((List<Map<String, Object>>) config.get("methodConfig")).getFirst();
    @SuppressWarnings("unchecked")
    List<Map<String, String>> names = (List<Map<String, String>>) methodConfig.get("name");
    assertThat(names).filteredOn(name -> name.get("service").equals("cairn.identity.v1.IdentityService"))
        .extracting(name -> name.get("method"))
        .containsExactlyInAnyOrder("GetUser", "ListApiTokens", "CreateUser");
    // vault: reads and creates with a request id; never an upload stream or a use-counting redemption
    assertThat(names).extracting(name -> name.get("service") + "/" + name.get("method"))
        .contains("cairn.vault.v1.VaultService/DownloadItem", "cairn.vault.v1.SharingService/CreateGrant",
            "cairn.vault.v1.AuditService/VerifyAuditLog", "cairn.vault.v1.AuditService/ListAuditEvents")
        .doesNotContain("cairn.vault.v1.VaultService/UploadItem", "cairn.vault.v1.SharingService/RedeemAccessLink",
            "cairn.vault.v1.SharingService/RevokeGrant");
    // search: its reads are retried, a reindex request (a write without a request id) is not
    assertThat(names).filteredOn(name -> name.get("service").equals("cairn.search.v1.SearchService"))
        .extracting(name -> name.get("method"))
        .containsExactlyInAnyOrder("Search", "GetIndexStatus");
    // chat: reads, resumes and idempotent creates are retried; a send (its answer would replay
    // from the start) and a cancel are not
    assertThat(names).filteredOn(name -> name.get("service").equals("cairn.chat.v1.ChatService"))
        .extracting(name -> name.get("method"))
        .containsExactlyInAnyOrder("CreateConversation", "GetConversation", "ListConversations", "ListMessages",
            "StreamMessage");
    assertThat(methodConfig.get("retryPolicy")).isEqualTo(Map.of(
        "maxAttempts", 4.0,
        "initialBackoff", "0.2s",
        "maxBackoff", "5s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE")));
  }
}
