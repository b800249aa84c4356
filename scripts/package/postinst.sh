#!/bin/sh
# After install or upgrade: the service user, the directories it may write,
# and the unit known to systemd. Nothing is started: the PBX needs its master
# key first (see /usr/share/doc/yimen/install.md).
set -e
if ! getent group yimen >/dev/null; then
	groupadd --system yimen
fi
if ! getent passwd yimen >/dev/null; then
	useradd --system --gid yimen --home-dir /var/lib/yimen --no-create-home --shell /usr/sbin/nologin yimen
fi
install -d -o yimen -g yimen -m 0700 /var/lib/yimen /var/lib/yimen/oa
install -d -o yimen -g yimen -m 0750 /var/log/yimen
install -d -o root -g yimen -m 0750 /etc/yimen
chown root:yimen /etc/yimen/pbx.yaml /etc/yimen/oa.yaml
chmod 0640 /etc/yimen/pbx.yaml /etc/yimen/oa.yaml
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
	systemctl daemon-reload || true
	# An upgrade restarts a running PBX (SIGTERM drains calls first).
	for u in yimen-pbx yimen-oa; do
		if systemctl is-active --quiet $u; then
			systemctl restart $u || true
		fi
	done
fi
if [ ! -e /etc/yimen/master.key ]; then
	echo "yimen: create the master key before the first start:"
	echo "  yimen-keys gen-master -out /etc/yimen/master.key && chown yimen:yimen /etc/yimen/master.key"
	echo "  systemctl enable --now yimen-pbx"
fi
if [ ! -e /etc/yimen/oa-master.key ]; then
	echo "yimen: the OA has a master key of its own (yimen-keys gen-master -out /etc/yimen/oa-master.key),"
	echo "  a cti_system token in /etc/yimen/oa-cti-tokens and the PBX's /etc/yimen/sso-signing.key.pub; then"
	echo "  systemctl enable --now yimen-oa"
fi
exit 0
