#!/usr/bin/env bash
# CPU milliseconds of yimen per call, for two or more builds at once: each
# revision in REVS runs bench/calls.sh (yimen only, one step) at the same
# RATE at the same time, on its own loopback addresses, so all of them see
# the same contention from whatever else shares the box. On a shared 2-vCPU
# box two runs of one build minutes apart differed by 25 %; run side by
# side, by under 1 %.
#
# usage: REVS="ca7a463 HEAD" RATE=300 bench/callcost.sh
#   REVS       revisions to build and compare (default "HEAD~1 HEAD")
#   RATE       calls/s offered to each (default 300)
#   STEP_SECS  length of the step (default 20); CPU and calls are counted
#              from 4 s to STEP_SECS-2 s
#
# Prints, per revision: yimen's CPU % over the window, the calls that ended
# in it (yimen_calls_ended_total), CPU ms per call, RSS, failed calls.
set -u
RATE=${RATE:-300}
REVS=${REVS:-"HEAD~1 HEAD"}
BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$BENCH/out}
STAMP=${STAMP:-$(date +%Y%m%d-%H%M%S)}
i=0 pids=""
for rev in $REVS; do
  # 127.0.0.60-62, .63-65, ...: apart from the other scripts' addresses.
  base=$((60 + 3 * i))
  YIMEN_REV=$rev CPS_RATES=$RATE SYSTEMS=yimen RETRIES=0 QUIET_WAIT=0 STAMP=cost-$STAMP-$i \
    YIMEN_IP=127.0.0.$base UAC_IP=127.0.0.$((base + 1)) UAS_IP=127.0.0.$((base + 2)) \
    "$BENCH/calls.sh" >/dev/null 2>&1 &
  pids="$pids $!"
  i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
echo "Calls at $RATE/s offered to each build at once (bench/out/calls-cost-$STAMP-*):"
echo
echo "| build | yimen CPU % | calls ended in the window | CPU ms per call | RSS MB | failed | box busy % |"
echo "|---|---|---|---|---|---|---|"
for j in $(seq 0 $((i - 1))); do
  python3 - "$OUT/calls-cost-$STAMP-$j" "$RATE" <<'PY'
import json, os, sys
run, rate = sys.argv[1], sys.argv[2]
d = os.path.join(run, 'yimen-calls-' + rate)
def ended(name):
    n = 0.0
    for line in open(os.path.join(d, name)):
        if line.startswith('yimen_calls_ended_total{'):
            n += float(line.split()[-1])
    return n
try:
    rev = open(os.path.join(run, 'env.txt')).read().split('yimen: ')[1].split(',')[0]
    c = json.load(open(os.path.join(d, 'cpu.json')))
    s = json.load(open(os.path.join(d, 'summary.json')))
    n = ended('m1.prom') - ended('m0.prom')
except (OSError, ValueError, IndexError) as e:
    sys.exit(f'{run}: no result ({e}); see {run}/run.log')
y = c['yimen']
print(f"| {rev} | {y['cpu_pct']} | {n:.0f} | {10 * y['cpu_pct'] * c['window_s'] / max(n, 1):.3f} | "
      f"{y['rss_kb'] // 1024} | {s['failed']} | {c['box_cpu_pct']['busy']} |")
PY
done
