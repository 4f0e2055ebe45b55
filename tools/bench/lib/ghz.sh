# Shared by tools/bench/ghz.sh and tools/bench/tracing.sh: one bounded ghz run of GetUser
# (users/me) or GetItem (ITEM, FULL view), JSON report to $OUT/METHOD/NAME.json.
# Uses the caller's GHZ, OUT, RUN_LIMIT_S, CONCURRENCY and CAIRN_REPO.

# ghz_call NAME TARGET TOKEN ITEM METHOD ARGS...
ghz_call() {
  local name="$1" target="$2" token="$3" item="$4" method="$5"
  shift 5
  local proto call data
  case "$method" in
    GetUser) proto=identity/v1/identity_service.proto; call=cairn.identity.v1.IdentityService.GetUser
             data='{"name":"users/me"}' ;;
    GetItem) proto=vault/v1/vault_service.proto; call=cairn.vault.v1.VaultService.GetItem
             data="{\"name\":\"$item\",\"view\":\"ITEM_VIEW_FULL\"}" ;;
    *) echo "unknown method $method (expected: GetUser, GetItem)" >&2; exit 2 ;;
  esac
  mkdir -p "$OUT/$method"
  timeout "$RUN_LIMIT_S" "$GHZ" --insecure \
    --proto "$CAIRN_REPO/proto/src/main/proto/cairn/$proto" \
    --import-paths "$CAIRN_REPO/proto/src/main/proto,$CAIRN_REPO/proto/target/proto-deps" \
    --call "$call" -d "$data" \
    -m "{\"authorization\":\"Bearer $token\"}" \
    -c "$CONCURRENCY" --connections 1 --timeout 20s \
    --format json -o "$OUT/$method/$name.json" \
    "$@" "$target"
}
