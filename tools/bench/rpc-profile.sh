#!/usr/bin/env bash
# Per-RPC cost profile of GetUser(users/me), GetItem(4 KiB, FULL) and CreateItem(4 KiB) on a
# throwaway server: database round trips per call, counted on the client side as pgjdbc's Sync
# messages (one per round trip, whatever the statement; pgjdbc's FINEST log, written to a file
# through java.util.logging), the statements each call sends, and CPU per call of the server
# process and of the embedded PostgreSQL (from /proc, over PROFILE_CALLS calls at concurrency 16),
# plus a JFR recording of the CPU part (summarise it with `jfr print --events jdk.ExecutionSample`).
# Not a test: it prints figures.
#
#   ./mvnw -B -ntp -DskipTests package && tools/bench/ghz.sh   # ghz.sh installs ghz into tools/bench/.bin
#   tools/bench/rpc-profile.sh                                  # about 2 minutes
#
# The round-trip part runs with the audit chainer and job pollers slowed to once a minute so
# their background queries stay out of the counts; what a call's audit event costs the chainer
# later is therefore not counted (it is off the call's path). Loopback only; stops only its pid.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../interop/lib/cairn-server.sh
source "$HERE/../interop/lib/cairn-server.sh"
GHZ="$HERE/.bin/ghz"
CALLS="${PROFILE_CALLS:-2000}"
cairn_require_jar
[[ -x "$GHZ" ]] || { echo "missing $GHZ: run tools/bench/ghz.sh once (it installs ghz)" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql is needed to find an item id" >&2; exit 2; }
cairn_node_deps
cairn_work_dir cairn-rpc-profile

PG_PORT="$(cairn_free_port)"
export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT" CAIRN_VAULT_WRITES_PER_MINUTE=1000000
export CAIRN_AUDIT_CHAIN_MILLIS=60000 CAIRN_JOBS_POLL_MILLIS=60000
cat >"$WORK/jul.properties" <<EOF
handlers=java.util.logging.FileHandler
java.util.logging.FileHandler.pattern=$WORK/jdbc.log
java.util.logging.FileHandler.limit=0
java.util.logging.FileHandler.level=FINEST
java.util.logging.FileHandler.formatter=java.util.logging.SimpleFormatter
java.util.logging.SimpleFormatter.format=%5\$s%n
.level=INFO
org.postgresql.level=FINEST
EOF
JDBC_LOG="$WORK/jdbc.log"
export CAIRN_JAVA_OPTS="-Djava.util.logging.config.file=$WORK/jul.properties ${CAIRN_JAVA_OPTS:-}"
cairn_start "$WORK"
cairn_wait_serving 180
TOKEN="$(tr -d '\n' <"$CAIRN_TOKEN_FILE")"

PROTO="$CAIRN_REPO/proto/src/main/proto"
# call METHOD CONCURRENCY N: N calls of METHOD, ghz JSON report to $WORK/last.json
call() {
  local method="$1" file service data
  case "$method" in
    GetUser) file=identity/v1/identity_service.proto; service=cairn.identity.v1.IdentityService; data='{"name":"users/me"}' ;;
    GetItem) file=vault/v1/vault_service.proto; service=cairn.vault.v1.VaultService
             data="{\"name\":\"items/$ITEM\",\"view\":\"ITEM_VIEW_FULL\"}" ;;
    CreateItem) file=vault/v1/vault_service.proto; service=cairn.vault.v1.VaultService; data="$CREATE" ;;
  esac
  timeout 300 "$GHZ" --insecure --proto "$PROTO/cairn/$file" --import-paths "$PROTO,$CAIRN_REPO/proto/target/proto-deps" \
    --call "$service.$method" -d "$data" -m "{\"authorization\":\"Bearer $TOKEN\"}" \
    -c "$2" --connections 1 -n "$3" --format json -o "$WORK/last.json" "$CAIRN_TARGET"
}
CREATE="{\"item\":{\"kind\":\"KIND_DOCUMENT\",\"display_name\":\"bench\",\"media_type\":\"application/octet-stream\",\"content\":\"$(head -c 4096 /dev/urandom | base64 -w0)\"}}"
ITEM=""
call CreateItem 1 3
ITEM="$(psql -h localhost -p "$PG_PORT" -U postgres -d cairn -Atc "select id from cairn.items limit 1")"
METHODS=(GetUser GetItem CreateItem)
for m in "${METHODS[@]}"; do call "$m" 1 6; done # every statement seen at least 5 times per connection: pgjdbc's prepareThreshold

