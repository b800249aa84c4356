#!/usr/bin/env bash
# Legitimate calls while the server is flooded: 100 call set-ups/s (the calls
# scenario) from the usual sources, first alone, then beside 20 000 msg/s of
# garbage datagrams, scanner OPTIONS and password-guessing REGISTERs from ten
# other loopback addresses (bench/cmd/flood). yimen and Kamailio + rtpengine
# (pike + htable ipban, the kit's cfg) in the same run.
#
# usage: bench/flood.sh             (knobs in the environment)
#   LEGIT_CPS     100     legitimate calls/s (uac_auth.xml, 1 s calls)
#   FLOOD_RATES   "0 20000"  flood msg/s per step; 0 is the reference step
#   FLOOD_SOURCES 127.0.0.50-127.0.0.59
#   FLOOD_MIX     garbage=40,scanner=30,register=30 (percent)
#   STEP_SECS     30      length of a step; CPU sampled from 4 s to STEP_SECS-2 s
#   SYSTEMS       "yimen kamailio"
#
# Guards as deployed, not the huge limits of bench/yimen-bench.yaml:
#   yimen: the configuration defaults (configs/demo.yaml): 200 msg/s per IP,
#     burst 400, flood ban after 200 rate drops in 10 s, 10 failed digests per
#     IP or 20 per account in 5 min ban the IP, bans last 15 min, scanner
#     User-Agents dropped; guard.allow 127.0.0.0/29 (the load sources).
#   Kamailio: the kit's cfg: pike 16 requests per 2 s per IP, then the htable
#     ipban for 300 s; scanner User-Agents dropped; pike skipped for
#     127.0.0.0/29 (the same load sources).
# Both systems keep their bans from the flood step to the end of the run.
set -u
. "$(dirname "$0")/lib.sh"
LEGIT_CPS=${LEGIT_CPS:-100}
FLOOD_RATES=${FLOOD_RATES:-"0 20000"}
FLOOD_SOURCES=${FLOOD_SOURCES:-127.0.0.50-127.0.0.59}
FLOOD_MIX=${FLOOD_MIX:-garbage=40,scanner=30,register=30}
STEP_SECS=${STEP_SECS:-30}
RETRIES=${RETRIES:-0}
export YIMEN_ENV="YIMEN_GUARD_RATE_PER_SEC=200 YIMEN_GUARD_BURST=400 YIMEN_GUARD_AUTH_FAILURES_PER_IP=10
  YIMEN_GUARD_AUTH_FAILURES_PER_ACCOUNT=20 YIMEN_GUARD_FAILURE_WINDOW=5m YIMEN_GUARD_BAN_DURATION=15m
  YIMEN_GUARD_FLOOD_BAN=true YIMEN_GUARD_ALLOW=127.0.0.0/29"
begin flood
FLOOD_BIN=$RUN/flood
(cd "$ROOT" && go build -o "$FLOOD_BIN" ./bench/cmd/flood) || die "go build ./bench/cmd/flood failed"
FLOOD_PID=""
KAMCMD="kamcmd -s unix:$KAM_RUN/kamailio_ctl"

# kam_state FILE: Kamailio's counters and its ban list now.
kam_state() {
  [ "$SUT" = kamailio ] || return 0
  { $KAMCMD stats.get_statistics all; echo "ipban_entries = $($KAMCMD htable.dump ipban 2>/dev/null | grep -c 'name:')"; } >"$1" 2>&1
}

step() {  # step DIR FLOOD_RATE
  local d=$1 r=$2
  start_uas "$d" $((STEP_SECS + 40)) uas.xml
  kam_state "$d/kam0.txt"
  metrics "$d/m_start.prom"
  (cd "$d" && exec timeout $((STEP_SECS + 40)) sipp "$SUT_ADDR" -sf "$SCEN/uac_auth.xml" \
    -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv "$SUT" 1900 1998)" -au '[field0]' -ap '[field1]' \
    -i "$UAC_IP" -p 5080 -mp 6000 -r "$LEGIT_CPS" -m $((LEGIT_CPS * STEP_SECS)) -d 1000 -nostdin $UAC_FLAGS \
    -trace_stat -stf "$d/stat.csv" -fd 1 -trace_rtt -rtt_freq 1 -trace_err \
    -timeout $((STEP_SECS + 30))s >"$d/sipp.out" 2>&1) &
  SIPP_PID=$!
  if [ "$r" -gt 0 ]; then
    # The flood starts 1 s after the calls and outlasts the placing of them.
    (sleep 1; exec "$FLOOD_BIN" -target "$SUT_ADDR" -sources "$FLOOD_SOURCES" -rate "$r" \
      -duration "${STEP_SECS}s" -mix "$FLOOD_MIX") >"$d/flood.json" 2>"$d/flood.log" &
    FLOOD_PID=$!
  fi
  sample "$d" 4 $((STEP_SECS - 6)) sipp=$SIPP_PID uas=$UAS_PID flood=$FLOOD_PID
  [ -n "$FLOOD_PID" ] && { wait "$FLOOD_PID"; FLOOD_PID=""; }
  wait "$SIPP_PID"; SIPP_PID=""
  end_uas
  kam_state "$d/kam1.txt"
  metrics "$d/m_end.prom"
  summarise "$d" "$LEGIT_CPS"
  $STEPS_PY rtt "$d"
}

for sys in $SYSTEMS; do
  sut_start "$sys" flood
  register_uas
  for r in $FLOOD_RATES; do
    log "$sys: $LEGIT_CPS calls/s for ${STEP_SECS}s, flood $r msg/s"
    run_step flood "$r" "$LEGIT_CPS" || log "$sys: legitimate calls not clean with flood $r/s"
    sleep 3
  done
  sut_stop
done
report "Legitimate calls under a flood, yimen vs Kamailio + rtpengine" flood
