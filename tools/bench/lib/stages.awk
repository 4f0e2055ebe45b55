# The per-stage table of cairn_search_stage_seconds (StageSpans' timers) and cairn_chat_stage_seconds (ChatMetrics.stage) from one /metrics scrape:
# per mode and stage, the p50 over the server's last two minutes and the mean over the whole run.
# Shared by search.sh and chat.sh:  awk -f tools/bench/lib/stages.awk metrics.txt | sort
function label(s, k) { if (match(s, k "=\"[^\"]*\"")) return substr(s, RSTART + length(k) + 2, RLENGTH - length(k) - 3); return "" }
/^cairn_(search|chat)_stage_seconds(_sum|_count)?\{/ {
  key = ($1 ~ /^cairn_chat/ ? "CHAT" : label($1, "mode")) " " label($1, "stage")
  if ($1 ~ /^cairn_(search|chat)_stage_seconds_sum/) sum[key] = $2
  else if ($1 ~ /^cairn_(search|chat)_stage_seconds_count/) n[key] = $2
  else if (label($1, "quantile") == "0.5") p50[key] = $2
}
END {
  for (k in n) if (n[k] > 0) printf "search stage %-28s p50 %7.2f ms  mean %7.2f ms  (%d runs)\n", k, 1000 * p50[k], 1000 * sum[k] / n[k], n[k]
}
