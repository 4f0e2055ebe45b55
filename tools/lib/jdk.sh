# shellcheck shell=bash
# Finds a JDK 21 or newer for Cairn's scripts: $JAVA_HOME if it is one, else the dev machines'
# Temurin under /usr/lib/jvm, else the `java` on PATH. Sourced; defines cairn_java_home.

cairn_java_major() { # the feature version of a java binary, e.g. 25
  "$1" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'
}

cairn_java_usable() { # a java binary that is 21 or newer
  [[ -x "$1" ]] || return 1
  local major
  major="$(cairn_java_major "$1")"
  [[ "$major" =~ ^[0-9]+$ ]] && ((major >= 21))
}

# Prints JAVA_HOME of a JDK 21+, or fails with a message saying what to do.
cairn_java_home() {
  if [[ -n "${JAVA_HOME:-}" ]] && cairn_java_usable "$JAVA_HOME/bin/java"; then
    echo "$JAVA_HOME"; return
  fi
  local candidate
  for candidate in /usr/lib/jvm/temurin-2[5-9]* /usr/lib/jvm/temurin-2[1-4]* /usr/lib/jvm/*; do
    if cairn_java_usable "$candidate/bin/java"; then echo "$candidate"; return; fi
  done
  if command -v java >/dev/null 2>&1; then
    candidate="$(command -v java)"
    if cairn_java_usable "$candidate"; then
      dirname "$(dirname "$(readlink -f "$candidate")")"; return
    fi
  fi
  echo "cairn: no JDK 21 or newer found; install one and set JAVA_HOME" >&2
  return 2
}
