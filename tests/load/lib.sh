# Shared helpers of the load, soak and schemathesis scripts (sourced, not run).
#
# Only loopback is ever contacted by the scripts; every server they start is stopped on exit.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kotae"

# Rate limiting would turn a load test into a test of the limiter: switch it off for the
# servers these scripts start (ignored by a server without it).
export KOTAE_RATE_LIMIT=0
# Likewise the per-client connection cap: all the load comes from one address.
export KOTAE_MAX_CONNECTIONS_PER_CLIENT=0

# The pinned versions of the tools that are installed on demand.
OHA_VERSION="${OHA_VERSION:-1.16.0}"
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"

log() { echo "== $*" >&2; }
die() { echo "FAIL: $*" >&2; exit 1; }

# The kotae binary: $KOTAE if set; else PROFILE=release builds target/release/kotae, and the
# default (PROFILE=debug) builds target/debug/kotae, which `cargo test` has already built.
kotae_binary() {
    if [[ -n "${KOTAE:-}" ]]; then
        [[ -x "$KOTAE" ]] || die "KOTAE=$KOTAE is not an executable"
    else
        local profile="${PROFILE:-debug}"
        if [[ "$profile" == release ]]; then
            (cd "$repo" && cargo build --release --quiet --bin kotae)
        else
            (cd "$repo" && cargo build --quiet --bin kotae)
        fi
        KOTAE="$target_dir/$profile/kotae"
    fi
    KOTAE="$(cd "$(dirname "$KOTAE")" && pwd)/$(basename "$KOTAE")"
    export KOTAE
}

# A TCP port free on 127.0.0.1 right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# oha: on PATH, or installed once with `cargo install` into the cache folder.
ensure_oha() {
    if command -v oha >/dev/null; then
        OHA="$(command -v oha)"
        return
    fi
    local root="$cache_dir/oha-$OHA_VERSION"
    if [[ ! -x "$root/bin/oha" ]]; then
        log "installing oha $OHA_VERSION into $root (once)"
        cargo install --quiet --locked --version "$OHA_VERSION" --root "$root" oha >&2
    fi
    OHA="$root/bin/oha"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# A fresh working folder $work (removed on exit, after stopping the server and any rebuild
# loop), a free loopback address $addr, and the index of $CONTENT built into $work/index.
# $1 names the folder (kotae-$1.XXXXXX).
prepare_index() {
    work="$(mktemp -d -t "kotae-$1.XXXXXX")"
    server_pid=""
    trap 'touch "$work/stop"; stop_server; rm -rf "$work"' EXIT
    addr="127.0.0.1:$(free_port)"
    log "indexing $CONTENT with $KOTAE"
    "$KOTAE" index --content "$CONTENT" --index "$work/index" --quiet 2>/dev/null
}

# Start `kotae serve` on $addr over index $1, logging to $2; sets $server_pid. Waits for the
# first answer of /healthz (up to 60 s).
start_server() {
    local index="$1" logfile="$2"
    (cd "$(dirname "$index")" && exec "$KOTAE" serve --index "$index" --addr "$addr") >"$logfile" 2>&1 &
    server_pid=$!
    local _
    for _ in $(seq 1 1200); do
        if curl -fsS -o /dev/null "http://$addr/healthz" 2>/dev/null; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { cat "$logfile" >&2; die "kotae serve exited before answering"; }
        sleep 0.05
    done
    die "kotae serve did not answer within 60 s"
}

# Whether the server is still running and never panicked (its log is $work/serve.log).
check_server() {
    local ok=0
    kill -0 "$server_pid" 2>/dev/null || { echo "FAIL: kotae serve is not running any more" >&2; ok=1; }
    if grep -q 'panicked' "$work/serve.log"; then
        grep -m5 'panicked' "$work/serve.log" >&2
        echo "FAIL: the service panicked" >&2
        ok=1
    fi
    return "$ok"
}

# Stop the server started by start_server (SIGTERM, then SIGKILL after 10 s).
stop_server() {
    if [[ -n "${server_pid:-}" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        local _
        for _ in $(seq 1 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}

# The generation the server says it serves.
serving_generation() {
    curl -fsS "http://$addr/healthz" 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["generation"])' 2>/dev/null || true
}

# Rebuild the index $2 from content $1 every $3 seconds until the file $4 exists; each
# result is appended to $4.log ("ok" or "failed"). Run it in the background.
rebuild_loop() {
    local content="$1" index="$2" every="$3" stop="$4"
    while [[ ! -e "$stop" ]]; do
        sleep "$every"
        [[ -e "$stop" ]] && break
        if "$KOTAE" index --content "$content" --index "$index" --quiet >>"$stop.out" 2>&1; then
            echo ok >>"$stop.log"
        else
            echo failed >>"$stop.log"
        fi
    done
}

# Percent-encoded URL lists of the Japanese queries in $QUERIES (JSON lines with "text"),
# written to $1/api.urls and $1/html.urls. $2 limits the number of queries (0: all).
write_urls() {
    python3 - "$QUERIES" "$addr" "$1" "${2:-0}" <<'EOF'
import json, sys, urllib.parse
queries, addr, work, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
texts = [json.loads(l)["text"] for l in open(queries, encoding="utf-8") if l.strip()]
if limit:
    texts = texts[:limit]
for name, path in (("api", "/api/search?q="), ("html", "/search?q=")):
    with open(f"{work}/{name}.urls", "w") as f:
        for t in texts:
            f.write(f"http://{addr}{path}{urllib.parse.quote(t)}\n")
EOF
}

# Summarize an oha JSON report $1 as "name: req/s, p50, p99, status codes"; exits non-zero
# (after printing) if any response was not 2xx or any request failed.
oha_summary() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s, p = d["summary"], d["latencyPercentiles"]
codes = {int(k): v for k, v in d.get("statusCodeDistribution", {}).items()}
errors = d.get("errorDistribution", {})
total = sum(codes.values())
bad = {c: n for c, n in codes.items() if not 200 <= c < 300}
print(f"{sys.argv[2]}: {total} responses, {s['requestsPerSec']:.0f} req/s, p50 {p['p50']*1000:.1f} ms, "
      f"p99 {p['p99']*1000:.1f} ms, status {dict(sorted(codes.items()))}, errors {errors or 'none'}")
if bad or errors or total == 0:
    print(f"{sys.argv[2]}: FAILED: non-2xx {bad}, request errors {errors}, {total} responses", file=sys.stderr)
    sys.exit(1)
EOF
}
