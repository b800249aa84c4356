#!/usr/bin/env bash
# Callers into an ACD queue answered by SIPp agents, with CTI clients
# watching: yimen alone (Kamailio has no ACD, so there is nothing to set
# beside it).
#
# usage: bench/queue.sh             (knobs in the environment)
#   QUEUE_CPS     "10 20 30"  callers/s per step
#   AGENTS        100     agents a1000.. on extensions 1000..; one SIPp
#                         (uas_agent.xml, 127.0.0.3:5070) answers for all
#   RING_MS       500     an agent's phone rings this long, then answers
#   TALK_MS       3000    then talks this long and hangs up
#   CTI_CLIENTS   200     CTI connections subscribed to the tenant's events
#   STEP_SECS     30      callers are placed for this long; CPU sampled from
#                         4 s to STEP_SECS-2 s
#
# Each caller (uac_queue.xml, 1900-1998 from 127.0.0.2:5080) dials 8000, an
# IVR flow that answers and queues the call in "support" (longest-idle, skill
# support, every agent): INVITE -> 407 -> INVITE with credentials -> 200, then
# waits for the BYE the flow sends when the agent has hung up. Queue wait is
# SIPp's rtd 2 (200 -> BYE) less RING_MS and TALK_MS. The agents are logged in
# and ready at start (auto_login) and registered before the callers start;
# each step runs on a freshly started PBX. Capacity is about
# AGENTS / (RING_MS + TALK_MS) calls/s: above it the queue grows.
# bench/cmd/ctiload holds the CTI connections and measures each event's
# delay from the hub's timestamp to the client.
set -u
. "$(dirname "$0")/lib.sh"
QUEUE_CPS=${QUEUE_CPS:-"10 20 30"}
AGENTS=${AGENTS:-100}
RING_MS=${RING_MS:-500}
TALK_MS=${TALK_MS:-3000}
CTI_CLIENTS=${CTI_CLIENTS:-200}
STEP_SECS=${STEP_SECS:-30}
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
  echo "      support: {name: Support, strategy: longest-idle, skill: support, ring_timeout: 15s, max_wait: 5m, overflow: hangup, sl_threshold: 20s}"
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
  (cd "$RUN" && timeout 60 sipp "$SUT_ADDR" -sf "$SCEN/register.xml" -inf "$csv" -au '[field0]' -ap '[field1]' \
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
    -mp 6000 -set ring_ms "$RING_MS" -set talk_ms "$TALK_MS" -nostdin -trace_stat -stf "$d/uas_stat.csv" -fd 1 \
    -trace_err -timeout $((STEP_SECS + tail + 10))s >"$d/uas.out" 2>&1) &
  UAS_PID=$!
  "$CTILOAD" -url "ws://$YIMEN_IP:8080/cti" -token-file "$CTI_TOKEN_FILE" -clients "$CTI_CLIENTS" \
    -duration $((STEP_SECS + 15))s >"$d/cti.json" 2>"$d/cti.log" &
  CTI_PID=$!
  sleep 3 # the CTI clients connect
  (cd "$d" && exec timeout $((STEP_SECS + tail)) sipp "$SUT_ADDR" -sf "$SCEN/uac_queue.xml" \
    -s 8000 -inf "$(users_csv yimen 1900 1998)" -au '[field0]' -ap '[field1]' \
    -i "$UAC_IP" -p 5080 -mp 6000 -r "$r" -m $((r * STEP_SECS)) -nostdin $UAC_FLAGS \
    -trace_stat -stf "$d/stat.csv" -fd 1 -trace_rtt -rtt_freq 1 -trace_err \
    -timeout $((STEP_SECS + tail - 10))s >"$d/sipp.out" 2>&1) &
  SIPP_PID=$!
  sample "$d" 4 $((STEP_SECS - 6)) sipp=$SIPP_PID uas=$UAS_PID cti=$CTI_PID
  wait "$CTI_PID"; CTI_PID=""
  wait "$SIPP_PID"; SIPP_PID=""
  end_uas
  metrics "$d/m_end.prom"
  summarise "$d" "$r"
  $STEPS_PY rtt "$d" "$((RING_MS + TALK_MS))" >"$d/queue.json"
  sut_stop
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
