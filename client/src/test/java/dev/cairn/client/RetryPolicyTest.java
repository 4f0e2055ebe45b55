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
    assertThat(names).extracting(name -> name.get("method"))
        .containsExactlyInAnyOrder("GetUser", "ListApiTokens", "CreateUser");
    assertThat(names).extracting(name -> name.get("service")).containsOnly("cairn.identity.v1.IdentityService");
    assertThat(methodConfig.get("retryPolicy")).isEqualTo(Map.of(
        "maxAttempts", 4.0,
        "initialBackoff", "0.2s",
        "maxBackoff", "5s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE")));
  }
}
