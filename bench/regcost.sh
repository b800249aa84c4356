#!/usr/bin/env bash
# CPU microseconds of yimen per digest registration, for two or more builds
# at once: each revision in REVS runs bench/register.sh (yimen only, one
# step) at the same RATE at the same time, on its own loopback addresses,
# so all of them see the same contention from whatever else shares the box
# (as bench/callcost.sh does for calls).
#
# usage: REVS="ca6e5b2 HEAD" RATE=3000 bench/regcost.sh
#   REVS       revisions to build and compare (default "HEAD~1 HEAD")
#   RATE       registrations/s offered to each (default 3000)
#   STEP_SECS  length of the step (default 20); CPU and registrations are
#              counted from 3 s to STEP_SECS-3 s
#
# Prints, per revision: yimen's CPU % over the window, the registrations
# answered 200 in it (yimen_sip_register_total{result="ok"}), CPU µs per
# registration, RSS, SIPp's failed registrations and retransmissions.
set -u
RATE=${RATE:-3000}
REVS=${REVS:-"HEAD~1 HEAD"}
BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$BENCH/out}
STAMP=${STAMP:-$(date +%Y%m%d-%H%M%S)}
i=0 pids=""
for rev in $REVS; do
  # 127.0.0.80-81, .82-83, ...: apart from the other scripts' addresses.
  base=$((80 + 2 * i))
  YIMEN_REV=$rev REG_RATES=$RATE SYSTEMS=yimen RETRIES=0 QUIET_WAIT=0 STAMP=cost-$STAMP-$i \
    YIMEN_IP=127.0.0.$base REG_IP=127.0.0.$((base + 1)) \
    "$BENCH/register.sh" >/dev/null 2>&1 &
  pids="$pids $!"
  i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
echo "Digest registrations at $RATE/s offered to each build at once (bench/out/register-cost-$STAMP-*):"
echo
echo "| build | yimen CPU % | registrations in the window | CPU µs per registration | RSS MB | failed | retrans | box busy % |"
echo "|---|---|---|---|---|---|---|---|"
for j in $(seq 0 $((i - 1))); do
  python3 - "$OUT/register-cost-$STAMP-$j" "$RATE" <<'PY'
import json, os, sys
run, rate = sys.argv[1], sys.argv[2]
d = os.path.join(run, 'yimen-register-' + rate)
def ok(name):
    for line in open(os.path.join(d, name)):
        if line.startswith('yimen_sip_register_total{result="ok"}'):
            return float(line.split()[-1])
    return 0.0
try:
    rev = open(os.path.join(run, 'env.txt')).read().split('yimen: ')[1].split(',')[0]
    c = json.load(open(os.path.join(d, 'cpu.json')))
    s = json.load(open(os.path.join(d, 'summary.json')))
    n = ok('m1.prom') - ok('m0.prom')
except (OSError, ValueError, IndexError) as e:
    sys.exit(f'{run}: no result ({e}); see {run}/run.log')
y = c['yimen']
print(f"| {rev} | {y['cpu_pct']} | {n:.0f} | {10000 * y['cpu_pct'] * c['window_s'] / max(n, 1):.1f} | "
      f"{y['rss_kb'] // 1024} | {s['failed']} | {s['retransmissions']} | {c['box_cpu_pct']['busy']} |")
PY
done
