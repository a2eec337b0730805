#!/usr/bin/env bash
# Property-based API testing with schemathesis against the served OpenAPI document.
#
#   tests/load/schemathesis.sh                 # target/debug/kotae (built if needed)
#   PROFILE=release tests/load/schemathesis.sh
#   KOTAE=/path/to/kotae MAX_EXAMPLES=500 tests/load/schemathesis.sh
#
# It indexes the sample corpus into a temporary folder, starts `kotae serve` on a free
# 127.0.0.1 port, and runs schemathesis (pinned: SCHEMATHESIS_VERSION in lib.sh, installed
# once into a venv under ~/.cache/kotae when it is not there) on `/api/openapi.json` with every
# check: no 5xx, responses and status codes and content types as documented, invalid input
# rejected, valid input accepted. Generated data is random but seeded (SEED) so a CI failure
# can be replayed. The service is stopped at the end; the exit status is schemathesis'.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

CONTENT="${CONTENT:-$repo/content}"
MAX_EXAMPLES="${MAX_EXAMPLES:-300}"
SEED="${SEED:-20261122}"
CHECKS="${CHECKS:-all}"

venv="$cache_dir/schemathesis-$SCHEMATHESIS_VERSION"
if [[ ! -x "$venv/bin/schemathesis" ]]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION into $venv (once)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

kotae_binary
prepare_index schemathesis
log "starting kotae serve on $addr"
start_server "$work/index" "$work/serve.log"

log "schemathesis $SCHEMATHESIS_VERSION: checks $CHECKS, up to $MAX_EXAMPLES examples per operation, seed $SEED"
status=0
(cd "$work" && "$venv/bin/schemathesis" run "http://$addr/api/openapi.json" \
    --checks "$CHECKS" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --generation-database none \
    --request-timeout 30 \
    --workers 2 \
    --no-color) || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
    tail -20 "$work/serve.log" >&2
    die "kotae serve died during the run"
fi
if grep -q 'panicked' "$work/serve.log"; then
    grep -m5 'panicked' "$work/serve.log" >&2
    die "the service panicked during the run"
fi
exit "$status"
