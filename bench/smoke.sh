#!/usr/bin/env bash
# A one-minute, small-scale run of register.sh, calls.sh and concurrent.sh
# against yimen only, so the harness never rots. It prints the figures and
# asserts nothing about speed: it exits non-zero only when the harness itself
# breaks (a script fails, or a scenario completes no call at all).
#
# usage: bench/smoke.sh   or   make -C bench smoke
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
export SYSTEMS=yimen STAMP=${STAMP:-$(date +%Y%m%d-%H%M%S)} QUIET_WAIT=0 BUSY_MAX=1000
export OUT=${OUT:-$BENCH/out}/smoke-$STAMP
mkdir -p "$OUT"
if [ -z "${YIMEN_BIN:-}" ]; then
  # The scripts' own build (the committed tree), made once for all three.
  YIMEN_BIN=$(. "$BENCH/lib.sh" && RUN=$OUT && build_yimen && echo "$YIMEN_BIN") || exit 2
  export YIMEN_BIN YIMEN_BUILT="commit ${YIMEN_BIN##*pbx-}"
fi
rc=0
run() {  # run NAME ENV... : one script at small scale
  local name=$1; shift
  env "$@" "$BENCH/$name.sh" || { echo "smoke: $name.sh failed" >&2; rc=1; return; }
  python3 - "$OUT/$name-$STAMP/steps.jsonl" <<'PY' || rc=1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [r['param'] for r in rows if not r['stats'].get('successful')]
if not rows or bad:
    sys.exit(f'smoke: no call completed in {sys.argv[1]} (steps {bad})')
PY
}
run register REG_RATES="300" STEP_SECS=8
run calls CPS_RATES="50" STEP_SECS=8
run concurrent CALLS_N=20 WINDOW=5 SETTLE=3 PROFILE_SECS=0
[ $rc = 0 ] && echo "smoke: harness OK; figures in $OUT" || echo "smoke: harness broken" >&2
exit $rc
