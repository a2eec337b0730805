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
#
# LOADGEN=wrk loads with Debian's `wrk` instead (2 threads, a Lua script rotating through the
# questions), as issue #21 measured: wrk asks for no compression, so the answers go out
# uncompressed, and wrk itself takes about half oha's CPU per request.
set -euo pipefail

source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
[[ $# -ge 1 ]] || die "usage: INDEX=folder $0 KOTAE_BINARY [KOTAE_BINARY ...]"
[[ -n "${INDEX:-}" && -d "$INDEX" ]] || die "INDEX must name an index folder (kotae index --index ...)"
QUERIES="${QUERIES:-$(cd "$repo/.." && pwd)/shared/eval/wiki-qa/queries.jsonl}"
DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-32}"
ROUNDS="${ROUNDS:-2}"
ROUTE="${ROUTE:-/api/search}"
LOADGEN="${LOADGEN:-oha}"
export KOTAE_MEANING="${KOTAE_MEANING:-off}"
export KOTAE_RESULT_CACHE=0 KOTAE_VECTOR_CACHE=0
case "$LOADGEN" in
    oha) ensure_oha ;;
    wrk) command -v wrk >/dev/null || die "LOADGEN=wrk needs wrk (apt-get install -y wrk)" ;;
    *) die "LOADGEN is oha or wrk, not $LOADGEN" ;;
esac

work="$(mktemp -d -t kotae-http-cpu.XXXXXX)"
pid=""
stop() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=""; }
trap 'stop; rm -rf "$work"' EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# wrk, 2 threads, CONNECTIONS connections, DURATION, rotating through the paths of $1/urls;
# its `done` hook writes one line to $1/wrk.out.
wrk_load() { # folder port
    python3 - "$1/urls" "$1/rotate.lua" <<'EOF'
import sys
from urllib.parse import urlsplit
paths = [urlsplit(u.strip()) for u in open(sys.argv[1]) if u.strip()]
paths = [p.path + ("?" + p.query if p.query else "") for p in paths]
with open(sys.argv[2], "w") as f:
    f.write("paths = {\n" + ",\n".join('"%s"' % p for p in paths) + "\n}\n")
    f.write("local i = 0\nrequest = function() i = i % #paths + 1; return wrk.format(nil, paths[i]) end\n")
    f.write("done = function(s, latency, requests)\n"
            "  local e = s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout + s.errors.status\n"
            "  io.write(string.format(\"WRK %.1f %.2f %.2f %d %d\\n\", s.requests / (s.duration / 1e6),"
            " latency:percentile(50) / 1000, latency:percentile(99) / 1000, s.requests, e))\n"
            "end\n")
EOF
    wrk -t2 -c "$CONNECTIONS" -d "$DURATION" -s "$1/rotate.lua" "http://127.0.0.1:$2/" >"$1/wrk.out"
}

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
    if [[ "$LOADGEN" == wrk ]]; then
        wrk_load "$dir" "$port"
    else
        "$OHA" --no-tui --urls-from-file -z "$DURATION" -c "$CONNECTIONS" --output-format json "$dir/urls" >"$dir/oha.json"
    fi
    python3 - "$dir" "$LOADGEN" "$(( $(cpu_ticks "$pid") - t0 ))" "$(getconf CLK_TCK)" "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, sys
folder, loadgen = sys.argv[1], sys.argv[2]
if loadgen == "wrk":
    # The `done` hook's line: requests/s, p50 and p99 (ms), requests, errors (non-2xx, sockets).
    line = next(l for l in open(f"{folder}/wrk.out") if l.startswith("WRK "))
    rate, p50, p99, served, bad = line.split()[1:]
    rate, p50, p99, served, bad = float(rate), float(p50), float(p99), int(served), int(bad)
    bad = {"errors": bad} if bad else {}
else:
    d = json.load(open(f"{folder}/oha.json"))
    s, p = d["summary"], d["latencyPercentiles"]
    codes = d.get("statusCodeDistribution", {})
    rate, p50, p99, served = s["requestsPerSec"], p["p50"] * 1000, p["p99"] * 1000, sum(codes.values())
    bad = {c: n for c, n in codes.items() if not c.startswith("2")}
cpu_ms = int(sys.argv[3]) * 1000 / int(sys.argv[4]) / max(served, 1)
print(f"{sys.argv[5]}: {rate:.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
      f"{cpu_ms:.3f} ms CPU per request ({loadgen}), load average {sys.argv[6]}" + (f", non-2xx {bad}" if bad else ""))
EOF
    stop
}

log "$ROUNDS round(s) of $DURATION per binary, $CONNECTIONS connections, questions of $QUERIES"
for _ in $(seq 1 "$ROUNDS"); do
    for binary in "$@"; do
        run "$binary"
    done
done
