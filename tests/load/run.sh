#!/usr/bin/env bash
# HTTP load test of `kotae serve` on loopback.
#
#   tests/load/run.sh                         # 20 s per phase, 16 connections
#   DURATION=60s CONNECTIONS=32 tests/load/run.sh
#   KOTAE=target/release/kotae tests/load/run.sh   # use an already built binary
#   CONTENT=/tmp/kotae-10k tests/load/run.sh       # another corpus (queries stay the same)
#   DISTINCT=1 tests/load/run.sh                   # questions never asked before (see below)
#   RATE=100 DISTINCT=1 tests/load/run.sh          # a fixed rate (requests/s) instead of the max (oha only)
#
# It builds the release binary (unless KOTAE is set), indexes the corpus into a temporary
# folder, starts the service on 127.0.0.1:$PORT, waits for its first answer, then runs `oha`
# (`cargo install oha`; Debian's `wrk` is used if oha is missing) for DURATION against
#   1. GET /api/search?q=...   (the held-out relevance queries, in rotation)
#   2. GET /search?q=...       (the HTML results page, same queries)
# With DISTINCT=1 the list is 2,880 different questions (each held-out query with 20 endings
# such as 「の方法」) and the service runs with its result and question-vector caches off
# (KOTAE_RESULT_CACHE=0, KOTAE_VECTOR_CACHE=0), so every request is searched for real. (oha
# picks URLs at random: with the cache on, about a third of the picks would be answered from
# the 1,024 cached results.) Otherwise the 144 queries repeat and the cache answers after one
# pass.
# It prints requests/s, p50 and p99 latency, the service's CPU time per request (user +
# system, from /proc: what the request costs whatever else the shared machine runs), the
# service's RSS at rest and its peak under load, and the time from start to first answer.
# Only loopback is ever contacted; every phase is bounded in time, and the service is stopped
# at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-16}"
PORT="${PORT:-18080}"
CONTENT="${CONTENT:-$repo/content}"
QUERIES="${QUERIES:-$repo/tests/relevance/heldout.jsonl}"
addr="127.0.0.1:$PORT"
# The per-client rate limit would answer most of the load with 429: off for this service.
export KOTAE_RATE_LIMIT=0
# So would the per-client connection cap (64) at high CONNECTIONS: off too.
export KOTAE_MAX_CONNECTIONS_PER_CLIENT=0
if [[ "${DISTINCT:-0}" == 1 ]]; then
    export KOTAE_RESULT_CACHE=0 KOTAE_VECTOR_CACHE=0
fi

if [[ -z "${KOTAE:-}" ]]; then
    (cd "$repo" && cargo build --release --quiet -p kotae)
    KOTAE="${CARGO_TARGET_DIR:-$repo/target}/release/kotae"
fi
KOTAE="$(cd "$(dirname "$KOTAE")" && pwd)/$(basename "$KOTAE")"

work="$(mktemp -d -t kotae-load.XXXXXX)"
pid=""
cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== indexing $CONTENT"
"$KOTAE" index --content "$CONTENT" --index "$work/index" --quiet

# URL lists: every query of the set, percent-encoded.
python3 - "$QUERIES" "$addr" "$work" "${DISTINCT:-0}" <<'EOF'
import json, sys, urllib.parse
queries, addr, work, distinct = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
texts = [json.loads(l)["text"] for l in open(queries, encoding="utf-8") if l.strip()]
if distinct:
    endings = ["", "の方法", "ができない", "について", "を知りたい", "はどこ", "の手順", "がわからない",
               "したい", "の確認", "　教えて", "？", "の件", "について質問", "の変更", "はいつ", "の設定",
               "が困る", "の問い合わせ", "をお願い"]
    texts = [t + e for e in endings for t in texts]
for name, path in (("api", "/api/search?q="), ("html", "/search?q=")):
    with open(f"{work}/{name}.urls", "w") as f:
        for t in texts:
            f.write(f"http://{addr}{path}{urllib.parse.quote(t)}\n")
