#!/usr/bin/env bash
# kill -9 of yimen carrying CALLS recorded calls with RTP both ways, then a
# restart on the same data: does every call have a closed CDR, is every
# recording readable and as long as the call's talk time, are registrations
# back, does the database pass PRAGMA integrity_check? yimen only.
#
# usage: bench/fault-kill.sh        (knobs in the environment)
#   CALLS   200   calls up at the kill, every one recorded
#   RAMP    50    calls/s while they are set up
#   TALK    10    seconds all CALLS calls are up before the kill
#
# Caller: the kit's uac_rtpstream.xml ($UAC_IP), callee uas_rtpstream.xml
# ($UAS_IP, registered as 1999), both streaming A-law: the same calls as
# bench/concurrent.sh with RECORD=1. Checks read the database with sqlite3
# and the WAV files with sox (recordings are not encrypted in this run).
# Writes out/fault-kill-<date>.md. Exit 0 only if every check passed.
set -u
. "$(dirname "$0")/lib.sh"
CALLS=${CALLS:-200}
RAMP=${RAMP:-50}
TALK=${TALK:-10}
SYSTEMS=yimen
for t in sqlite3 sox; do command -v $t >/dev/null || { echo "$t not installed" >&2; exit 2; }; done
export YIMEN_ENV="YIMEN_RECORDING_POLICY=always YIMEN_RECORDING_ENCRYPT=false"
begin fault-kill
d=$RUN/yimen-kill-$CALLS
mkdir -p "$d"
DB=$YIMEN_DATA/yimen.db
q() { sqlite3 -readonly "$DB" "$@"; }
checks_begin "$d"

sut_start yimen before
register_uas
start_uas "$d" 600 uas_rtpstream.xml
(cd "$d" && exec timeout 600 sipp "$SUT_ADDR" -sf "$SCEN/uac_rtpstream.xml" \
  -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv yimen 1900 1998)" -au '[field0]' -ap '[field1]' \
  -i "$UAC_IP" -p 5080 -mp 6000 -r "$RAMP" -m "$CALLS" -l "$CALLS" -d 300000 -nostdin $UAC_FLAGS \
  -trace_stat -stf "$d/stat.csv" -fd 1 -trace_err -timeout 590s >"$d/sipp.out" 2>&1) &
SIPP_PID=$!

active=0
for _ in $(seq 1 $((CALLS / RAMP * 4 + 40))); do
  active=$(curl -s --max-time 2 "http://$YIMEN_IP:8080/metrics" | awk '$1=="yimen_calls_active"{print int($2)}')
  [ "${active:-0}" -ge "$CALLS" ] && break
  sleep 0.5
done
[ "${active:-0}" -ge "$CALLS" ] || die "only ${active:-0} of $CALLS calls up"
recording=$(q "SELECT count(*) FROM recordings WHERE state='recording'")
log "$active calls up, $recording recording; killing yimen in ${TALK}s"
sleep "$TALK"
kill -KILL "$YIMEN_PID"; wait "$YIMEN_PID" 2>/dev/null
killed=$(date +%s%3N)
YIMEN_PID=""
stop_pid "$SIPP_PID"; SIPP_PID=""
journal=$(q "SELECT count(*) FROM open_calls")
integrity=$(sqlite3 "$DB" "PRAGMA integrity_check")
check "calls up at the kill" "$([ "$active" -ge "$CALLS" ] && [ "$recording" -ge "$CALLS" ] && echo 1)" "$active calls, $recording recordings in progress"
check "journal rows left by the kill" "$([ "$journal" -ge "$CALLS" ] && echo 1)" "$journal"
check "PRAGMA integrity_check after the kill" "$([ "$integrity" = ok ] && echo 1)" "$integrity"

t0=$(date +%s%3N)
sut_start yimen after
up_ms=$(($(date +%s%3N) - t0))
closed=$(grep -o '"msg":"calls interrupted by a stop without drain closed","cdrs":[0-9]*' "$RUN/after.yimen.log" | grep -o '[0-9]*$')
check "restart closes the journal" "$([ "${closed:-0}" = "$journal" ] && [ "$(q 'SELECT count(*) FROM open_calls')" = 0 ] && echo 1)" \
  "log: ${closed:-no line} CDRs closed; healthy ${up_ms} ms after start"
