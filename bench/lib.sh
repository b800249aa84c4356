# shellcheck shell=bash
# Shared by bench/*.sh: where things are, starting and stopping the system
# under test (yimen, or Kamailio + rtpengine through kamailio.sh), SIPp runs
# with the baseline kit's scenarios, CPU sampling with the kit's tools, and
# the markdown report. Sourced, never run.
#
# The kit's scenarios are copied into tests/scenarios (the one home of the
# project's SIPp scenarios, shared with the tests) and its tools into bench/tools
# ($SCEN, $TOOLS), so yimen-only runs (SYSTEMS=yimen, the smoke test) need
# nothing outside the repository; Kamailio runs need the kit ($KIT) for its
# cfg, auth database and rtpengine.conf.
#
# Everything stays on loopback:
#   yimen             $YIMEN_IP:5060 (SIP/UDP), :8080 (HTTP), RTP 20000-59999
#   Kamailio          $KAM_IP:5060, rtpengine NG/CLI 127.0.0.1:2223/2224, RTP 20000-59999
#   SIPp REGISTER     127.0.0.4:5090          (as in the kit)
#   SIPp caller       $UAC_IP (127.0.0.2):5080, media :6000
#   SIPp callee       $UAS_IP (127.0.0.3):5070, media :6000, registered as 1999
# Only one system under test runs at a time: both relays use 20000-59999.

set -u
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
export KIT=${KIT:-$ROOT/../shared/baseline/kamailio}
OUT=${OUT:-$BENCH/out}
STAMP=${STAMP:-$(date +%Y%m%d-%H%M%S)}
YIMEN_IP=${YIMEN_IP:-127.0.0.10}
KAM_IP=${KAM_IP:-127.0.0.11}
# Other addresses let two runs share the box; keep them in 127.0.0.0/29,
# the load sources Kamailio's cfg exempts from pike.
UAC_IP=${UAC_IP:-127.0.0.2}
UAS_IP=${UAS_IP:-127.0.0.3}
SYSTEMS=${SYSTEMS:-"yimen kamailio"}
# The kit's kamailio.cfg and its rtp_stream scenarios name this directory.
KAM_RUN=/tmp/kamanchor
SCEN=$ROOT/tests/scenarios
TOOLS=$BENCH/tools
STEPS_PY="python3 $TOOLS/steps.py"
SAMPLE_PY="python3 $TOOLS/sample.py"
UAC_FLAGS="-default_behaviors all,-abortunexp -recv_timeout 10000"

YIMEN_PID="" SIPP_PID="" UAS_PID="" SUT=""

log() { echo "[$(date +%T)] $*" | tee -a "$RUN/run.log" >&2; }
die() { log "harness error: $*"; exit 2; }

# stop_pid PID: TERM, then KILL after 10 s; only ever a PID this script started.
stop_pid() {
  local p=${1:-} i
  [ -n "$p" ] || return 0
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 20); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null; return 0; }; sleep 0.5; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}

# begin NAME: make the run directory, check the tools, build yimen.
begin() {
  NAME=$1
  RUN=$OUT/$NAME-$STAMP
  STEPS=$RUN/steps.jsonl
  mkdir -p "$RUN"
  : >"$STEPS"
  for t in sipp python3 curl; do command -v $t >/dev/null || die "$t not installed (make deps)"; done
  case " $SYSTEMS " in
    *" kamailio "*) [ -f "$KIT/kamailio.cfg" ] || die "baseline kit not found at $KIT (set KIT=, or SYSTEMS=yimen)" ;;
  esac
  # The rtp_stream scenarios play $KAM_RUN/g711a.alaw: the kit's, or a tone.
  mkdir -p "$KAM_RUN"
  if [ -f "$KIT/sipp/g711a.alaw" ]; then cp "$KIT/sipp/g711a.alaw" "$KAM_RUN/"
  else python3 "$TOOLS/alaw.py" "$KAM_RUN/g711a.alaw"; fi
  [ -n "${YIMEN_BIN:-}" ] || build_yimen
  # Fresh secrets per run; never printed. The master key must stay the same
  # across restarts within the run because the database keeps wrapped keys.
  YIMEN_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  YIMEN_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  YIMEN_DATA=$RUN/yimen-data
  trap cleanup EXIT INT TERM
  {
    echo "host: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -m | awk '/Mem:/{print $2}') MiB, kernel $(uname -r)"
    echo "yimen: ${YIMEN_BUILT:-$YIMEN_BIN (given)}, $(go version | cut -d' ' -f3)"
    sipp -v 2>&1 | grep -m1 SIPp | sed 's/^ *//'
    command -v kamailio >/dev/null && kamailio -v | head -1
    command -v rtpengine >/dev/null && rtpengine --version 2>&1 | head -1
  } >"$RUN/env.txt"
}

