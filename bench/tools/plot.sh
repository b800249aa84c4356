#!/usr/bin/env bash
# PNG plots of one run, next to its markdown table: RUN-<figure>.png for the
# run directory RUN (bench/out/<name>-<date>), one line per system, read from
# RUN/steps.jsonl through steps.py plotdata. Appends the images to RUN.md.
#
# usage: bench/tools/plot.sh RUN SCENARIO   (register calls concurrent flood queue)
# Needs gnuplot (Debian gnuplot-nox, from scripts/install-deps.sh).
set -eu
run=${1:?run directory}; sc=${2:?scenario}
tools=$(cd "$(dirname "$0")" && pwd)
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not installed (make deps)" >&2; exit 2; }
python3 "$tools/steps.py" plotdata "$run/steps.jsonl" "$sc" "$run"
case $sc in
  register)   x="target REGISTER/s" ;;
  calls)      x="target call set-ups/s" ;;
  concurrent) x="concurrent calls" ;;
  flood)      x="flood msg/s (legitimate calls at a fixed rate)" ;;
  queue)      x="callers/s into the queue" ;;
  *) echo "plot.sh: unknown scenario $sc" >&2; exit 2 ;;
esac
# figure: column, y label, title
figs=("cpu:4:CPU % of one core (server)" "success:3:legitimate calls completed %" "rss:7:server memory MB (RSS; Kamailio PSS)")
case $sc in
  register | calls) figs+=("rate:2:achieved per s (median 1 s)") ;;
esac
case $sc in
  calls | flood | queue) figs+=("setup-p99:6:call set-up p99 ms" "setup-p50:5:call set-up p50 ms") ;;
esac
[ "$sc" = queue ] && figs+=("wait:9:queue wait p99 ms" "cti-p99:11:CTI fan-out p99 ms" "handled:2:calls handled per s")
[ "$sc" = concurrent ] && figs+=("relayed:8:relayed packets/s")
md=$run.md
imgs=""
for f in "${figs[@]}"; do
  IFS=: read -r name col label <<<"$f"
  png=$run-$name.png
  plots=""
  for dat in "$run/$sc"-*.dat; do
    [ -f "$dat" ] || continue
    sys=$(basename "$dat" .dat); sys=${sys#"$sc"-}
    plots+="${plots:+, }'$dat' using 1:$col with linespoints lw 2 pt 7 title '$sys'"
  done
  [ -n "$plots" ] || continue
  # A figure whose column this run did not measure is left out.
  gnuplot 2>/dev/null <<GP || { rm -f "$png"; continue; }
set terminal pngcairo size 640,400 font "sans,9"
set output '$png'
set datafile missing '?'
set title '$(basename "$run"): $label'
set xlabel '$x'
set ylabel '$label'
set grid
set key below
set yrange [0:*]
plot $plots
GP
  imgs+="![$label]($(basename "$png"))"$'\n'
done
if [ -f "$md" ] && [ -n "$imgs" ]; then printf '\n%s' "$imgs" >>"$md"; fi
echo "plots: $run-*.png"
