# shellcheck shell=bash
# Runs a main class from the server's test classes (the search evaluation and the embedding
# benchmark live there, next to the code they measure): compiles server and its test classes,
# writes their classpath once, and starts java with the flags the search code wants.
# Sourced by tools/eval/scifact.sh and tools/bench/embed.sh.

CAIRN_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/jdk.sh
source "$CAIRN_REPO/tools/lib/jdk.sh"

# cairn_test_classpath: compiles server and its test classes and sets CAIRN_TEST_CP, once per
# shell (subshells inherit it: a script that runs several mains calls it first, so Maven runs once).
# MAVEN_OFFLINE=1 adds -o (no repository look-ups).
cairn_test_classpath() {
  [[ -n "${CAIRN_TEST_CP:-}" ]] && return 0
  local offline=()
  [[ "${MAVEN_OFFLINE:-0}" == 1 ]] && offline=(-o)
  (cd "$CAIRN_REPO" && JAVA_HOME="$(cairn_java_home)" ./mvnw -B -ntp -q "${offline[@]}" -pl server -am \
      test-compile dependency:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt >&2)
  CAIRN_TEST_CP="$CAIRN_REPO/server/target/test-classes:$CAIRN_REPO/server/target/classes:$(cat "$CAIRN_REPO/server/target/test-classpath.txt")"
}

# cairn_run_test_main MAIN_CLASS ARGS...
cairn_run_test_main() {
  local main="$1"
  shift
  cairn_test_classpath
  # DJL_OFFLINE: the tokenizer's native library comes from its jar, nothing is downloaded.
  # jdk.incubator.vector: Lucene's SIMD vector search.
  DJL_OFFLINE=true "$(cairn_java_home)/bin/java" -Xmx4g --add-modules jdk.incubator.vector \
    --enable-native-access=ALL-UNNAMED -cp "$CAIRN_TEST_CP" "$main" "$@"
}
