#!/usr/bin/env bash
# Short load check for CI: DURATION (default 15 s) of concurrent load on the JSON search and
# the HTML results page while the index is rebuilt again and again (REBUILD_EVERY seconds,
# default 2, between the end of a build and the start of the next),
# then assert that every response was 2xx, that no request failed, that every rebuild
# succeeded and was picked up by the service, and that the service is still up.
#
#   tests/load/check.sh                              # target/debug/kotae (built if needed)
#   PROFILE=release tests/load/check.sh              # build and use target/release/kotae
#   KOTAE=/path/to/kotae DURATION=30s tests/load/check.sh
#
# Load comes from `oha` (on PATH, or `cargo install`ed once into ~/.cache/kotae/oha-<version>),
# CONNECTIONS (default 2) connections per endpoint, rotating through the held-out Japanese
# relevance queries. Only 127.0.0.1 is contacted, on a free port; the service is stopped at
# the end, and the temporary index is deleted.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-2}"
REBUILD_EVERY="${REBUILD_EVERY:-2}"
CONTENT="${CONTENT:-$repo/content}"
QUERIES="${QUERIES:-$repo/tests/relevance/heldout.jsonl}"

kotae_binary
ensure_oha
prepare_index check
write_urls "$work"
log "starting kotae serve on $addr"
start_server "$work/index" "$work/serve.log"
first_gen="$(serving_generation)"

log "load: $DURATION on /api/search and /search ($CONNECTIONS connections each), rebuilding every ${REBUILD_EVERY}s"
rebuild_loop "$CONTENT" "$work/index" "$REBUILD_EVERY" "$work/stop" &
rebuilder=$!
oha_run() { "$OHA" --no-tui --urls-from-file -z "$DURATION" -c "$CONNECTIONS" --wait-ongoing-requests-after-deadline --output-format json "$@"; }
oha_run "$work/api.urls" >"$work/api.json" &
api=$!
oha_run "$work/html.urls" >"$work/html.json" &
html=$!
# Watch which generations the service serves while the load runs.
while kill -0 "$api" 2>/dev/null || kill -0 "$html" 2>/dev/null; do
    serving_generation >>"$work/generations"
    sleep 0.5
done
wait "$api" "$html"
touch "$work/stop"
# The build under way finishes; then give the service time to pick it up.
wait "$rebuilder"
for _ in $(seq 1 20); do
    serving_generation >>"$work/generations"
    sleep 0.25
done

failed=0
oha_summary "$work/api.json" "GET /api/search" || failed=1
oha_summary "$work/html.json" "GET /search" || failed=1
ok=$(grep -c '^ok$' "$work/stop.log" 2>/dev/null || true)
bad=$(grep -c '^failed$' "$work/stop.log" 2>/dev/null || true)
generations=$( (echo "$first_gen"; cat "$work/generations") | grep -v '^$' | sort -u | wc -l)
echo "rebuilds: ${ok:-0} succeeded, ${bad:-0} failed; the service served $generations generations"
if [[ "${bad:-0}" != 0 ]]; then
    cat "$work/stop.out" >&2
    echo "FAIL: a rebuild failed" >&2
    failed=1
fi
if (( ${ok:-0} < 2 || generations < 3 )); then
    echo "FAIL: expected at least 2 rebuilds picked up by the service" >&2
    failed=1
fi
check_server || failed=1
if [[ "$failed" != 0 ]]; then
    tail -20 "$work/serve.log" >&2
    exit 1
fi
echo "load check passed"
