#!/usr/bin/env bash
# The baseline: Kamailio 5.6 (registrar + stateful proxy, digest auth on
# SQLite) and userspace rtpengine, with the kit's configs from
# ../shared/baseline/kamailio, on loopback.
#
# usage: bench/kamailio.sh install|start|stop|status
#   install  apt-get install the packages (root)
#   start    build the kit's auth DB (users 1000-1999, pw<user>), start
#            rtpengine then Kamailio in the background, wait until both answer
#   stop     stop both by the PIDs start wrote (TERM, KILL after 10 s)
#
# One change to the kit: Kamailio listens on $KAM_IP:5060 (default
# 127.0.0.11) instead of 127.0.0.1:5060, which a demo PBX may hold. The cfg is
# the kit's with that address substituted (written to /tmp/kamanchor).
# rtpengine keeps the kit's 127.0.0.1 (NG 2223, CLI 2224, media 20000-59999).
# Knobs: KAM_IP, KAM_SHM (256), KAM_PKG (16) MB, KAM_LOG_DIR, KAM_LABEL.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
KIT=${KIT:-$BENCH/../../shared/baseline/kamailio}
RUNDIR=/tmp/kamanchor # named by the kit's kamailio.cfg
KAM_IP=${KAM_IP:-127.0.0.11}
KAM_SHM=${KAM_SHM:-256}
KAM_PKG=${KAM_PKG:-16}
LOGS=${KAM_LOG_DIR:-$RUNDIR}
LABEL=${KAM_LABEL:-kamailio}
KAM_PIDF=$RUNDIR/bench-kamailio.pid
RTP_PIDF=$RUNDIR/bench-rtpengine.pid
KAMCMD="kamcmd -s unix:$RUNDIR/kamailio_ctl"
RCTL="rtpengine-ctl -ip 127.0.0.1 -port 2224"

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {
  local f=$1 p i
  [ -f "$f" ] || return 0
  p=$(cat "$f")
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p"
    for i in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$p" 2>/dev/null && kill -KILL "$p"
  fi
  rm -f "$f"
}

install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q kamailio kamailio-sqlite-modules rtpengine-daemon sqlite3 sip-tester
}

start() {
  for t in kamailio kamcmd rtpengine rtpengine-ctl sqlite3; do
    command -v $t >/dev/null || { echo "$t missing: run $0 install" >&2; exit 2; }
  done
  if alive "$KAM_PIDF" || alive "$RTP_PIDF"; then echo "already running; $0 stop first" >&2; exit 2; fi
  mkdir -p "$RUNDIR" "$LOGS"
  cp "$KIT/sipp/g711a.alaw" "$RUNDIR/"
  "$KIT/db/create.sh" "$RUNDIR/kamailio.sqlite" >/dev/null || exit 2
  sed "s/127\.0\.0\.1:5060/$KAM_IP:5060/g" "$KIT/kamailio.cfg" >"$RUNDIR/kamailio-bench.cfg"
  setsid rtpengine --config-file="$KIT/rtpengine.conf" --config-section=anchor \
    -f -E --pidfile "$RUNDIR/rtpengine.pid" >"$LOGS/$LABEL.rtpengine.log" 2>&1 </dev/null &
  echo $! >"$RTP_PIDF"
  local i
  for i in $(seq 1 20); do $RCTL list numsessions >/dev/null 2>&1 && break; sleep 0.5; done
  $RCTL list numsessions >/dev/null 2>&1 || { echo "rtpengine did not start" >&2; stop; exit 2; }
  setsid kamailio -f "$RUNDIR/kamailio-bench.cfg" -DD -E -m "$KAM_SHM" -M "$KAM_PKG" \
    -P "$RUNDIR/kamailio.pid" >"$LOGS/$LABEL.kamailio.log" 2>&1 </dev/null &
  echo $! >"$KAM_PIDF"
  for i in $(seq 1 20); do $KAMCMD core.uptime >/dev/null 2>&1 && break; sleep 0.5; done
  $KAMCMD core.uptime >/dev/null 2>&1 || { echo "kamailio did not start" >&2; stop; exit 2; }
  sleep 1
  echo "kamailio pid $(cat "$KAM_PIDF") on $KAM_IP:5060, rtpengine pid $(cat "$RTP_PIDF")"
}

stop() {
  alive "$KAM_PIDF" && $KAMCMD stats.get_statistics all >"$LOGS/$LABEL.kamailio_stats.txt" 2>&1
  alive "$RTP_PIDF" && $RCTL list totals >"$LOGS/$LABEL.rtpengine_totals.txt" 2>&1
  stop_pidfile "$KAM_PIDF"
  stop_pidfile "$RTP_PIDF"
  echo "kamailio and rtpengine stopped"
}

status() {
  alive "$KAM_PIDF" && echo "kamailio pid $(cat "$KAM_PIDF") up" || echo "kamailio down"
  alive "$RTP_PIDF" && echo "rtpengine pid $(cat "$RTP_PIDF") up" || echo "rtpengine down"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