# build_yimen: bin/pbx from the committed tree at YIMEN_REV (default HEAD),
# exported to a temporary directory, so work in progress in the working tree
# is never measured. YIMEN_BIN=path measures a given binary instead.
build_yimen() {
  local rev src
  rev=$(git -C "$ROOT" rev-parse --short "${YIMEN_REV:-HEAD}") || die "no revision ${YIMEN_REV:-HEAD}"
  YIMEN_BIN=$OUT/pbx-$rev
  YIMEN_BUILT="commit $rev"
  [ -x "$YIMEN_BIN" ] && return 0
  src=$(mktemp -d)
  git -C "$ROOT" archive "$rev" | tar -x -C "$src" || die "git archive $rev failed"
  # Built aside and renamed: side-by-side runs of one revision (bench/cost.sh)
  # may build it at the same moment.
  (cd "$src" && go build -o "$YIMEN_BIN.$$" ./cmd/pbx) || { rm -rf "$src"; die "go build ./cmd/pbx at $rev failed"; }
  mv -f "$YIMEN_BIN.$$" "$YIMEN_BIN"
  rm -rf "$src"
}

cleanup() {
  stop_pid "$SIPP_PID"; stop_pid "$UAS_PID"
  [ -n "$SUT" ] && sut_stop
  return 0
}

# users_csv SYSTEM FIRST LAST: a SIPp injection file "user;password".
# Kamailio's kit database has pw<user>; yimen needs 8 characters: pw<user>xx.
users_csv() {
  local f=$RUN/users-$1-$2-$3.csv sfx=""
  [ "$1" = yimen ] && sfx=xx
  [ -f "$f" ] || { echo SEQUENTIAL; for u in $(seq "$2" "$3"); do echo "$u;pw$u$sfx"; done; } >"$f"
  echo "$f"
}

# ---- the system under test ---------------------------------------------------

# sut_start SYSTEM LABEL: start yimen or Kamailio + rtpengine, fresh.
# Sets SUT, SUT_ADDR and SUT_PIDS (name=pid words for sample.py).
sut_start() {
  SUT=$1
  case $SUT in
    yimen) yimen_start "$2"; SUT_ADDR=$YIMEN_IP:5060; SUT_PIDS="yimen=$YIMEN_PID" ;;
    kamailio)
      KAM_LOG_DIR=$RUN KAM_LABEL=$2 KAM_IP=$KAM_IP "$BENCH/kamailio.sh" start >>"$RUN/run.log" 2>&1 \
        || die "kamailio.sh start failed (see $RUN/run.log)"
      SUT_ADDR=$KAM_IP:5060
      SUT_PIDS="kamailio=$(cat $KAM_RUN/bench-kamailio.pid) rtpengine=$(cat $KAM_RUN/bench-rtpengine.pid)" ;;
    *) die "unknown system $SUT" ;;
  esac
}

sut_stop() {
  case $SUT in
    yimen) stop_pid "$YIMEN_PID"; YIMEN_PID="" ;;
    kamailio) "$BENCH/kamailio.sh" stop >>"$RUN/run.log" 2>&1 ;;
  esac
  SUT=""
}

