#!/usr/bin/env bash
# Start-up of the `cairn` CLI: `cairn --help` (no network) with the JVM's defaults against the
# flags tools/bin/cairn uses (C1 only, an auto-created class-data archive). Alternates the two
# N times (default 7) and prints medians and their ratio; noise on a shared machine hits both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/jdk.sh
source "$root/tools/lib/jdk.sh"
java="$(cairn_java_home)/bin/java"
jar="$root/client/target/cairn.jar"
[[ -f "$jar" ]] || "$root/tools/bin/cairn" --help >/dev/null
n="${1:-7}"
archive="$(mktemp -d)/cairn.jsa"
tuned=(-XX:TieredStopAtLevel=1 -XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=$archive" -Xlog:disable)
"$java" "${tuned[@]}" -jar "$jar" --help >/dev/null   # makes the archive, as a first run does

ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
plain=(); fast=()
for ((i = 0; i < n; i++)); do
  plain+=("$(ms "$java" -jar "$jar" --help)")
  fast+=("$(ms "$java" "${tuned[@]}" -jar "$jar" --help)")
done
p=$(printf '%s\n' "${plain[@]}" | median); f=$(printf '%s\n' "${fast[@]}" | median)
printf 'cairn --help, median of %d: default JVM %d ms, tools/bin/cairn flags %d ms (%.2fx faster)\n' \
  "$n" "$p" "$f" "$(echo "$p / $f" | bc -l)"
