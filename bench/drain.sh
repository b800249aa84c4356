#!/usr/bin/env bash
# SIGTERM to yimen under steady call load: the calls in progress must all
# finish (zero cut), new INVITEs must get 503 while it drains, and the
# process must exit within calls.drain_timeout. yimen only.
#
# usage: bench/drain.sh            (knobs in the environment)
#   RATE      50    calls/s, kept up until yimen has exited
#   HOLD      20    seconds each call lasts (caller's BYE)
#   LOAD      40    seconds of load before the SIGTERM (RATE x HOLD calls up)
#   DRAIN     30s   calls.drain_timeout; must be longer than HOLD
#
# Caller: the kit's uac_auth.xml ($UAC_IP) to 1999 = uas.xml ($UAS_IP),
# no media, as bench/calls.sh. A call is "cut" when yimen ended it: its CDR
# says hangup_cause shutdown (hung up at the drain timeout) or a BYE from
# yimen reached SIPp. Refusals are the 503s in SIPp's error log.
# Writes out/drain-<date>.md. Exit 0 only if every check passed.
set -u
. "$(dirname "$0")/lib.sh"
RATE=${RATE:-50}
HOLD=${HOLD:-20}
LOAD=${LOAD:-40}
DRAIN=${DRAIN:-30s}
SYSTEMS=yimen
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed" >&2; exit 2; }
export YIMEN_ENV="YIMEN_CALLS_DRAIN_TIMEOUT=$DRAIN"
begin drain
d=$RUN/yimen-drain-$RATE
mkdir -p "$d"
DB=$YIMEN_DATA/yimen.db
q() { sqlite3 -readonly "$DB" "$@"; }
checks_begin "$d"
drain_s=$(awk -v s="$DRAIN" 'BEGIN{sub(/s$/, "", s); print s + 0}')

sut_start yimen drain
register_uas
start_uas "$d" $((LOAD + drain_s + HOLD + 60)) uas.xml
(cd "$d" && exec timeout $((LOAD + drain_s + HOLD + 60)) sipp "$SUT_ADDR" -sf "$SCEN/uac_auth.xml" \
  -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv yimen 1900 1998)" -au '[field0]' -ap '[field1]' \
  -i "$UAC_IP" -p 5080 -mp 6000 -r "$RATE" -d $((HOLD * 1000)) -nostdin $UAC_FLAGS \
  -trace_stat -stf "$d/stat.csv" -fd 1 -trace_err -error_file "$d/errors.log" \
  -timeout $((LOAD + drain_s + HOLD + 50))s >"$d/sipp.out" 2>&1) &
SIPP_PID=$!
sleep "$LOAD"
metrics "$d/m_sigterm.prom"
active=$(awk '$1=="yimen_calls_active"{print int($2)}' "$d/m_sigterm.prom")
log "SIGTERM with ${active:-?} calls up"
t0=$(date +%s%3N)
kill -TERM "$YIMEN_PID"
sleep 1
code=$(curl -s --max-time 2 "http://$YIMEN_IP:8080/healthz" -o /dev/null -w '%{http_code}' || true)
wait "$YIMEN_PID"
exit_ms=$(($(date +%s%3N) - t0))
YIMEN_PID="" SUT=""
sleep 2  # let SIPp see the last answers, then stop the load
stop_pid "$SIPP_PID"; SIPP_PID=""
end_uas

cut_cdr=$(q "SELECT count(*) FROM cdrs WHERE hangup_cause IN ('shutdown','crash') OR disposition='interrupted'")
during=$(q "SELECT count(*) FROM cdrs WHERE disposition='answered' AND start_at < $t0 AND end_at >= $t0")
completed=$(q "SELECT count(*) FROM cdrs WHERE disposition='answered' AND hangup_cause='bye' AND hangup_side='caller'")
other=$(q "SELECT group_concat(disposition||'/'||hangup_side||'/'||hangup_cause||': '||n, ', ') FROM (SELECT disposition, hangup_side, hangup_cause, count(*) n FROM cdrs WHERE NOT (disposition='answered' AND hangup_cause='bye' AND hangup_side='caller') GROUP BY 1,2,3)")
# SIPp keeps retransmitting a refused INVITE (it waits for its 407): count calls, not 503s.
refused=$(grep -o "Call-Id '[^']*': while expecting '[^']*' ([^)]*), received 'SIP/2.0 503" "$d/errors.log" 2>/dev/null | cut -d"'" -f2 | sort -u | wc -l)
bye_in=$(grep -c "received 'BYE" "$d/errors.log" 2>/dev/null); bye_in=${bye_in:-0}
journal=$(q "SELECT count(*) FROM open_calls")
check "calls in progress at SIGTERM all finished" "$([ "$cut_cdr" = 0 ] && [ "$bye_in" = 0 ] && [ "${during:-0}" -ge "${active:-1}" ] && echo 1)" \
  "${active:-?} up at SIGTERM; $during CDRs of calls up at SIGTERM, all ended by the caller's BYE; cut: $cut_cdr by CDR, $bye_in BYEs from yimen seen by SIPp"
check "new calls refused with 503 while draining" "$([ "$refused" -gt 0 ] && echo 1)" "$refused new calls answered 503"
check "exit within calls.drain_timeout" "$([ "$exit_ms" -le $((drain_s * 1000 + 3000)) ] && echo 1)" "${exit_ms} ms after SIGTERM (drain_timeout $DRAIN, calls of ${HOLD}s)"
check "journal empty after the drain" "$([ "$journal" = 0 ] && echo 1)" "$journal rows"

checks_report "SIGTERM drain under $RATE calls/s of ${HOLD} s calls" \
  "uac_auth.xml -> uas.xml (no media) at $RATE/s for ${LOAD} s, then SIGTERM; the load goes on until yimen exits. /healthz 1 s into the drain: ${code:-none}. CDRs: $completed answered and ended by the caller's BYE${other:+; others: $other}."
