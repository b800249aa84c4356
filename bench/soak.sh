#!/usr/bin/env bash
# Soak: steady call and registration load on yimen for SOAK_SECS (default one
# hour), sampling the process every SAMPLE_EVERY seconds. The question is not
# speed but whether anything grows: RSS, Go heap, goroutines, open files and
# threads must stay flat while calls come and go. A benchmark run, not CI.
#
# usage: bench/soak.sh          (knobs in the environment)
#   SOAK_SECS      3600   seconds of load
#   CPS            5      calls per second (each with RTP both ways)
#   CALL_SECS      20     seconds per call  => about CPS x CALL_SECS concurrent
#   REG_RATE       5      digest REGISTERs per second over 1000-1499
#   SAMPLE_EVERY   30     seconds between samples
#   REREG_EVERY    1800   seconds between renewals of the callee's registration
#   RECORD         1: every call recorded (SM4-sealed); files deleted as the
#                  retention sweep would, so the disk does not fill
#
# Addresses differ from the other scripts' (yimen 127.0.0.20, caller
# 127.0.0.22, callee 127.0.0.23, registrations 127.0.0.24), so a soak can run
# while other scripts measure on 127.0.0.10; it still shares the CPU.
set -u
export YIMEN_IP=${YIMEN_IP:-127.0.0.20}
. "$(dirname "$0")/lib.sh"
SOAK_SECS=${SOAK_SECS:-3600}
CPS=${CPS:-5}
CALL_SECS=${CALL_SECS:-20}
REG_RATE=${REG_RATE:-5}
SAMPLE_EVERY=${SAMPLE_EVERY:-30}
REREG_EVERY=${REREG_EVERY:-1800}
CALLER_IP=127.0.0.22 CALLEE_IP=127.0.0.23 REG_IP=127.0.0.24
if [ "${RECORD:-0}" = 1 ]; then
  export YIMEN_ENV="YIMEN_RECORDING_POLICY=always YIMEN_RECORDING_ENCRYPT=true"
fi
begin soak
REG_PID=""
soak_cleanup() { stop_pid "$REG_PID"; cleanup; }
trap soak_cleanup EXIT INT TERM

# sample_row ELAPSED PHASE: one line of samples.tsv.
sample_row() {
  local p=$YIMEN_PID rss thr fds ticks m gor heap ports
  local anon file gosys goidle gorel gostack
  rss=$(awk '/^VmRSS/{print $2}' /proc/$p/status)
  anon=$(awk '/^RssAnon/{print $2}' /proc/$p/status)
  file=$(awk '/^RssFile/{print $2}' /proc/$p/status)
  thr=$(awk '/^Threads/{print $2}' /proc/$p/status)
  fds=$(ls /proc/$p/fd | wc -l)
  ticks=$(awk '{print $14 + $15}' /proc/$p/stat)
  m=$(curl -s --max-time 5 "http://$YIMEN_IP:8080/metrics")
  gor=$(echo "$m" | awk '$1=="go_goroutines"{print $2}')
  heap=$(echo "$m" | awk '$1=="go_memstats_heap_inuse_bytes"{printf "%d", $2/1024}')
  ports=$(echo "$m" | awk '$1=="yimen_rtp_ports_in_use"{print $2}')
  # Where RSS lives: Go's own mappings (sys less what it returned to the
  # kernel; idle heap not yet returned; stacks) against what is anonymous
  # but not Go's (C allocations: SQLite, libc).
  gosys=$(echo "$m" | awk '$1=="go_memstats_sys_bytes"{printf "%d", $2/1024}')
  goidle=$(echo "$m" | awk '$1=="go_memstats_heap_idle_bytes"{printf "%d", $2/1024}')
  gorel=$(echo "$m" | awk '$1=="go_memstats_heap_released_bytes"{printf "%d", $2/1024}')
  gostack=$(echo "$m" | awk '$1=="go_memstats_stack_sys_bytes"{printf "%d", $2/1024}')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rss" "${heap:-0}" "${gor:-0}" "$fds" "$thr" "$ticks" "${ports:-0}" \
    "${anon:-0}" "${file:-0}" "${gosys:-0}" "${goidle:-0}" "${gorel:-0}" "${gostack:-0}" >>"$RUN/samples.tsv"
}

d=$RUN/yimen-soak
mkdir -p "$d"
SUT=yimen
sut_start yimen soak
# register_callee: the callee's binding (3600 s), renewed every half hour
# below so a soak longer than an hour keeps its calls. It registers from
# another port than the one it answers calls on, so it can run while the
# answering SIPp holds 5070; the Contact it registers names 5070.
sed 's/^\( *Contact: <sip:\[field0\]@\[local_ip\]:\)\[local_port\]>/\15070>/' \
  "$SCEN/register_inf.xml" >"$RUN/register_callee.xml"
