#!/bin/sh
# Removal and purge keep the data: databases, recordings and keys under
# /var/lib/yimen and /etc/yimen belong to the operator (a hotline's records
# have retention duties); they say so and leave them.
set -e
case "$1" in
remove|purge|0)
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		systemctl daemon-reload || true
	fi
	echo "yimen: data kept in /var/lib/yimen, keys and configuration in /etc/yimen"
	;;
esac
exit 0
