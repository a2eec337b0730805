#!/usr/bin/env bash
# Soak test: a fixed request rate for a long time, watching for errors and memory growth.
#
#   tests/load/soak.sh                                 # 10 min at 200 req/s, release build
#   REBUILD_EVERY=5 tests/load/soak.sh                 # ... and rebuild the index every 5 s
#   DURATION=2m RATE=100 KOTAE=target/release/kotae tests/load/soak.sh
#
# It builds the release binary (unless KOTAE is set; PROFILE=debug for a debug one), indexes
# CONTENT (default: the sample corpus) into a temporary folder, starts `kotae serve` on a free
# 127.0.0.1 port and runs one `oha -q RATE -z DURATION` over the held-out Japanese queries,
# half on /api/search and half on the HTML /search page. Every 10 s it samples the service's
# RSS (and its anonymous part, the heap); with REBUILD_EVERY=N it also rebuilds the index N s
# after each build ends, for the whole run.
#
# It fails if any response is not 2xx or any request fails, if any rebuild fails or the service
# stops picking them up, or if the RSS at the end exceeds the RSS after WARMUP (default 60 s)
# by more than RSS_MARGIN_PCT percent (default 25) and more than RSS_MARGIN_MIB (default 16)
# MiB. A summary is printed at the end; the service is stopped and the temporary folder removed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-10m}"
RATE="${RATE:-200}"
CONNECTIONS="${CONNECTIONS:-16}"
WARMUP="${WARMUP:-60}"
SAMPLE_EVERY="${SAMPLE_EVERY:-10}"
REBUILD_EVERY="${REBUILD_EVERY:-}"
RSS_MARGIN_PCT="${RSS_MARGIN_PCT:-25}"
RSS_MARGIN_MIB="${RSS_MARGIN_MIB:-16}"
CONTENT="${CONTENT:-$repo/content}"
QUERIES="${QUERIES:-$repo/tests/relevance/heldout.jsonl}"
PROFILE="${PROFILE:-release}"

kotae_binary
ensure_oha
prepare_index soak
write_urls "$work"
# One list alternating the JSON and the HTML search.
paste -d '\n' "$work/api.urls" "$work/html.urls" >"$work/mixed.urls"
log "starting kotae serve on $addr"
start_server "$work/index" "$work/serve.log"
rss_start=$(rss_kb "$server_pid")
first_gen="$(serving_generation)"

log "soak: $RATE req/s for $DURATION ($CONNECTIONS connections), RSS sampled every ${SAMPLE_EVERY}s${REBUILD_EVERY:+, index rebuilt every ${REBUILD_EVERY}s}"
rebuilder=""
if [[ -n "$REBUILD_EVERY" ]]; then
    rebuild_loop "$CONTENT" "$work/index" "$REBUILD_EVERY" "$work/stop" &
    rebuilder=$!
fi
start=$(date +%s)
"$OHA" --no-tui --urls-from-file -q "$RATE" -z "$DURATION" -c "$CONNECTIONS" --wait-ongoing-requests-after-deadline \
    --output-format json "$work/mixed.urls" >"$work/soak.json" &
load=$!
rss_warm=""
echo "t_s rss_mib anon_mib generation" >"$work/samples"
while kill -0 "$load" 2>/dev/null; do
    t=$(( $(date +%s) - start ))
    rss=$(rss_kb "$server_pid")
    anon=$(awk '/^RssAnon/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)
    gen="$(serving_generation)"
    echo "$t $((rss / 1024)) $((anon / 1024)) ${gen:-?}" | tee -a "$work/samples" >&2
    if [[ -z "$rss_warm" ]] && (( t >= WARMUP )); then
        rss_warm=$rss
    fi
    # Sleep until the next multiple of SAMPLE_EVERY since the start.
    next=$(( start + (t / SAMPLE_EVERY + 1) * SAMPLE_EVERY ))
    while kill -0 "$load" 2>/dev/null && (( $(date +%s) < next )); do
        sleep 0.25
    done
done
wait "$load"
touch "$work/stop"
[[ -z "$rebuilder" ]] || wait "$rebuilder"
sleep 1
rss_end=$(rss_kb "$server_pid")
rss_warm="${rss_warm:-$rss_start}"

failed=0
echo
echo "== soak summary"
echo "binary: $KOTAE"
echo "rate: $RATE req/s requested for $DURATION, $CONNECTIONS connections"
oha_summary "$work/soak.json" "GET /api/search + /search" || failed=1
echo "RSS: $((rss_start / 1024)) MiB at start, $((rss_warm / 1024)) MiB after warm-up (${WARMUP}s), $((rss_end / 1024)) MiB at the end, peak $(awk 'NR > 1 && $2 > m {m = $2} END {print m}' "$work/samples") MiB"
limit=$(( rss_warm + rss_warm * RSS_MARGIN_PCT / 100 ))
(( limit < rss_warm + RSS_MARGIN_MIB * 1024 )) && limit=$(( rss_warm + RSS_MARGIN_MIB * 1024 ))
if (( rss_end > limit )); then
    echo "FAIL: RSS grew from $((rss_warm / 1024)) to $((rss_end / 1024)) MiB (limit $((limit / 1024)) MiB)" >&2
    failed=1
fi
if [[ -n "$REBUILD_EVERY" ]]; then
    ok=$(grep -c '^ok$' "$work/stop.log" 2>/dev/null || true)
    bad=$(grep -c '^failed$' "$work/stop.log" 2>/dev/null || true)
    generations=$( (echo "$first_gen"; awk 'NR > 1 {print $4}' "$work/samples"; serving_generation) | grep -v '^?*$' | sort -u | wc -l)
    echo "rebuilds: ${ok:-0} succeeded, ${bad:-0} failed; $generations generations seen serving"
    if [[ "${bad:-0}" != 0 || "${ok:-0}" == 0 || "$generations" -lt 2 ]]; then
        echo "FAIL: rebuilds failed or were not picked up" >&2
        failed=1
    fi
fi
check_server || failed=1
[[ "$failed" == 0 ]] || exit 1
echo "soak passed"
