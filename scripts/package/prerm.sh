#!/bin/sh
# Before removal (not before an upgrade): stop the OA and the PBX (which
# drains its calls).
set -e
case "$1" in
remove|0)
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl disable --now yimen-oa yimen-pbx || true
	fi
	;;
esac
exit 0
