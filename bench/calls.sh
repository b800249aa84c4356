#!/usr/bin/env bash
# Call set-ups per second, ramped until failures, yimen and Kamailio +
# rtpengine in the same run. Short calls, no media.
#
# usage: bench/calls.sh             (knobs in the environment)
#   CPS_RATES     "200 400 600 800 1000 1200 1400 1600"  calls/s per step
#   STEP_SECS     20      length of a step; CPU sampled from 4 s to STEP_SECS-2 s
#   SYSTEMS       "yimen kamailio"
#   PROFILE_RATE  rate at which to take a 10 s CPU profile of yimen inside the
#                 sampled window; empty: none
#   HEAP_RATE     rate at whose step's end (calls still being set up) to take
#                 yimen's live heap profile (lib.sh heap), and again 8 s and
#                 40 s after the step's last call; empty: none
#
# Each call is the kit's uac_auth.xml: INVITE -> 407 -> ACK -> INVITE with
# Proxy-Authorization -> 100/180/200 -> ACK -> 1 s -> BYE -> 200, callers
# 1900-1998 from $UAC_IP (127.0.0.2):5080, to 1999 = the kit's uas.xml on 127.0.0.3:5070.
# Roles differ: Kamailio proxies each call statefully (one transaction per
# request, rtpengine offer/answer/delete); yimen is a B2BUA and runs two
# dialogs per call with an RTP port pair per leg from its relay.
# A system's ramp stops at its first step with >= 0.1 % failed calls, calls
# left unfinished, or a median 1 s rate under 97 % of the target.
set -u
. "$(dirname "$0")/lib.sh"
CPS_RATES=${CPS_RATES:-"200 400 600 800 1000 1200 1400 1600"}
STEP_SECS=${STEP_SECS:-20}
PROFILE_RATE=${PROFILE_RATE:-}
HEAP_RATE=${HEAP_RATE:-}
begin calls

step() {  # step DIR RATE
  local d=$1 r=$2 pp=""
  start_uas "$d" $((STEP_SECS + 40)) uas.xml
  (cd "$d" && exec timeout $((STEP_SECS + 40)) sipp "$SUT_ADDR" -sf "$SCEN/uac_auth.xml" \
    -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv "$SUT" 1900 1998)" -au '[field0]' -ap '[field1]' \
    -i "$UAC_IP" -p 5080 -mp 6000 -r "$r" -m $((r * STEP_SECS)) -d 1000 -nostdin $UAC_FLAGS \
    -trace_stat -stf "$d/stat.csv" -fd 1 -trace_err -timeout $((STEP_SECS + 30))s >"$d/sipp.out" 2>&1) &
  SIPP_PID=$!
  if [ "$SUT" = yimen ] && [ "$r" = "$PROFILE_RATE" ]; then (sleep 5; profile "$d" 10) & pp=$!; fi
  sample "$d" 4 $((STEP_SECS - 6)) sipp=$SIPP_PID uas=$UAS_PID
  [ -n "$pp" ] && wait "$pp"
  if [ "$SUT" = yimen ] && [ "$r" = "$HEAP_RATE" ]; then heap "$d"; fi
  wait "$SIPP_PID"; SIPP_PID=""
  # What outlives the calls: the heap 8 s and 40 s after the last one
  # (transactions' timers run up to 32 s).
  if [ "$SUT" = yimen ] && [ "$r" = "$HEAP_RATE" ]; then sleep 8; heap "$d" after8s; sleep 32; heap "$d" after40s; fi
  end_uas
  summarise "$d" "$r"
}

for sys in $SYSTEMS; do
  sut_start "$sys" calls
  register_uas
  for r in $CPS_RATES; do
    log "$sys calls $r/s for ${STEP_SECS}s"
    run_step calls "$r" "$r" || { log "$sys: first step not clean at $r/s"; break; }
    sleep 3
  done
  sut_stop
done
report "Call set-ups per second, yimen vs Kamailio + rtpengine" calls