cdrs=$(q "SELECT count(*) FROM cdrs WHERE disposition='interrupted' AND hangup_cause='crash' AND answer_at IS NOT NULL")
check "every call has a closed CDR (interrupted)" "$([ "$cdrs" = "$journal" ] && echo 1)" \
  "$cdrs of $journal; talk ms min/avg/max $(q "SELECT min(talk_ms)||'/'||cast(avg(talk_ms) AS int)||'/'||max(talk_ms) FROM cdrs WHERE disposition='interrupted'")"
lag=$(q "SELECT $killed - max(end_at) FROM cdrs WHERE disposition='interrupted'")
check "CDR end = last heartbeat" "$([ "$lag" -ge 0 ] && [ "$lag" -le 2000 ] && echo 1)" "${lag} ms before the kill"

# Recordings: the restart recovers them; each must decode to its CDR's talk time.
for _ in $(seq 1 40); do
  [ "$(q "SELECT count(*) FROM recordings WHERE state='recording'")" = 0 ] && break; sleep 0.5
done
q "SELECT r.path, r.duration_ms, c.talk_ms FROM recordings r JOIN cdrs c ON c.id = r.id WHERE c.disposition='interrupted'" >"$d/recordings.txt"
recovered=$(q "SELECT count(*) FROM recordings WHERE state='recovered'")
bad=0 worst=0 n=0
while IFS='|' read -r path dur talk; do
  n=$((n + 1))
  secs=$(sox --i -D "$YIMEN_DATA/recordings/$path" 2>>"$d/sox.err") || { bad=$((bad + 1)); continue; }
  sox "$YIMEN_DATA/recordings/$path" -n stat 2>"$d/sox-stat.tmp" || { bad=$((bad + 1)); cat "$d/sox-stat.tmp" >>"$d/sox.err"; continue; }
  grep -q WARN "$d/sox-stat.tmp" && { bad=$((bad + 1)); cat "$d/sox-stat.tmp" >>"$d/sox.err"; }
  file_ms=$(awk -v s="$secs" 'BEGIN{printf "%d", s*1000 + 0.5}')
  diff=$((file_ms - talk)); diff=${diff#-}
  [ "$diff" -gt "$worst" ] && worst=$diff
  [ "$diff" -gt 2000 ] && bad=$((bad + 1))
done <"$d/recordings.txt"
rm -f "$d/sox-stat.tmp"
check "every recording readable (sox), length = talk time +- 2 s" "$([ "$recovered" = "$journal" ] && [ "$n" = "$journal" ] && [ "$bad" = 0 ] && echo 1)" \
  "$recovered recovered, $n with a CDR, $bad bad; largest file-talk gap ${worst} ms"

# Registrations: the callee's binding is back; a call reaches it with no REGISTER.
bindings=$(q "SELECT count(*) FROM sip_bindings WHERE aor LIKE '%1999%'")
(cd "$d" && timeout 60 sipp "$SUT_ADDR" -sf "$SCEN/uac_auth.xml" -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv yimen 1900 1998)" \
  -au '[field0]' -ap '[field1]' -i "$UAC_IP" -p 5080 -mp 6000 -m 1 -d 1000 -nostdin $UAC_FLAGS \
  -trace_stat -stf "$d/after_stat.csv" -timeout 30s >"$d/after_sipp.out" 2>&1)
after=$?
check "registration back: a call to 1999 without REGISTER" "$([ "$after" = 0 ] && echo 1)" "binding rows for 1999: $bindings; SIPp exit $after"
end_uas
sut_stop
integrity=$(sqlite3 "$DB" "PRAGMA integrity_check")
check "PRAGMA integrity_check after the restart and a clean stop" "$([ "$integrity" = ok ] && echo 1)" "$integrity"

checks_report "kill -9 with $CALLS recorded calls up" \
  "$CALLS calls (uac_rtpstream.xml -> uas_rtpstream.xml, A-law both ways, ramp $RAMP/s), every one recorded; kill -9 ${TALK} s after all were up; restart on the same data."
