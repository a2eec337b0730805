#!/usr/bin/env bash
# The attack run (tests/attack/attack.py) against the kotae binary the tests built, or $KOTAE.
# Usage: tests/attack/run.sh [NAME...]   (names filter the attacks, e.g. `slowloris`)
set -euo pipefail
cd "$(dirname "$0")/../.."
export KOTAE="${KOTAE:-$PWD/target/debug/kotae}"
[ -x "$KOTAE" ] || { echo "attack: $KOTAE is missing: run cargo test (or build kotae) first" >&2; exit 2; }
exec python3 tests/attack/attack.py "$@"