grep -q 'Contact: .*:5070>' "$RUN/register_callee.xml" || die "register_callee.xml: Contact not rewritten"
register_callee() {
  (cd "$RUN" && timeout 20 sipp "$SUT_ADDR" -sf "$RUN/register_callee.xml" \
    -inf "$(users_csv yimen 1999 1999)" -au '[field0]' -ap '[field1]' \
    -i $CALLEE_IP -p "$1" -m 1 -nostdin -timeout 10s >>"$RUN/uas_register.out" 2>&1)
}
register_callee 5070 || die "callee registration failed (see $RUN/uas_register.out)"

printf 'secs\tphase\trss_kb\theap_kb\tgoroutines\tfds\tthreads\tcpu_ticks\trtp_ports\trss_anon_kb\trss_file_kb\tgo_sys_kb\tgo_heap_idle_kb\tgo_heap_released_kb\tgo_stack_kb\n' >"$RUN/samples.tsv"
sleep 2; sample_row 0 idle

total=$((CPS * SOAK_SECS))
tail=$((CALL_SECS + 60))
(cd "$d" && exec timeout $((SOAK_SECS + tail + 30)) sipp -sf "$SCEN/uas_rtpstream.xml" -i $CALLEE_IP -p 5070 \
  -mp 6000 -nostdin -trace_stat -stf "$d/uas_stat.csv" -fd 10 -trace_err \
  -timeout "$((SOAK_SECS + tail + 20))s" >"$d/uas.out" 2>&1) &
UAS_PID=$!
sleep 1
(cd "$d" && exec timeout $((SOAK_SECS + tail + 20)) sipp "$SUT_ADDR" -sf "$SCEN/register_inf.xml" \
  -inf "$(users_csv yimen 1000 1499)" -au '[field0]' -ap '[field1]' -i $REG_IP -p 5090 \
  -r "$REG_RATE" -m $((REG_RATE * SOAK_SECS)) -nostdin -trace_stat -stf "$d/reg_stat.csv" -fd 10 \
  -timeout "$((SOAK_SECS + tail))s" >"$d/reg.out" 2>&1) &
REG_PID=$!
(cd "$d" && exec timeout $((SOAK_SECS + tail + 20)) sipp "$SUT_ADDR" -sf "$SCEN/uac_rtpstream.xml" \
  -s 1999 -auth_uri "1999@$SUT_ADDR" -inf "$(users_csv yimen 1000 1998)" -au '[field0]' -ap '[field1]' \
  -i $CALLER_IP -p 5080 -mp 6000 -r "$CPS" -m "$total" -d $((CALL_SECS * 1000)) -nostdin $UAC_FLAGS \
  -trace_stat -stf "$d/stat.csv" -fd 10 -trace_err -timeout $((SOAK_SECS + tail))s >"$d/sipp.out" 2>&1) &
SIPP_PID=$!
log "soak: $CPS calls/s of ${CALL_SECS}s, $REG_RATE REGISTERs/s, for ${SOAK_SECS}s"

t0=$SECONDS
last_reg=$SECONDS
while [ $((SECONDS - t0)) -lt $((SOAK_SECS + CALL_SECS)) ]; do
  sleep "$SAMPLE_EVERY"
  kill -0 "$YIMEN_PID" 2>/dev/null || die "yimen died during the soak"
  sample_row $((SECONDS - t0)) load
  if [ $((SECONDS - last_reg)) -ge "$REREG_EVERY" ]; then
    register_callee 5071 || log "callee re-registration failed (see $RUN/uas_register.out)"
    last_reg=$SECONDS
  fi
  if [ "${RECORD:-0}" = 1 ]; then
    # Keep the disk bounded: drop finished recordings older than 2 minutes.
    find "$YIMEN_DATA/recordings" -type f -mmin +2 -delete 2>/dev/null
  fi
done
wait "$SIPP_PID"; SIPP_PID=""
stop_pid "$REG_PID"; REG_PID=""
sleep 5; stop_pid "$UAS_PID"; UAS_PID=""
# Let timers (transactions, sweeps) run out, then the after-load sample.
sleep 60
sample_row $((SECONDS - t0)) after
metrics "$d/m_end.prom"
sut_stop

