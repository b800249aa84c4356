#!/usr/bin/env bash
# CPU of yimen per unit of work, for two or more builds at once: each entry
# in REVS runs one step of bench/calls.sh or bench/register.sh (yimen only)
# at the same RATE at the same time, on its own loopback addresses, so all
# of them see the same contention from whatever else shares the box. On a
# shared 2-vCPU box two runs of one build minutes apart differed by 25 %;
# run side by side, by under 1 %.
#
# usage: WORKLOAD=calls REVS="ca7a463 HEAD" RATE=300 bench/cost.sh
#   WORKLOAD   calls (default): CPU ms per call, counted by yimen_calls_ended_total;
#              register: CPU µs per digest registration answered 200
#              (yimen_sip_register_total{result="ok"})
#   REVS       what to compare (default "HEAD~1 HEAD"): each a revision, or
#              a revision and settings for its process, REV:VAR=value[,VAR=value]
#              (HEAD:GOGC=50 is HEAD with GOGC=50 in its environment)
#   RATE       calls/s (default 300) or registrations/s (default 3000)
#              offered to each
#   STEP_SECS  length of the step (default 20); CPU and work are counted
#              from a few seconds in to a few before its end
#
# Prints, per entry: yimen's CPU % over the window, the work done in it, CPU
# per unit, RSS, SIPp's failures (and, for registrations, retransmissions).
set -u
WORKLOAD=${WORKLOAD:-calls}
REVS=${REVS:-"HEAD~1 HEAD"}
BENCH=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$BENCH/out}
STAMP=${STAMP:-$(date +%Y%m%d-%H%M%S)}
case $WORKLOAD in
  calls) RATE=${RATE:-300} ;;
  register) RATE=${RATE:-3000} ;;
  *) echo "WORKLOAD must be calls or register, not $WORKLOAD" >&2; exit 2 ;;
esac
i=0 pids="" labels=()
for entry in $REVS; do
  rev=${entry%%:*} extra=""
  [ "$entry" != "$rev" ] && extra=${entry#*:}
  labels+=("${extra:+ ($extra)}")
  env="${YIMEN_ENV:-} ${extra//,/ }"
  if [ "$WORKLOAD" = calls ]; then
    # 127.0.0.60-62, .63-65, ...: apart from the other scripts' addresses.
    base=$((60 + 3 * i))
    YIMEN_REV=$rev YIMEN_ENV=$env CPS_RATES=$RATE SYSTEMS=yimen RETRIES=0 QUIET_WAIT=0 STAMP=cost-$STAMP-$i \
      YIMEN_IP=127.0.0.$base UAC_IP=127.0.0.$((base + 1)) UAS_IP=127.0.0.$((base + 2)) \
      "$BENCH/calls.sh" >/dev/null 2>&1 &
  else
    # 127.0.0.80-81, .82-83, ...
    base=$((80 + 2 * i))
    YIMEN_REV=$rev YIMEN_ENV=$env REG_RATES=$RATE SYSTEMS=yimen RETRIES=0 QUIET_WAIT=0 STAMP=cost-$STAMP-$i \
      YIMEN_IP=127.0.0.$base REG_IP=127.0.0.$((base + 1)) \
      "$BENCH/register.sh" >/dev/null 2>&1 &
  fi
  pids="$pids $!"
  i=$((i + 1))
done
# shellcheck disable=SC2086
wait $pids
if [ "$WORKLOAD" = calls ]; then
  echo "Calls at $RATE/s offered to each build at once (bench/out/calls-cost-$STAMP-*):"
  echo
  echo "| build | yimen CPU % | calls ended in the window | CPU ms per call | RSS MB | failed | box busy % |"
  echo "|---|---|---|---|---|---|---|"
else
  echo "Digest registrations at $RATE/s offered to each build at once (bench/out/register-cost-$STAMP-*):"
  echo
  echo "| build | yimen CPU % | registrations in the window | CPU µs per registration | RSS MB | failed | retrans | box busy % |"
  echo "|---|---|---|---|---|---|---|---|"
fi
for j in "${!labels[@]}"; do
  python3 - "$OUT/$WORKLOAD-cost-$STAMP-$j" "$RATE" "$WORKLOAD" "${labels[$j]}" <<'PY'
import json, os, sys
run, rate, workload, extra = sys.argv[1:5]
step, counter, per, unit = {
    'calls': ('calls', 'yimen_calls_ended_total{', 1e3, '.3f'),
    'register': ('register', 'yimen_sip_register_total{result="ok"}', 1e6, '.1f'),
}[workload]
d = os.path.join(run, f'yimen-{step}-{rate}')
def counted(name):
    n = 0.0
    for line in open(os.path.join(d, name)):
        if line.startswith(counter):
            n += float(line.split()[-1])
    return n
try:
    rev = open(os.path.join(run, 'env.txt')).read().split('yimen: ')[1].split(',')[0]
    c = json.load(open(os.path.join(d, 'cpu.json')))
    s = json.load(open(os.path.join(d, 'summary.json')))
    n = counted('m1.prom') - counted('m0.prom')
except (OSError, ValueError, IndexError) as e:
    sys.exit(f'{run}: no result ({e}); see {run}/run.log')
y = c['yimen']
cost = per / 100 * y['cpu_pct'] * c['window_s'] / max(n, 1)
retrans = f" {s['retransmissions']} |" if workload == 'register' else ''
print(f"| {rev}{extra} | {y['cpu_pct']} | {n:.0f} | {cost:{unit}} | "
      f"{y['rss_kb'] // 1024} | {s['failed']} |{retrans} {c['box_cpu_pct']['busy']} |")
PY
done