# yimen_start LABEL: the PBX from $YIMEN_CFG (default bench/yimen-bench.yaml),
# its data and addresses overridden from the environment; YIMEN_ENV adds
# VAR=value words.
yimen_start() {
  mkdir -p "$YIMEN_DATA"
  (cd "$ROOT" && exec env YIMEN_MASTER_KEY="$YIMEN_KEY" YIMEN_ADMIN_TOKEN="$YIMEN_TOKEN" \
    YIMEN_DATA_DIR="$YIMEN_DATA" YIMEN_STORE_PATH="$YIMEN_DATA/yimen.db" \
    YIMEN_SIP_UDP="$YIMEN_IP:5060" YIMEN_HTTP_ADDR="$YIMEN_IP:8080" YIMEN_RTP_BIND_IP="$YIMEN_IP" \
    ${YIMEN_ENV:-} "$YIMEN_BIN" -config "${YIMEN_CFG:-$BENCH/yimen-bench.yaml}") >"$RUN/$1.yimen.out" 2>"$RUN/$1.yimen.log" &
  YIMEN_PID=$!
  local i
  for i in $(seq 1 40); do
    curl -sf "http://$YIMEN_IP:8080/healthz" >/dev/null 2>&1 && break
    kill -0 "$YIMEN_PID" 2>/dev/null || die "yimen exited at start: $(tail -3 "$RUN/$1.yimen.log")"
    sleep 0.25
  done
  curl -sf "http://$YIMEN_IP:8080/healthz" >/dev/null || die "yimen not healthy after 10 s"
  [ -f "$YIMEN_DATA/.provisioned" ] || yimen_provision
  log "yimen up: pid $YIMEN_PID on $YIMEN_IP:5060"
}

# yimen_provision: SIP passwords pw<ext>xx for 1000-1999 through the admin
# API, over one keep-alive connection (the database keeps them for restarts).
yimen_provision() {
  YIMEN_TOKEN=$YIMEN_TOKEN python3 - "$YIMEN_IP:8080" <<'EOF' || die "provisioning failed"
import http.client, json, os, sys
c = http.client.HTTPConnection(sys.argv[1], timeout=10)
hdr = {'Authorization': 'Bearer ' + os.environ['YIMEN_TOKEN'], 'Content-Type': 'application/json'}
import time
deadline = time.monotonic() + 30
for e in range(1000, 2000):
    while True:
        c.request('POST', f'/api/v1/tenants/bench/extensions/{e}/secret', json.dumps({'secret': f'pw{e}xx'}), hdr)
        r = c.getresponse(); r.read()
        # The first run's administrators may still be being created: wait.
        if r.status in (401, 503) and e == 1000 and time.monotonic() < deadline:
            time.sleep(0.5)
            continue
        break
    if r.status != 200:
        sys.exit(f'extension {e}: HTTP {r.status}')
EOF
  touch "$YIMEN_DATA/.provisioned"
}

# metrics FILE: yimen's /metrics now (nothing for Kamailio).
metrics() {
  [ "$SUT" = yimen ] || return 0
  curl -s --max-time 5 "http://$YIMEN_IP:8080/metrics" >"$1" || true
}

# sample DIR DELAY WINDOW [extra name=pid...]: the kit's CPU sampler over the
# system's process trees, with yimen's /metrics scraped at both ends.
sample() {
  local d=$1 delay=$2 win=$3; shift 3
  local rtp=""
  [ "$SUT" = kamailio ] && rtp=--rtpctl
  # shellcheck disable=SC2086
  $SAMPLE_PY --delay "$delay" --window "$win" $rtp $SUT_PIDS "$@" >"$d/cpu.json" &
  local sp=$!
  sleep "$delay"; metrics "$d/m0.prom"
  sleep "$win"; metrics "$d/m1.prom"
  wait "$sp"
}

# profile DIR SECONDS: a CPU profile of yimen from its /debug/pprof (admin
# token) and its top functions; with PERF=1 also perf's view, kernel included.
profile() {
  [ "$SUT" = yimen ] || return 0
  local d=$1 s=$2 pp=""
  if [ "${PERF:-0}" = 1 ] && command -v perf >/dev/null; then
    perf record -F 499 -g -p "$YIMEN_PID" -o "$d/perf.data" -- sleep "$s" >"$d/perf.out" 2>&1 &
    pp=$!
  fi
  curl -s --max-time $((s + 15)) -H "Authorization: Bearer $YIMEN_TOKEN" \
    "http://$YIMEN_IP:8080/debug/pprof/profile?seconds=$s" -o "$d/cpu.pprof" || log "pprof capture failed"
  go tool pprof -top -nodecount=35 "$YIMEN_BIN" "$d/cpu.pprof" >"$d/pprof-top.txt" 2>&1
  go tool pprof -top -cum -nodecount=35 "$YIMEN_BIN" "$d/cpu.pprof" >"$d/pprof-cum.txt" 2>&1
  if [ -n "$pp" ]; then
    wait "$pp"
    perf report -i "$d/perf.data" --stdio --no-children -g none --sort dso,sym --percent-limit 0.7 \
      >"$d/perf-top.txt" 2>/dev/null
    perf report -i "$d/perf.data" --stdio --no-children -g none --sort dso >"$d/perf-dso.txt" 2>/dev/null
  fi
  log "profile: $d/pprof-top.txt"
}

