package dev.cairn.server.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.base.DescribedPredicate;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The server's dependency rules (DESIGN.md, "Inside server/"), checked on the compiled
 * classes: a change that breaks one fails here, naming the offending dependency.
 */
class ArchitectureTest {
  private static final String SERVER = "dev.cairn.server";
  private static final JavaClasses MAIN =
      new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(SERVER);

  /**
   * Classes that still turn maps into JSONB themselves, until the audit writer's rework moves
   * them onto db.Jsonb (its output is byte-identical to theirs, which the hash chain needs).
   * Frozen: the list may only shrink.
   */
  static final Set<String> OWN_JSONB = Set.of(
      SERVER + ".audit.AuditLog",
      SERVER + ".audit.AuditRepository");

  @Test
  void coreDependsOnNothingElseOfTheServers() {
    check(noClasses().that().resideInAPackage(SERVER + ".core..")
        .should().dependOnClassesThat().resideInAnyPackage(SERVER + "..")
        .andShould().dependOnClassesThat().resideInAnyPackage("io.grpc..", "org.jooq..", "java.sql.."));
    // (core may name its own classes: the rule above looks only outside core)
  }

  @Test
  void cryptoKnowsOnlyTheCoreAndTheDatabase() {
    check(noClasses().that().resideInAPackage(SERVER + ".crypto..")
        .should().dependOnClassesThat().resideInAnyPackage(
            SERVER + ".grpc..", SERVER + ".vault..", SERVER + ".identity..", SERVER + ".app.."));
  }

  @Test
  void contentIsEncryptedAndDecryptedOnlyByTheContentStore() {
    // the one plaintext reader: search ingestion and chat citations read through it too
    check(noClasses().that().resideOutsideOfPackages(SERVER + ".content..", SERVER + ".crypto..", SERVER + ".db.jooq..")
        .should().dependOnClassesThat().haveFullyQualifiedName(SERVER + ".crypto.ContentCipher")
        .orShould().dependOnClassesThat().haveFullyQualifiedName(SERVER + ".db.jooq.tables.ItemSegments"));
    check(noClasses().that().resideInAPackage(SERVER + ".content..")
        .should().dependOnClassesThat().resideInAnyPackage(
            SERVER + ".vault..", SERVER + ".grpc..", SERVER + ".search..", SERVER + ".chat..", SERVER + ".app.."));
  }

  @Test
  void auditKnowsNoFeature() {
    // every feature writes to the audit log; the log may not know them back
    check(noClasses().that().resideInAPackage(SERVER + ".audit..")
        .should().dependOnClassesThat().resideInAnyPackage(
            SERVER + ".vault..", SERVER + ".identity..", SERVER + ".search..", SERVER + ".chat..", SERVER + ".app.."));
  }

  @Test
  void onlyTheCompositionRootAndTheGrpcEdgeUseTheGrpcPackage() {
    check(noClasses().that(belowTheGrpcEdge())
        .should().dependOnClassesThat().resideInAPackage(SERVER + ".grpc.."));
  }

  @Test
  void protoMessagesStopAtTheGrpcEdge() {
    check(noClasses().that(belowTheGrpcEdge()).and().resideOutsideOfPackages(SERVER + ".grpc..", SERVER + ".app..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.cairn.identity.v1..", "dev.cairn.vault.v1..", "dev.cairn.search.v1..", "dev.cairn.chat.v1.."));
  }

  @Test
  void jooqRecordsStayInRepositoriesAndTheDatabaseLayer() {
    check(noClasses().that().resideInAnyPackage(SERVER + ".core..", SERVER + ".grpc..")
        .or().haveSimpleNameEndingWith("GrpcService")
        .should().dependOnClassesThat().resideInAPackage(SERVER + ".db.jooq.tables.records.."));
  }

  @Test
  void itemsDoNotDependOnRecords() {
    // records hang off items through ItemListener (indexing) and RecordValidator (schemas)
    check(noClasses().that().resideInAPackage(SERVER + ".vault.items..")
        .should().dependOnClassesThat().resideInAPackage(SERVER + ".vault.records.."));
  }

  @Test
  void vaultFeaturesAreFreeOfCycles() {
    check(slices().matching(SERVER + ".vault.(*)..").should().beFreeOfCycles());
  }

  @Test
  void jsonbIsEncodedAndDecodedOnlyByTheOneCodecInDb() {
    check(noClasses().that().resideOutsideOfPackage(SERVER + ".db")
        .and(DescribedPredicate.describe("are not frozen exceptions", (JavaClass c) -> !OWN_JSONB.contains(outermost(c).getName())))
        .should().callMethod(org.jooq.JSONB.class, "valueOf", String.class)
        .orShould().callMethod(org.jooq.JSONB.class, "jsonb", String.class)
        .orShould().callMethod(org.jooq.JSONB.class, "data"));
  }