python3 "$TOOLS/sippstat.py" "$d/stat.csv" "$CPS" >"$d/summary.json"
python3 - "$RUN" "$SAMPLE_EVERY" <<'PY' >"$RUN/report.md"
import csv, json, sys
run, every = sys.argv[1], int(sys.argv[2])
rows = list(csv.DictReader(open(f'{run}/samples.tsv'), delimiter='\t'))
for r in rows:
    # Go's memory still mapped (all it took less what it gave back), and the
    # anonymous RSS beyond it: C's allocations (SQLite, libc).
    if r.get('go_sys_kb'):
        r['go_held_kb'] = str(float(r['go_sys_kb']) - float(r['go_heap_released_kb']))
        r['not_go_kb'] = str(float(r['rss_anon_kb']) - float(r['go_held_kb']))
load = [r for r in rows if r['phase'] == 'load']
idle = next(r for r in rows if r['phase'] == 'idle')
after = next((r for r in rows if r['phase'] == 'after'), None)
tick = 100.0
def col(rs, k): return [float(r[k]) for r in rs]
def slope(rs, k):
    xs, ys = col(rs, 'secs'), col(rs, k)
    n = len(xs); mx, my = sum(xs)/n, sum(ys)/n
    sxx = sum((x-mx)**2 for x in xs)
    return 3600 * sum((x-mx)*(y-my) for x, y in zip(xs, ys)) / sxx if sxx else 0
# First and last sixth of the loaded samples (10 min each in an hour), skipping the ramp.
steady = [r for r in load if float(r['secs']) >= 120] or load
k = max(1, len(steady) // 6)
first, last = steady[:k], steady[-k:]
def avg(rs, c): return sum(col(rs, c)) / len(rs)
s = json.load(open(f'{run}/yimen-soak/summary.json'))
cpu = (float(load[-1]['cpu_ticks']) - float(load[0]['cpu_ticks'])) / tick / max(1, float(load[-1]['secs']) - float(load[0]['secs']))
span = f'{k*every/60:.0f} min'
print(f'| measure | idle before | first {span} | last {span} | trend per hour (fit) | after load |')
print('|---|---|---|---|---|---|')
more = [('go_held_kb', "Go's mappings not returned", 'MB'), ('go_heap_idle_kb', 'Go heap idle', 'MB'),
        ('not_go_kb', "anonymous RSS not Go's", 'MB')] if 'go_held_kb' in idle else []
for c, name, unit in [('rss_kb', 'RSS', 'MB'), ('heap_kb', 'Go heap in use', 'MB')] + more + [('goroutines', 'goroutines', ''),
                      ('fds', 'open files', ''), ('threads', 'threads', ''), ('rtp_ports', 'RTP ports in use', '')]:
    f = (lambda v: f'{v/1024:.1f}') if unit == 'MB' else (lambda v: f'{v:.0f}')
    print(f'| {name}{" ("+unit+")" if unit else ""} | {f(float(idle[c]))} | {f(avg(first, c))} | {f(avg(last, c))} | '
          f'{"+" if slope(steady, c) >= 0 else "−"}{f(abs(slope(steady, c)))} | {f(float(after[c])) if after else "-"} |')
print()
print(f"Calls: {s.get('successful', 0)} completed, {s.get('failed', 0)} failed of {s.get('created', '?')} "
      f"created; yimen CPU over the loaded period {100*cpu:.1f} % of one core; {len(load)} samples every {every} s.")
PY
if command -v gnuplot >/dev/null; then
  gnuplot <<GP 2>>"$RUN/run.log"
set terminal pngcairo size 900,500 noenhanced
set output "$RUN/soak.png"
set datafile separator "\t"
set key autotitle columnhead outside
set xlabel "minutes"
set ylabel "MB"
set y2label "count"
set y2tics
set ytics nomirror
set title "yimen soak: memory, goroutines, open files"
plot "$RUN/samples.tsv" every ::1 using (\$1/60):(\$3/1024) with lines title "RSS MB", \
     "" every ::1 using (\$1/60):(\$4/1024) with lines title "heap MB", \
     "" every ::1 using (\$1/60):5 axes x1y2 with lines title "goroutines", \
     "" every ::1 using (\$1/60):6 axes x1y2 with lines title "open files"
GP
fi
{
  echo "# Soak: $CPS calls/s x ${CALL_SECS}s + $REG_RATE REGISTERs/s for ${SOAK_SECS}s$([ "${RECORD:-0}" = 1 ] && echo ', recorded') ($STAMP)"
  echo
  sed 's/^/    /' "$RUN/env.txt"
  echo
  cat "$RUN/report.md"
  [ -f "$RUN/soak.png" ] && echo && echo "Plot: \`${RUN#"$ROOT"/}/soak.png\`"
} >"$OUT/soak-$STAMP.md"
cat "$OUT/soak-$STAMP.md"
