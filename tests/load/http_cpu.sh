#!/usr/bin/env bash
# CPU per request of `kotae serve` builds over HTTP, interleaved: the figure to compare two
# builds with on a shared machine (requests/s move with the other tenants; CPU per request far
# less). Not part of CI.
#
#   INDEX=/tmp/wiki-idx tests/load/http_cpu.sh /tmp/kotae-before target/release/kotae
#   ROUNDS=3 DURATION=20s CONNECTIONS=32 INDEX=... QUERIES=... tests/load/http_cpu.sh A B ...
#
# For each round and each binary, in turn: start `kotae serve` on INDEX (lexical unless
# KOTAE_MEANING is set, result and vector caches off, rate limits off, events in a fresh SQLite
# file), ask every question of QUERIES once (so that pages analyzed on first use are warm, as
# in peers.sh), then load `GET ROUTE?q=QUESTION` (ROUTE: /api/search unless set; /search for
# the results page) with `oha` (which asks for gzip) for
# DURATION at CONNECTIONS. Prints requests/s, p50, p99, the service's CPU time per request
# (user + system, from /proc) and the load average. Only loopback is contacted; each server is
# stopped before the next starts.
set -euo pipefail

source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
[[ $# -ge 1 ]] || die "usage: INDEX=folder $0 KOTAE_BINARY [KOTAE_BINARY ...]"
[[ -n "${INDEX:-}" && -d "$INDEX" ]] || die "INDEX must name an index folder (kotae index --index ...)"
QUERIES="${QUERIES:-$(cd "$repo/.." && pwd)/shared/eval/wiki-qa/queries.jsonl}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
ROUNDS="${ROUNDS:-2}"
ROUTE="${ROUTE:-/api/search}"
export KOTAE_MEANING="${KOTAE_MEANING:-off}"
export KOTAE_RESULT_CACHE=0 KOTAE_VECTOR_CACHE=0
ensure_oha

work="$(mktemp -d -t kotae-http-cpu.XXXXXX)"
pid=""
stop() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=""; }
trap 'stop; rm -rf "$work"' EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # binary
    local port dir t0
    port="$(free_port)"
    dir="$(mktemp -d "$work/run.XXXX")"
    (cd "$dir" && KOTAE_EVENTS_DB="$dir/events.sqlite3" exec "$1" serve --index "$INDEX" --addr "127.0.0.1:$port") >"$dir/log" 2>&1 &
    pid=$!
    for _ in $(seq 1 600); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; die "$1 did not start"; }
        sleep 0.1
    done
    python3 - "$QUERIES" "$port" "$dir/urls" "$ROUTE" <<'EOF'
import http.client, json, sys, urllib.parse
queries, port, out, route = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
with open(out, "w") as f:
    for line in open(queries, encoding="utf-8"):
        if line.strip():
            path = route + "?q=" + urllib.parse.quote(json.loads(line)["text"])
            c.request("GET", path)
            c.getresponse().read()
            f.write(f"http://127.0.0.1:{port}{path}\n")
EOF
    t0=$(cpu_ticks "$pid")
    "$OHA" --no-tui --urls-from-file -z "$DURATION" -c "$CONNECTIONS" --output-format json "$dir/urls" >"$dir/oha.json"
    python3 - "$dir/oha.json" "$(( $(cpu_ticks "$pid") - t0 ))" "$(getconf CLK_TCK)" "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
served = max(sum(codes.values()), 1)
cpu_ms = int(sys.argv[2]) * 1000 / int(sys.argv[3]) / served
bad = {c: n for c, n in codes.items() if not c.startswith("2")}
print(f"{sys.argv[4]}: {s['requestsPerSec']:.0f} req/s, p50 {p['p50'] * 1000:.2f} ms, p99 {p['p99'] * 1000:.2f} ms, "
      f"{cpu_ms:.3f} ms CPU per request, load average {sys.argv[5]}" + (f", non-2xx {bad}" if bad else ""))
EOF
    stop
}

log "$ROUNDS round(s) of $DURATION per binary, $CONNECTIONS connections, questions of $QUERIES"
for _ in $(seq 1 "$ROUNDS"); do
    for binary in "$@"; do
        run "$binary"
    done
done