print(f"{len(texts)} queries")
EOF

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU time of the service so far (user + system), in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

echo "== starting kotae serve on $addr"
start_ns=$(date +%s%N)
(cd "$work" && exec "$KOTAE" serve --index "$work/index" --addr "$addr") >"$work/serve.log" 2>&1 &
pid=$!
first=""
for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "http://$addr/api/search?q=%E8%BF%94%E5%93%81" 2>/dev/null; then
        first=$(( ($(date +%s%N) - start_ns) / 1000000 ))
        break
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log"; echo "kotae serve died" >&2; exit 1; }
    sleep 0.05
done
[[ -n "$first" ]] || { echo "no answer within 30 s" >&2; exit 1; }
sleep 1
rest=$(rss_kb "$pid")
echo "time from start to first answer: ${first} ms"
echo "RSS at rest: $((rest / 1024)) MiB"

load() { # name urls-file
    local name="$1" urls="$2" peak=0 r cpu0
    cpu0=$(cpu_ticks "$pid")
    if command -v oha >/dev/null; then
        oha --no-tui --urls-from-file -z "$DURATION" -c "$CONNECTIONS" ${RATE:+-q "$RATE"} --output-format json "$urls" >"$work/$name.json" &
    else
        # wrk takes one URL: rotate through the list with a Lua script.
        python3 - "$urls" >"$work/rotate.lua" <<'EOF'
import sys, urllib.parse
paths = [urllib.parse.urlsplit(u.strip()) for u in open(sys.argv[1]) if u.strip()]
print("local paths = {" + ",".join('"%s?%s"' % (p.path, p.query) for p in paths) + "}")
print("local i = 0\nrequest = function() i = i % #paths + 1; return wrk.format(nil, paths[i]) end")
print('done = function(s, l, r) io.write(string.format("WRK %f %f %f %d %d\\n", s.requests / (s.duration / 1e6), l:percentile(50) / 1000, l:percentile(99) / 1000, s.requests, s.errors.status + s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout)) end')
EOF
        wrk -t2 -c "$CONNECTIONS" -d "$DURATION" -s "$work/rotate.lua" "http://$addr/" >"$work/$name.wrk" &
    fi
    local lp=$!
    while kill -0 "$lp" 2>/dev/null; do
        r=$(rss_kb "$pid"); (( r > peak )) && peak=$r
        sleep 0.5
    done
    wait "$lp"
    local cpu_ms=$(( ($(cpu_ticks "$pid") - cpu0) * 1000 / $(getconf CLK_TCK) ))
    if [[ -f "$work/$name.json" ]]; then
        python3 - "$work/$name.json" "$name" "$peak" "$cpu_ms" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
served = max(sum(codes.values()), 1)
print(f"{sys.argv[2]:>5}: {s['requestsPerSec']:.0f} req/s, p50 {p['p50']*1000:.2f} ms, p99 {p['p99']*1000:.2f} ms, "
      f"success {s['successRate']*100:.1f}%, status {codes}, peak RSS {int(sys.argv[3])//1024} MiB, "
      f"service CPU {int(sys.argv[4]) / served:.1f} ms per request")
EOF
    else
        awk -v n="$name" -v peak="$peak" '/^WRK/ {printf "%5s: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d requests, %d errors, peak RSS %d MiB\n", n, $2, $3, $4, $5, $6, peak/1024}' "$work/$name.wrk"
    fi
}

echo "== load: $DURATION per phase, $CONNECTIONS connections${RATE:+, $RATE requests/s} ($(command -v oha >/dev/null && echo oha || echo wrk))"
load api "$work/api.urls"
load html "$work/html.urls"
echo "RSS after load: $(( $(rss_kb "$pid") / 1024 )) MiB (VmHWM, the highest ever: $(( $(hwm_kb "$pid") / 1024 )) MiB)"