# heap DIR [NAME]: yimen's live heap (in use, after a GC) from its /debug/pprof and
# its top allocation sites by bytes held, with GODEBUG's memprofilerate as
# the process was started with (YIMEN_ENV="GODEBUG=memprofilerate=4096"
# samples finer than the default 512 KiB).
heap() {
  [ "$SUT" = yimen ] || return 0
  local d=$1 n=heap${2:+-$2}
  curl -s --max-time 30 -H "Authorization: Bearer $YIMEN_TOKEN" \
    "http://$YIMEN_IP:8080/debug/pprof/heap?gc=1" -o "$d/$n.pprof" || log "heap capture failed"
  go tool pprof -sample_index=inuse_space -top -nodecount=35 "$YIMEN_BIN" "$d/$n.pprof" >"$d/$n-top.txt" 2>&1
  go tool pprof -sample_index=inuse_space -top -cum -nodecount=35 "$YIMEN_BIN" "$d/$n.pprof" >"$d/$n-cum.txt" 2>&1
  # The goroutines alive at the same moment, grouped by stack: what each call keeps running.
  curl -s --max-time 30 -H "Authorization: Bearer $YIMEN_TOKEN" \
    "http://$YIMEN_IP:8080/debug/pprof/goroutine?debug=1" -o "$d/goroutines${2:+-$2}.txt" || log "goroutine capture failed"
  log "heap: $d/$n-top.txt ($(sed -n 's/^Showing nodes accounting for .* of \(.*\) total$/\1/p' "$d/$n-top.txt" | head -1))"
}

# register_uas: register 1999 with Contact $UAS_IP:5070 (the callee).
register_uas() {
  (cd "$RUN" && timeout 20 sipp "$SUT_ADDR" -sf "$SCEN/register_inf.xml" \
    -inf "$(users_csv "$SUT" 1999 1999)" -au '[field0]' -ap '[field1]' \
    -i "$UAS_IP" -p 5070 -m 1 -nostdin -timeout 10s >"$RUN/uas_register.out" 2>&1) \
    || die "callee registration failed on $SUT (see $RUN/uas_register.out)"
}

# start_uas DIR SECONDS SCENARIO: the callee, answering every call.
start_uas() {
  local d=$1 t=$2 x=$3
  (cd "$d" && exec timeout $((t + 10)) sipp -sf "$SCEN/$x" -i "$UAS_IP" -p 5070 \
    -mp 6000 -nostdin -trace_stat -stf "$d/uas_stat.csv" -fd 1 -trace_err \
    -timeout "${t}s" >"$d/uas.out" 2>&1) &
  UAS_PID=$!
  sleep 1
}

end_uas() { sleep 5; stop_pid "$UAS_PID"; UAS_PID=""; }

# summarise DIR TARGET: the kit's sippstat.py; a step without SIPp stats is a
# broken harness, not a slow system.
summarise() {
  [ -s "$1/stat.csv" ] || die "no SIPp statistics in $1 (see $1/sipp.out)"
  python3 "$TOOLS/sippstat.py" "$1/stat.csv" "$2" >"$1/summary.json"
}

