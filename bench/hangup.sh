#!/usr/bin/env bash
# The hang-up phase of N recorded calls: all N end within N/RAMP seconds,
# each finishing its recording (header, checksum, index row) while the BYEs
# arrive. Profiles yimen during the hang-ups, samples the SIP socket's
# kernel drops (ss -m) and its goroutines. yimen only.
#
# usage: bench/hangup.sh           (knobs in the environment)
#   N       1000  calls, every one recorded (SM4-GCM sealed files)
#   RAMP    100   calls/s at set-up, so also at hang-up
#   HOLD    30    seconds each call lasts
#
# Caller uac_rtpstream.xml ($UAC_IP) -> uas_rtpstream.xml ($UAS_IP, 1999),
# as bench/concurrent.sh with RECORD=1, but the CPU profile (20 s) covers
# the hang-ups rather than the calls' middle. Writes out/hangup-<date>.md;
# exit 0 only if every call completed and the SIP socket dropped nothing.
set -u
. "$(dirname "$0")/lib.sh"
N=${N:-1000}
RAMP=${RAMP:-100}
HOLD=${HOLD:-30}
SYSTEMS=yimen
export YIMEN_ENV="YIMEN_RECORDING_POLICY=always YIMEN_RECORDING_ENCRYPT=true"
begin hangup
d=$RUN/yimen-hangup-$N
mkdir -p "$d"
checks_begin "$d"
sut_start yimen hangup
register_uas
start_uas "$d" $((HOLD + 120)) uas_rtpstream.xml
(cd "$d" && exec timeout $((HOLD + 120)) sipp "$SUT_ADDR" -sf "$SCEN/uac_rtpstream.xml" \
  -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv yimen 1900 1998)" -au '[field0]' -ap '[field1]' \
  -i "$UAC_IP" -p 5080 -mp 6000 -r "$RAMP" -m "$N" -l "$N" -d $((HOLD * 1000)) -nostdin $UAC_FLAGS \
  -trace_stat -stf "$d/stat.csv" -fd 1 -trace_err -timeout $((HOLD + 100))s >"$d/sipp.out" 2>&1) &
SIPP_PID=$!
sleep $((N / RAMP + HOLD - 3))
drops() { ss -uanm 2>/dev/null | grep -A1 "$YIMEN_IP:5060 " | grep -o 'd[0-9]*)' | tr -dc 0-9; }
d0=$(drops)
log "hang-ups begin: profiling 20 s"
curl -s --max-time 40 -H "Authorization: Bearer $YIMEN_TOKEN" \
  "http://$YIMEN_IP:8080/debug/pprof/profile?seconds=20" -o "$d/cpu.pprof" &
cp=$!
for i in 1 2 3; do
  sleep 4
  curl -s --max-time 10 -H "Authorization: Bearer $YIMEN_TOKEN" \
    "http://$YIMEN_IP:8080/debug/pprof/goroutine?debug=1" -o "$d/goroutine-$i.txt"
done
wait "$cp"
d1=$(drops)
go tool pprof -top -cum -nodecount=40 "$YIMEN_BIN" "$d/cpu.pprof" >"$d/pprof-cum.txt" 2>&1
go tool pprof -top -nodecount=30 "$YIMEN_BIN" "$d/cpu.pprof" >"$d/pprof-top.txt" 2>&1
wait "$SIPP_PID"; SIPP_PID=""
end_uas
summarise "$d" 0
sut_stop
rm -rf "$YIMEN_DATA/recordings"
read -r failed retrans <<<"$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["failed"], s["retransmissions"])' "$d/summary.json")"
check "every call completed, BYE answered" "$([ "$failed" = 0 ] && echo 1)" "$failed of $N failed; $retrans retransmissions"
check "SIP socket dropped nothing during the hang-ups" "$([ "$((${d1:-0} - ${d0:-0}))" = 0 ] && echo 1)" \
  "kernel drops on $YIMEN_IP:5060: ${d0:-?} before, ${d1:-?} after (ss -m)"
checks_report "Hang-up of $N recorded calls at $RAMP/s" \
  "$N calls (uac_rtpstream.xml -> uas_rtpstream.xml), every one recorded and sealed, ${HOLD} s each; CPU profile of the hang-ups in pprof-cum.txt."
