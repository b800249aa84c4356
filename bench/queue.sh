#!/usr/bin/env bash
# Callers into an ACD queue answered by SIPp agents, with CTI clients
# watching: yimen alone (Kamailio has no ACD, so there is nothing to set
# beside it).
#
# usage: bench/queue.sh             (knobs in the environment)
#   QUEUE_CPS     "3 6"   callers/s per step
#   AGENTS        100     agents a1000.. on extensions 1000..; one SIPp
#                         (uas_agent.xml, 127.0.0.3:5070) answers for all
#   RING_MS       1000    an agent's phone rings RING_MS + uniform(0,
#   RING_JITTER_MS 1000   RING_JITTER_MS), then answers
#   TALK_MS       20000   then talks this long and hangs up
#   WRAP_UP       2s      the queue's after-call work before the agent is
#                         offered the next call
#   CTI_CLIENTS   200     CTI connections subscribed to the tenant's events
#   STEP_SECS     60      callers are placed for this long; CPU sampled from
#                         4 s to STEP_SECS-2 s
#
# Each caller (uac_queue.xml, 1900-1998 from 127.0.0.2:5080) dials 8000, an
# IVR flow that answers and queues the call in "support" (longest-idle, skill
# support, every agent): INVITE -> 407 -> INVITE with credentials -> 200, then
# waits (up to 180 s) for the BYE the flow sends when the agent has hung up.
# -l lets every caller of the step be up at once: without it SIPp caps the
# calls it keeps open (about 10 here) and, once they all wait in the queue,
# places new calls only as old ones end, so the offered rate collapses to
# what the agents take and no queue forms.
# The queue figures are the ACD's per-call records, the ones the CDR API
# shows as queue.{outcome, wait_ms}: with CDR_TOKEN_FILE (a token holding
# cdr.read on the tenant; the bench's sysadmin token is refused it by the
# separation of duties) from /api/v1/cdrs?tenant=bench&queue=support, else
# from the acd_log table of the stopped PBX's database (steps.py queuecdrs).
# wait_ms runs from joining the queue to an agent's answer, so it includes
# the agent's ring. Reported: wait percentiles of the answered calls,
# outcomes (abandoned), and "handled" = agents' pickups per second from the
# AGENTS+1st pickup to the last, once every agent had had a call: at or above
# capacity that is the agents' throughput. The agents are
# logged in and ready at start (auto_login) and registered before the callers
# start; each step runs on a freshly started PBX with a fresh database.
# Capacity is about AGENTS / (RING_MS + RING_JITTER_MS/2 + TALK_MS + WRAP_UP)
# calls/s (100 / 23.5 s = 4.3/s with the defaults): above it the queue grows.
# bench/cmd/ctiload holds the CTI connections and measures each event's
# delay from the hub's timestamp to the client.
set -u
. "$(dirname "$0")/lib.sh"
QUEUE_CPS=${QUEUE_CPS:-"3 6"}
AGENTS=${AGENTS:-100}
RING_MS=${RING_MS:-1000}
RING_JITTER_MS=${RING_JITTER_MS:-1000}
TALK_MS=${TALK_MS:-20000}
WRAP_UP=${WRAP_UP:-2s}
CTI_CLIENTS=${CTI_CLIENTS:-200}
STEP_SECS=${STEP_SECS:-60}
RETRIES=${RETRIES:-0}
SYSTEMS=yimen
begin queue
CTILOAD=$RUN/ctiload
(cd "$ROOT" && go build -o "$CTILOAD" ./bench/cmd/ctiload) || die "go build ./bench/cmd/ctiload failed"
CTI_PID=""

# The PBX configuration: bench/yimen-bench.yaml with the flow, agents and queue.
mkdir -p "$RUN/ivr"
cat >"$RUN/ivr/queue.ivr" <<'IVR'
# bench/queue.sh: answer, queue, hang up when the agent is done.
start:
  answer
  queue support timeout 170s:
    timeout: goto bye
  hangup

bye:
  hangup
IVR
export YIMEN_CFG=$RUN/yimen-queue.yaml
{
  sed '/^tenants:/,$d' "$BENCH/yimen-bench.yaml"
  echo "ivr:"
  echo "  flows: $RUN/ivr"
  echo "  prompts: $ROOT/configs/prompts"
  echo "tenants:"
  echo "  - name: bench"
  echo "    extensions: [\"1000-1999\"]"
  echo "    ivr: {\"8000\": queue}"
  echo "    auto_login: true"
  echo "    queues:"
  echo "      support: {name: Support, strategy: longest-idle, skill: support, ring_timeout: 15s, wrap_up: $WRAP_UP, max_wait: 5m, overflow: hangup, sl_threshold: 20s}"
  echo "    agents:"
  for i in $(seq 0 $((AGENTS - 1))); do
    echo "      - {id: a$((1000 + i)), name: Agent $((1000 + i)), extension: \"$((1000 + i))\", skills: {support: 50}}"
  done
} >"$YIMEN_CFG"
CTI_TOKEN_FILE=$RUN/cti-token
python3 -c 'import secrets; print(secrets.token_hex(16))' >"$CTI_TOKEN_FILE"
chmod 600 "$CTI_TOKEN_FILE"

