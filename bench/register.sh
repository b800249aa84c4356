#!/usr/bin/env bash
# Digest-authenticated REGISTER/s, ramped, yimen and Kamailio in the same run.
#
# usage: bench/register.sh          (knobs in the environment)
#   REG_RATES     "2000 4000 6000 7000 8000 9000 10000 12000"  registrations/s per step
#   STEP_SECS     20      length of a step; CPU sampled from 3 s to STEP_SECS-3 s
#   SYSTEMS       "yimen kamailio"
#   REG_IP        SIPp's address, default 127.0.0.4 (the kit's)
#   PROFILE_RATE  rate at which to take a 10 s CPU profile of yimen inside the
#                 sampled window (pprof at 100 Hz costs ~1 % CPU); empty: none
#
# One SIPp "call" is REGISTER -> 401 -> REGISTER with Authorization -> 200,
# the kit's register.xml (tests/scenarios/register_inf.xml), users 1000-1899 from 127.0.0.4:5090. A system's
# ramp stops at its first step that is not clean: >= 0.1 % failed, calls left
# unfinished, a median 1 s rate under 97 % of the target, or retransmissions
# above 0.1 % of registrations.
set -u
. "$(dirname "$0")/lib.sh"
REG_RATES=${REG_RATES:-"2000 4000 6000 7000 8000 9000 10000 12000"}
STEP_SECS=${STEP_SECS:-20}
PROFILE_RATE=${PROFILE_RATE:-}
REG_IP=${REG_IP:-127.0.0.4}  # SIPp's address (the kit's); bench/regcost.sh gives each build its own
begin register

step() {  # step DIR RATE
  local d=$1 r=$2 pp=""
  (cd "$d" && exec timeout $((STEP_SECS + 40)) sipp "$SUT_ADDR" -sf "$SCEN/register_inf.xml" \
    -inf "$(users_csv "$SUT" 1000 1899)" -au '[field0]' -ap '[field1]' \
    -i "$REG_IP" -p 5090 -r "$r" -m $((r * STEP_SECS)) -nostdin -recv_timeout 10000 \
    -trace_stat -stf "$d/stat.csv" -fd 1 -trace_err -timeout $((STEP_SECS + 30))s >"$d/sipp.out" 2>&1) &
  SIPP_PID=$!
  if [ "$SUT" = yimen ] && [ "$r" = "$PROFILE_RATE" ]; then (sleep 4; profile "$d" 10) & pp=$!; fi
  sample "$d" 3 $((STEP_SECS - 6)) sipp=$SIPP_PID
  [ -n "$pp" ] && wait "$pp"
  wait "$SIPP_PID"; SIPP_PID=""
  summarise "$d" "$r"
}

for sys in $SYSTEMS; do
  sut_start "$sys" register
  for r in $REG_RATES; do
    log "$sys REGISTER $r/s for ${STEP_SECS}s"
    run_step register "$r" "$r" 0.1 || { log "$sys: first step not clean at $r/s"; break; }
    sleep 3
  done
  sut_stop
done
report "Digest REGISTER/s, yimen vs Kamailio" register
