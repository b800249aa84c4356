#!/usr/bin/env bash
# N concurrent bridged G.711 calls with RTP both ways: relay CPU, memory per
# call, packets relayed and lost. yimen and Kamailio + rtpengine in one run.
#
# usage: bench/concurrent.sh        (knobs in the environment)
#   CALLS_N       "100 500 1000"  concurrent calls per step
#   WINDOW        60      seconds sampled with all N calls up
#   RAMP          100     calls/s while the N calls are set up
#   SETTLE        10      seconds between the last set-up and the window
#   PROFILE_SECS  15      yimen CPU profile (pprof; PERF=1 adds perf) taken
#                         after the sampled window, so it does not weigh on it; 0: none
#   HEAP          1: yimen's live heap profile (lib.sh heap) after the window,
#                 and one idle before the calls (heap-idle.pprof)
#   SYSTEMS       "yimen kamailio"
#   RECORD        1: yimen records every call (recording.policy always, SM4-GCM
#                 sealed files); rtpengine records nothing, so run it with
#                 SYSTEMS=yimen. The recordings' size is noted, then deleted.
#   YIMEN_ENV     "YIMEN_RTP_KERNEL_FORWARD=false": yimen's relay forwards every
#                 packet itself (by default, as root, untapped calls go to the
#                 kernel path and the relay's own CPU hardly moves: compare the
#                 box's busy CPU, which includes the kernel's work, not only it)
#
# Caller (kit's uac_rtpstream.xml, $UAC_IP, default 127.0.0.2) and callee
# (uas_rtpstream.xml, $UAS_IP, default 127.0.0.3, registered as 1999) each
# stream the A-law payload of the kit's g711a.alaw with SIPp's rtp_stream: PT 8, 20 ms, 50 pkt/s per direction, so
# the relay should forward N x 100 pkt/s. Neither SIPp reads what it receives
# (a sink), so SIPp cannot count loss; loss is what the relay did not relay:
# expected - relayed, the relay's own drop counters and the kernel's receive
# drops on sockets in 20000-59999. Each N runs on a freshly started system,
# so "RSS idle -> N" is that process's growth for N calls. Roles: rtpengine is
# the relay beside Kamailio; yimen's one process is SIP B2BUA and relay.
set -u
. "$(dirname "$0")/lib.sh"
CALLS_N=${CALLS_N:-"100 500 1000"}
WINDOW=${WINDOW:-60}
RAMP=${RAMP:-100}
PROFILE_SECS=${PROFILE_SECS:-15}
SETTLE=${SETTLE:-10}
if [ "${RECORD:-0}" = 1 ]; then
  export YIMEN_ENV="YIMEN_RECORDING_POLICY=always YIMEN_RECORDING_ENCRYPT=true"
  begin concurrent-recorded
else
  begin concurrent
fi

step() {  # step DIR N
  local d=$1 n=$2 ramp hold
  ramp=$(((n + RAMP - 1) / RAMP))
  hold=$((ramp + SETTLE + WINDOW + PROFILE_SECS + 5))
  sut_start "$SUT" "conc-n$n"
  register_uas
  $SAMPLE_PY --window 2 $SUT_PIDS >"$d/idle.json"
  metrics "$d/m_idle.prom"
  [ "${HEAP:-0}" = 1 ] && heap "$d" idle
  start_uas "$d" $((ramp + hold + 30)) uas_rtpstream.xml
  (cd "$d" && exec timeout $((ramp + hold + 40)) sipp "$SUT_ADDR" -sf "$SCEN/uac_rtpstream.xml" \
    -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv "$SUT" 1900 1998)" -au '[field0]' -ap '[field1]' \
    -i "$UAC_IP" -p 5080 -mp 6000 -r "$RAMP" -m "$n" -l "$n" -d $((hold * 1000)) -nostdin $UAC_FLAGS \
    -trace_stat -stf "$d/stat.csv" -fd 1 -trace_err -timeout $((ramp + hold + 30))s >"$d/sipp.out" 2>&1) &
  SIPP_PID=$!
  sample "$d" $((ramp + SETTLE)) "$WINDOW" sipp=$SIPP_PID uas=$UAS_PID
  python3 "$TOOLS/udpdrops.py" >"$d/udp_drops.json"
  [ "${HEAP:-0}" = 1 ] && heap "$d"
  [ "$PROFILE_SECS" -gt 0 ] && profile "$d" "$PROFILE_SECS"
  wait "$SIPP_PID"; SIPP_PID=""
  end_uas
  summarise "$d" 0
  local sys=$SUT
  sut_stop
  if [ -d "$YIMEN_DATA/recordings" ]; then
    du -sb "$YIMEN_DATA/recordings" | cut -f1 >"$d/recordings_bytes"
    find "$YIMEN_DATA/recordings" -type f | wc -l >"$d/recordings_files"
    rm -rf "$YIMEN_DATA/recordings"
  fi
  SUT=$sys # run_step records under this system's name
}

for sys in $SYSTEMS; do
  for n in $CALLS_N; do
    log "$sys: $n concurrent calls, ${WINDOW}s window"
    SUT=$sys
    run_step concurrent "$n" 0 || log "$sys: calls failed at N=$n"
    SUT=""
    sleep 3
  done
done
report "Concurrent relayed G.711 calls$([ "${RECORD:-0}" = 1 ] && echo ', every call recorded by yimen'), yimen vs Kamailio + rtpengine" concurrent