register_agents() {
  local csv=$RUN/agents.csv
  { echo SEQUENTIAL; for u in $(seq 1000 $((1000 + AGENTS - 1))); do echo "$u;pw${u}xx"; done; } >"$csv"
  (cd "$RUN" && timeout 60 sipp "$SUT_ADDR" -sf "$SCEN/register_inf.xml" -inf "$csv" -au '[field0]' -ap '[field1]' \
    -i "$UAS_IP" -p 5070 -m "$AGENTS" -r 200 -nostdin -recv_timeout 10000 -timeout 50s >"$RUN/agents_register.out" 2>&1) \
    || die "agent registration failed (see $RUN/agents_register.out)"
}

step() {  # step DIR CPS
  local d=$1 r=$2 tail=$((180 + 10))
  YIMEN_DATA=$RUN/yimen-data-$r # a fresh database: no queue state left from the last step
  mkdir -p "$YIMEN_DATA"
  { cat "$CTI_TOKEN_FILE" | tr -d '\n'; echo " system bench"; } >"$YIMEN_DATA/cti-tokens.txt"
  chmod 600 "$YIMEN_DATA/cti-tokens.txt"
  YIMEN_ENV="YIMEN_CTI_TOKENS_FILE=$YIMEN_DATA/cti-tokens.txt" sut_start yimen "queue-$r"
  register_agents
  (cd "$d" && exec timeout $((STEP_SECS + tail + 20)) sipp -sf "$SCEN/uas_agent.xml" -i "$UAS_IP" -p 5070 \
    -mp 6000 -set ring_ms "$RING_MS" -set ring_jitter_ms "$RING_JITTER_MS" -set talk_ms "$TALK_MS" -nostdin -trace_stat -stf "$d/uas_stat.csv" -fd 1 \
    -trace_err -timeout $((STEP_SECS + tail + 10))s >"$d/uas.out" 2>&1) &
  UAS_PID=$!
  "$CTILOAD" -url "ws://$YIMEN_IP:8080/cti" -token-file "$CTI_TOKEN_FILE" -clients "$CTI_CLIENTS" \
    -duration $((STEP_SECS + 15))s >"$d/cti.json" 2>"$d/cti.log" &
  CTI_PID=$!
  sleep 3 # the CTI clients connect
  (cd "$d" && exec timeout $((STEP_SECS + tail)) sipp "$SUT_ADDR" -sf "$SCEN/uac_queue.xml" \
    -s 8000 -auth_uri "8000@$SUT_ADDR" -inf "$(users_csv yimen 1900 1998)" -au '[field0]' -ap '[field1]' \
    -i "$UAC_IP" -p 5080 -mp 6000 -r "$r" -m $((r * STEP_SECS)) -l $((r * STEP_SECS)) -nostdin $UAC_FLAGS \
    -trace_stat -stf "$d/stat.csv" -fd 1 -trace_rtt -rtt_freq 1 -trace_err \
    -timeout $((STEP_SECS + tail - 10))s >"$d/sipp.out" 2>&1) &
  SIPP_PID=$!
  sample "$d" 4 $((STEP_SECS - 6)) sipp=$SIPP_PID uas=$UAS_PID cti=$CTI_PID
  wait "$CTI_PID"; CTI_PID=""
  wait "$SIPP_PID"; SIPP_PID=""
  end_uas
  metrics "$d/m_end.prom"
  summarise "$d" "$r"
  $STEPS_PY rtt "$d" >/dev/null
  [ -n "${CDR_TOKEN_FILE:-}" ] && curl -s --max-time 20 -H "Authorization: Bearer $(cat "$CDR_TOKEN_FILE")" \
    "http://$YIMEN_IP:8080/api/v1/cdrs?tenant=bench&queue=support&limit=1000" >"$d/cdrs.json"
  sut_stop
  # The ACD's own records of the step's calls (what the CDR API's queue field
  # shows), read once the PBX has stopped and flushed them.
  sqlite3 -readonly -json "$YIMEN_DATA/yimen.db" "SELECT call_id, outcome, wait_ms, at_ms, agent FROM acd_log
    WHERE kind = 'call' AND queue = 'support' ORDER BY at_ms, rowid" >"$d/acd_calls.json" || log "acd_log read failed"
  $STEPS_PY queuecdrs "$d" "$AGENTS" >"$d/queue.json" || log "no queue figures in $d"
  SUT=yimen # run_step records under this name
}

for r in $QUEUE_CPS; do
  log "yimen: $r callers/s into the queue for ${STEP_SECS}s, $AGENTS agents, $CTI_CLIENTS CTI clients"
  SUT=yimen
  run_step queue "$r" "$r" || log "yimen: queue step $r not clean"
  SUT=""
  sleep 3
done
report "Callers into an ACD queue with CTI clients watching (yimen; Kamailio has no ACD)" queue