# quiet: wait (at most QUIET_WAIT s, default 120) until the box is at least
# QUIET_IDLE % idle (default 150 of 200) over 2 s. Other people's builds on a
# 2-vCPU box would otherwise be measured as the system's own slowness.
quiet() {
  local t0=$SECONDS idle
  while :; do
    idle=$(python3 -c '
import os, time
def r():
    c = [int(x) for x in open("/proc/stat").readline().split()[1:9]]
    return c[3] + c[4], sum(c)
a = r(); time.sleep(2); b = r()
print(int(100 * os.cpu_count() * (b[0] - a[0]) / max(1, b[1] - a[1])))')
    [ "$idle" -ge "${QUIET_IDLE:-150}" ] && return 0
    if [ $((SECONDS - t0)) -ge "${QUIET_WAIT:-120}" ]; then
      log "box still busy (idle $idle %), going on"; return 0
    fi
    sleep 3
  done
}

# run_step SCENARIO PARAM TARGET [MAX_RETRANS_PCT]: runs the script's
# "step DIR PARAM", records it and returns 0 if it was clean. A step that was
# not clean while other processes took more than BUSY_MAX % (default 40) of
# the box runs again, up to RETRIES (default 1) times; each busy attempt stays
# on disk as DIR.busyN.
run_step() {
  local sc=$1 p=$2 tgt=$3 mr=${4:-} d=$RUN/$SUT-$1-$2 others try=0
  quiet
  mkdir -p "$d"; step "$d" "$p"
  while ! $STEPS_PY passed "$d" "$tgt" $mr && [ "$try" -lt "${RETRIES:-1}" ]; do
    others=$($STEPS_PY others "$d")
    [ "$others" -gt "${BUSY_MAX:-40}" ] || break
    try=$((try + 1))
    log "$SUT $sc $p not clean while others used $others % of the box: again ($try)"
    rm -rf "$d.busy$try"; mv "$d" "$d.busy$try"; sleep 5; quiet
    mkdir -p "$d"; step "$d" "$p"
  done
  $STEPS_PY record "$STEPS" "$sc" "$SUT" "$p" "$d"
  log "$SUT $sc $p: $(cat "$d/summary.json")"
  $STEPS_PY passed "$d" "$tgt" $mr
}

# report TITLE SCENARIO: write bench/out/<name>-<date>.md and print it, then
# PNG plots beside it (tools/plot.sh), linked from its end.
report() {
  local md=$OUT/$NAME-$STAMP.md
  [ -s "$STEPS" ] || die "no step was recorded"
  {
    echo "# $1 ($STAMP)"
    echo
    sed 's/^/    /' "$RUN/env.txt"
    echo
    echo "Raw files: \`${RUN#"$ROOT"/}\`. CPU % is percent of one core (the box has $(nproc)00 %),"
    echo "from /proc/<pid>/stat of each process tree over the sampling window."
    echo
    $STEPS_PY table "$STEPS" "$2"
  } >"$md"
  cat "$md"
  log "report: $md"
  "$TOOLS/plot.sh" "$RUN" "$2" >>"$RUN/run.log" 2>&1 || log "no plots (gnuplot missing? see $RUN/run.log)"
}

# ---- pass/fail checks (fault-kill.sh, drain.sh) ------------------------------

# check NAME OK DETAIL: one row of $CHECKS (a markdown table), logged; OK is
# 1 for a pass, anything else counts in CHECK_FAILS.
check() {
  local mark=pass
  [ "$2" = 1 ] || { mark=FAIL; CHECK_FAILS=$((CHECK_FAILS + 1)); }
  printf '| %s | %s | %s |\n' "$1" "$mark" "$3" >>"$CHECKS"
  log "$mark: $1 ($3)"
}

# checks_begin DIR: start a table of checks in DIR/checks.md.
checks_begin() { CHECKS=$1/checks.md; CHECK_FAILS=0; : >"$CHECKS"; }

# checks_report TITLE INTRO: write bench/out/<name>-<date>.md with the
# checks, print it; returns 0 only if every check passed.
checks_report() {
  local md=$OUT/$NAME-$STAMP.md
  {
    echo "# $1 ($STAMP)"
    echo
    sed 's/^/    /' "$RUN/env.txt"
    echo
    echo "$2 Raw files: \`${RUN#"$ROOT"/}\`."
    echo
    echo "| check | result | detail |"
    echo "|---|---|---|"
    cat "$CHECKS"
  } >"$md"
  cat "$md"
  log "report: $md"
  [ "$CHECK_FAILS" = 0 ]
}
