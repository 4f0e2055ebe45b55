package dev.cairn.server.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.base.DescribedPredicate;
import dev.cairn.server.vault.sharing.grants.FixtureGrantRepository;
import dev.cairn.server.vault.sharing.links.FixtureLinkService;
import java.util.Set;
import org.jspecify.annotations.Nullable;
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
      SERVER + ".audit.AuditRepository");

  /**
   * Classes outside a *Repository, db/ and app/ that still use generated jOOQ classes, each
   * with why. Frozen: the list may only shrink ({@link #everyListedJooqExceptionStillNeedsIt}
   * fails when an entry no longer does).
   */
  static final Set<String> JOOQ_OUTSIDE_REPOSITORIES = Set.of(
      // the read rule is a jOOQ Condition that vault, search and chat queries embed (issue 6)
      SERVER + ".access.VaultAccess",
      // the data-key store: keys and their rows never leave crypto/
      SERVER + ".crypto.DataKeys",
      // enqueue(tx, job) inserts into the caller's transaction: the jobs table's one writer
      SERVER + ".jobs.JobQueue",
      // compile record filters and sort keys into jOOQ conditions over record_values
      SERVER + ".vault.records.FilterSql",
      SERVER + ".vault.records.SortKey",
      SERVER + ".vault.records.RecordRules");

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
  void generatedJooqClassesAreUsedOnlyInRepositoriesDbAndApp() {
    check(generatedJooqOnlyInRepositories(JOOQ_OUTSIDE_REPOSITORIES));
  }

  @Test
  void theJooqRuleFailsForAClassOutsideARepositoryAndPassesARepository() {
    // test-only fixtures (this package): one class that is no repository and uses db.jooq, one that is
    EvaluationResult result = generatedJooqOnlyInRepositories(Set.of()).evaluate(
        new ClassFileImporter().importClasses(FixtureJooqUser.class, FixtureItemRepository.class));
    assertThat(result.hasViolation()).isTrue();
    assertThat(result.getFailureReport().getDetails())
        .anyMatch(line -> line.contains("<" + FixtureJooqUser.class.getName()))
        .noneMatch(line -> line.contains("<" + FixtureItemRepository.class.getName()));
  }

  @Test
  void everyListedJooqExceptionStillNeedsIt() {
    for (String name : JOOQ_OUTSIDE_REPOSITORIES) {
      assertThat(MAIN.contain(name)).as("%s is listed but no longer exists: remove it", name).isTrue();
      boolean usesJooq = MAIN.stream()
          .filter(c -> outermost(c).getName().equals(name))
          .flatMap(c -> c.getDirectDependenciesFromSelf().stream())
          .anyMatch(d -> d.getTargetClass().getPackageName().startsWith(SERVER + ".db.jooq"));
      assertThat(usesJooq).as("%s no longer uses db.jooq: remove it from the list", name).isTrue();
    }
  }

  @Test
  void sharingFeaturesDoNotUseEachOthersRepositories() {
    check(sharingFeaturesKeepTheirRepositories(MAIN_SHARING_FEATURES));
  }

  @Test
  void theSharingRuleFailsWhenLinksUseTheGrantsRepository() {
    // test-only fixtures: a class in sharing.links that uses a *Repository in sharing.grants
    EvaluationResult result = sharingFeaturesKeepTheirRepositories(Set.of("grants", "links")).evaluate(
        new ClassFileImporter().importClasses(FixtureLinkService.class, FixtureGrantRepository.class));
    assertThat(result.hasViolation()).isTrue();
    assertThat(result.getFailureReport().getDetails())
        .anyMatch(line -> line.contains(FixtureLinkService.class.getName())
            && line.contains(FixtureGrantRepository.class.getName()));
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
   * No class outside db/, app/, a *Repository (or a class nested in one) and {@code exceptions}
   * depends on the generated jOOQ classes (tables, records, routines).
   */
  static ArchRule generatedJooqOnlyInRepositories(Set<String> exceptions) {
    return noClasses().that().resideInAPackage(SERVER + "..")
        .and().resideOutsideOfPackages(SERVER + ".db..", SERVER + ".app..")
        .and(DescribedPredicate.describe("are no *Repository", (JavaClass c) -> !outermost(c).getSimpleName().endsWith("Repository")))
        .and(DescribedPredicate.describe("are not listed exceptions", (JavaClass c) -> !exceptions.contains(outermost(c).getName())))
        .should().dependOnClassesThat().resideInAPackage(SERVER + ".db.jooq..");
  }

  private static final String SHARING = SERVER + ".vault.sharing.";
  private static final Set<String> MAIN_SHARING_FEATURES = Set.of("grants", "links", "consents");

  /**
   * A class of one sharing feature ({@code vault.sharing.<feature>}) uses no *Repository of
   * another: features meet through each other's services and domain records (and the shared
   * SharingRepository in vault.sharing), so each one's SQL stays its own.
   */
  static ArchRule sharingFeaturesKeepTheirRepositories(Set<String> features) {
    return classes().that().resideInAnyPackage(features.stream().map(f -> SHARING + f + "..").toArray(String[]::new))
        .should(new ArchCondition<JavaClass>("use no other sharing feature's *Repository") {
          @Override
          public void check(JavaClass c, ConditionEvents events) {
            String mine = sharingFeature(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
              JavaClass target = d.getTargetClass();
              String theirs = sharingFeature(target);
              if (theirs != null && !theirs.equals(mine) && outermost(target).getSimpleName().endsWith("Repository")) {
                events.add(SimpleConditionEvent.violated(d, d.getDescription()));
              }
            }
          }
        });
  }

  /** {@code grants} for {@code dev.cairn.server.vault.sharing.grants(.x)}; null outside a feature's package. */
  private static @Nullable String sharingFeature(JavaClass c) {
    String name = c.getPackageName();
    if (!name.startsWith(SHARING)) {
      return null;
    }
    String rest = name.substring(SHARING.length());
    int dot = rest.indexOf('.');
    return dot < 0 ? rest : rest.substring(0, dot);
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