  @Test
  void searchIngestionIsALibraryFreeOfTheDatabaseAndGrpc() {
    // extraction and chunking run inside jobs but know nothing of them: bytes in, blocks and chunks out
    check(noClasses().that().resideInAPackage(SERVER + ".search.ingest..")
        .should().dependOnClassesThat(DescribedPredicate.describe("are other server packages", (JavaClass c) ->
            c.getPackageName().startsWith(SERVER + ".") && !c.getPackageName().startsWith(SERVER + ".search.ingest")))
        .orShould().dependOnClassesThat().resideInAnyPackage("io.grpc..", "org.jooq..", "java.sql..", "dev.cairn.search.v1.."));
  }

  @Test
  void searchReachesContentOnlyThroughTheContentStore() {
    // chunk text is encrypted and decrypted by content/; search knows no vault feature but items' listener port
    check(noClasses().that().resideInAPackage(SERVER + ".search..")
        .should().dependOnClassesThat().resideInAnyPackage(SERVER + ".vault.records..", SERVER + ".vault.sharing..", SERVER + ".crypto..")
        .orShould().dependOnClassesThat().haveFullyQualifiedName(SERVER + ".vault.VaultContext"));
  }

  @Test
  void theEmbeddingModelsAndTheVectorIndexKnowOnlyTheCore() {
    // search.embed and search.vector are libraries the search service wires: no transport,
    // database or feature code below them, and the index does not care which model made a vector
    check(noClasses().that().resideInAnyPackage(SERVER + ".search.embed..", SERVER + ".search.vector..")
        .should().dependOnClassesThat(DescribedPredicate.describe("are other server packages than core",
            (JavaClass c) -> c.getPackageName().startsWith(SERVER + ".")
                && !c.getPackageName().startsWith(SERVER + ".core")
                && !c.getPackageName().startsWith(SERVER + ".search.embed")
                && !c.getPackageName().startsWith(SERVER + ".search.vector"))));
    check(noClasses().that().resideInAPackage(SERVER + ".search.vector..")
        .should().dependOnClassesThat().resideInAPackage(SERVER + ".search.embed.."));
  }

  @Test
  void nothingDependsOnTheCompositionRoot() {
    check(noClasses().that().resideOutsideOfPackage(SERVER + ".app..")
        .should().dependOnClassesThat().resideInAPackage(SERVER + ".app.."));
  }

  @Test
  void mcpToolsReachTheVaultOnlyThroughTheGrpcApi() {
    // no second access path: the MCP endpoint is a client of Cairn's own RPCs (in process)
    check(noClasses().that().resideInAPackage(SERVER + ".mcp..")
        .should().dependOnClassesThat().resideInAnyPackage(SERVER + ".vault..", SERVER + ".search..",
            SERVER + ".chat..", SERVER + ".identity..", SERVER + ".access..", SERVER + ".content..",
            SERVER + ".db..", SERVER + ".audit..", SERVER + ".crypto..", SERVER + ".grpc..", "org.jooq..", "java.sql.."));
  }

  /**
   * Everything but app/, grpc/ itself, the *GrpcService classes and their *Rpc mappers, and mcp/,
   * which stands in front of the edge as a client of the gRPC API.
   */
  private static DescribedPredicate<JavaClass> belowTheGrpcEdge() {
    return DescribedPredicate.describe("are below the gRPC edge", c ->
        !c.getPackageName().startsWith(SERVER + ".app")
            && !c.getPackageName().startsWith(SERVER + ".mcp")
            && !c.getPackageName().startsWith(SERVER + ".grpc")
            && !edgeName(c));
  }

  /** The *GrpcService classes, their *Rpc mappers and the stream observers they hand to gRPC. */
  private static boolean edgeName(JavaClass c) {
    JavaClass outer = outermost(c);
    String name = outer.getSimpleName();
    return name.endsWith("GrpcService") || name.endsWith("Rpc") || outer.isAssignableTo("io.grpc.stub.StreamObserver");
  }

  private static JavaClass outermost(JavaClass c) {
    JavaClass outer = c;
    while (outer.getEnclosingClass().isPresent()) {
      outer = outer.getEnclosingClass().get();
    }
    return outer;
  }

  private static void check(ArchRule rule) {
    rule.check(MAIN);
  }
}