echo "== round trips per call (one call each, after warm-up)"
for m in "${METHODS[@]}"; do
  sleep 0.5
  before="$(wc -l <"$JDBC_LOG")"
  call "$m" 1 1
  sleep 0.3
  tail -n +"$((before + 1))" "$JDBC_LOG" | grep -E 'FE=> (Parse|Bind|Sync)' >"$WORK/$m.trace" || true
  printf '%-11s %3d round trips; statements:\n' "$m" "$(grep -c 'FE=> Sync' "$WORK/$m.trace")"
  grep -E 'FE=> (Parse|Bind)' "$WORK/$m.trace" | sed -E 's/^ *FE=> //; s/(.{150}).*/\1…/; s/^/    /'
done

# The CPU part on a second server without the JDBC trace (its logging would be most of the cost)
# and with the chainer and pollers at their defaults.
cairn_stop_pid "$CAIRN_PID" "cairn server"
unset CAIRN_AUDIT_CHAIN_MILLIS CAIRN_JOBS_POLL_MILLIS
export CAIRN_JAVA_OPTS="${CAIRN_JAVA_OPTS#-Djava.util.logging.config.file=$WORK/jul.properties }"
PG_PORT="$(cairn_free_port)"
export CAIRN_EMBEDDED_DATABASE_PORT="$PG_PORT"
mkdir -p "$WORK/cpu"
cairn_start "$WORK/cpu"
cairn_wait_serving 180
TOKEN="$(tr -d '\n' <"$CAIRN_TOKEN_FILE")"
call CreateItem 16 50
ITEM="$(psql -h localhost -p "$PG_PORT" -U postgres -d cairn -Atc "select id from cairn.items limit 1")"

echo "== CPU per call at concurrency 16 ($CALLS calls each, after ${CALLS}/2 warm-up calls)"
PG_MAIN="$(head -1 "$CAIRN_DATA_DIR_USED/postgres/postmaster.pid")"
ticks() { # server ticks, PostgreSQL ticks (the postmaster and its children)
  local p=0 c
  for c in $PG_MAIN $(pgrep -P "$PG_MAIN"); do p=$((p + $(awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || echo 0))); done
  echo "$(awk '{print $14+$15}' "/proc/$CAIRN_PID/stat") $p"
}
jcmd "$CAIRN_PID" JFR.start name=profile settings=profile >/dev/null
for m in "${METHODS[@]}"; do
  call "$m" 16 "$((CALLS / 2))"
  read -r j0 p0 < <(ticks)
  call "$m" 16 "$CALLS"
  read -r j1 p1 < <(ticks)
  python3 - "$m" "$CALLS" "$j0" "$j1" "$p0" "$p1" "$(getconf CLK_TCK)" "$WORK/last.json" <<'PY'
import json, sys
m, n, j0, j1, p0, p1, hz = sys.argv[1], *map(int, sys.argv[2:8])
d = json.load(open(sys.argv[8]))
p50 = next(x["latency"] for x in d["latencyDistribution"] if x["percentage"] == 50) / 1e6
print(f"{m:<11} {d['rps']:7.0f} calls/s  p50 {p50:7.2f} ms  server CPU {(j1 - j0) * 1000 / hz / n:5.2f} ms/call"
      f"  PostgreSQL CPU {(p1 - p0) * 1000 / hz / n:5.2f} ms/call  {d['statusCodeDistribution']}")
PY
done
mkdir -p "$HERE/out"
jcmd "$CAIRN_PID" JFR.dump name=profile filename="$HERE/out/rpc-profile.jfr" >/dev/null
echo "JFR recording: $HERE/out/rpc-profile.jfr"
