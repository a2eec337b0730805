#!/usr/bin/env bash
# Searches through nginx (docs/deploy/nginx.conf) in front of one, then two `kotae serve`
# replicas, then two replicas with one killed (SIGKILL) 3 s into the run: searches/s, p99 and
# failed requests of each (oha, JSON report summarized). Loopback only; everything started is
# stopped on exit.
#
#   tests/load/replicas.sh                    # the debug binary cargo test built
#   PROFILE=release tests/load/replicas.sh    # a release build
#   DURATION=15s CONNECTIONS=16 tests/load/replicas.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-16}"
QUERIES="${QUERIES:-$repo/tests/relevance/heldout.jsonl}"
NGINX="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
[[ -x "$NGINX" ]] || die "nginx is not installed (apt-get install nginx)"
kotae_binary
ensure_oha

work="$(mktemp -d)"
pids=()
cleanup() {
    # SIGTERM: nginx's master then stops its workers (SIGKILL would leave them running).
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 1
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$KOTAE" index --quiet --content "$repo/content" --index "$work/index"
export KOTAE_EVENTS_DB="$work/events.sqlite3" KOTAE_SESSION_SECRET="load-test-secret-0123456789abcdef01" \
       KOTAE_TRUST_FORWARDED_FOR=true KOTAE_LOG=warn
start_replica() { # port → pid in $replica_pid
    "$KOTAE" serve --index "$work/index" --addr "127.0.0.1:$1" 2>>"$work/serve-$1.log" &
    replica_pid=$!
    pids+=("$replica_pid")
    for _ in $(seq 1 600); do curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
    die "replica on $1 did not get ready"
}
start_nginx() { # listen a b → pid in $nginx_pid
    local dir="$work/nginx-$1"
    mkdir -p "$dir/logs" "$dir/temp"
    sed -e "s/@LISTEN@/127.0.0.1:$1/" -e "s/@REPLICA_A@/127.0.0.1:$2/" -e "s/@REPLICA_B@/127.0.0.1:$3/" \
        "$repo/docs/deploy/nginx.conf" >"$dir/nginx.conf"
    "$NGINX" -p "$dir/" -c "$dir/nginx.conf" -g 'daemon off;' &
    nginx_pid=$!
    pids+=("$nginx_pid")
    for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
    die "nginx on $1 did not come up"
}
run() { # name nginx-port
    addr="127.0.0.1:$2"
    write_urls "$work"
    "$OHA" --no-tui --urls-from-file -z "$DURATION" -c "$CONNECTIONS" --wait-ongoing-requests-after-deadline \
        --output-format json "$work/api.urls" >"$work/$1.json"
    oha_summary "$work/$1.json" "$1" || true
}

a=$(free_port); b=$(free_port)
start_replica "$a"; a_pid=$replica_pid
start_replica "$b"
one=$(free_port); two=$(free_port)
start_nginx "$one" "$a" "$a"
start_nginx "$two" "$a" "$b"
log "$CONNECTIONS connections, $DURATION each, GET /api/search through nginx"
run "1 replica" "$one"
run "2 replicas" "$two"
(sleep 3; kill -9 "$a_pid") &
run "2 replicas, one killed at 3 s" "$two"
