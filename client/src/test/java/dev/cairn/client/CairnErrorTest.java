package dev.cairn.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

class CairnErrorTest {

  @Test
  void describesReasonAndEachFieldViolation() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Code.INVALID_ARGUMENT_VALUE)
        .setMessage("the request is invalid")
        .addDetails(Any.pack(ErrorInfo.newBuilder()
            .setReason("INVALID_ARGUMENT").setDomain("cairn.dev").putMetadata("fields", "2").build()))
        .addDetails(Any.pack(BadRequest.newBuilder()
            .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                .setField("parent").setDescription("value does not match regex pattern `^users/[^/]+$`"))
            .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                .setField("scopes").setDescription("value must contain at least 1 item(s)"))
            .build()))
        .build();

    CairnError error = CairnError.from(StatusProto.toStatusRuntimeException(status));

    assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(error.reason()).isEqualTo("INVALID_ARGUMENT");
    assertThat(error.metadata()).containsEntry("fields", "2");
    assertThat(error.message()).isEqualTo(String.join(System.lineSeparator(),
        "INVALID_ARGUMENT (INVALID_ARGUMENT): the request is invalid",
        "  parent: value does not match regex pattern `^users/[^/]+$`",
        "  scopes: value must contain at least 1 item(s)"));
  }

  @Test
  void doesNotRepeatAViolationTheMessageAlreadyStates() {
    com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
        .setCode(Code.INVALID_ARGUMENT_VALUE)
        .setMessage("ttl: must be at most 366d")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("INVALID_ARGUMENT").build()))
        .addDetails(Any.pack(BadRequest.newBuilder()
            .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                .setField("ttl").setDescription("must be at most 366d"))
            .build()))
        .build();

    assertThat(CairnError.describe(StatusProto.toStatusRuntimeException(status)))
        .isEqualTo("INVALID_ARGUMENT (INVALID_ARGUMENT): ttl: must be at most 366d");
  }

  @Test
  void describesAPlainStatusWithoutDetails() {
    assertThat(CairnError.describe(Status.NOT_FOUND.withDescription("user not found").asRuntimeException()))
        .isEqualTo("NOT_FOUND: user not found");
    assertThat(CairnError.describe(Status.CANCELLED.asRuntimeException())).isEqualTo("CANCELLED: cancelled");
  }

  @Test
  void namesTheRequestIdOfAServerFailure() {
    Metadata trailers = new Metadata();
    trailers.put(CairnError.REQUEST_ID, "req-42");
    StatusRuntimeException failure = Status.INTERNAL.withDescription("internal error").asRuntimeException(trailers);

    assertThat(CairnError.from(failure).requestId()).isEqualTo("req-42");
    assertThat(CairnError.describe(failure)).endsWith("request id: req-42");
  }

  @Test
  void treatsAnyOtherExceptionAsUnknown() {
    assertThat(CairnError.from(new IllegalStateException("boom")).code()).isEqualTo(Status.Code.UNKNOWN);
  }
}
