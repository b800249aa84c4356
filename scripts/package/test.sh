#!/usr/bin/env bash
# Installs the amd64 .deb into a clean Debian 12 chroot (debootstrap, minbase)
# and checks what an operator would: the service user and directory modes, the
# unit's hardening, the PBX refusing to start without a master key, then
# starting (the unit's ExecStart under the unit's user, with only the
# capability the unit grants) and answering /healthz on loopback, and
# removal and purge keeping the data. Needs root (chroot) and network access
# to the Debian mirror for the chroot; YIMEN_CHROOT reuses a prepared one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
[ "$(id -u)" -eq 0 ] || { echo "package-test: needs root for chroot" >&2; exit 1; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

VERSION=${VERSION:-v0.0.0-test} scripts/package/build.sh amd64
deb=$(ls -t dist/packages/yimen_*_amd64.deb | head -1)
rpm=$(ls -t dist/packages/yimen-*.x86_64.rpm 2>/dev/null | head -1 || true)

root=${YIMEN_CHROOT:-}
if [ -z "$root" ]; then
	root=$(mktemp -d /tmp/yimen-chroot.XXXXXX)
	chmod 0755 "$root" # the chroot's /: every user must be able to walk it
	trap 'rm -rf "$root"' EXIT
fi
if [ ! -x "$root/usr/bin/dpkg" ]; then
	echo "== debootstrap bookworm (minbase) into $root"
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
inroot() { chroot "$root" "$@"; }
# A reused chroot keeps what the last run's purge kept on purpose.
inroot dpkg --purge yimen >/dev/null 2>&1 || true
rm -rf "$root/var/lib/yimen" "$root/etc/yimen" "$root/var/log/yimen"

echo "== install $deb"
cp "$deb" "$root/tmp/yimen.deb"
inroot dpkg -i /tmp/yimen.deb
inroot getent passwd yimen | grep -q ':/var/lib/yimen:/usr/sbin/nologin$' || fail "no system user yimen with a nologin shell"
# Owners as the chroot names them.
[ "$(inroot stat -c '%U %a' /var/lib/yimen)" = "yimen 700" ] || fail "/var/lib/yimen: $(inroot stat -c '%U %a' /var/lib/yimen)"
[ "$(inroot stat -c '%U %G %a' /etc/yimen/pbx.yaml)" = "root yimen 640" ] || fail "pbx.yaml: $(inroot stat -c '%U %G %a' /etc/yimen/pbx.yaml)"
unit=$root/lib/systemd/system/yimen-pbx.service
for want in 'User=yimen' 'ProtectSystem=strict' 'ReadWritePaths=/var/lib/yimen /var/log/yimen' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' 'NoNewPrivileges=true'; do
	grep -qx "$want" "$unit" || fail "unit lacks $want"
done
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
oa_unit=$root/lib/systemd/system/yimen-oa.service
for want in 'User=yimen' 'ProtectSystem=strict' 'ExecStart=/usr/bin/yimen-oa -config /etc/yimen/oa.yaml'; do
	grep -qx "$want" "$oa_unit" || fail "OA unit lacks $want"
done
ls "$root/usr/share/yimen/calendars" | grep -q "^cn-2026.yaml$" || fail "no calendars installed"
[ ! -e "$root/usr/bin/yimen-oa-gen" ] || fail "the benchmark generator is in the package"
echo "== the OA refuses to start without its own master key"
if out=$(inroot setpriv --reuid=yimen --regid=yimen --init-groups timeout 30 /usr/bin/yimen-oa -config /etc/yimen/oa.yaml 2>&1); then
	fail "the OA started without a master key: $out"
fi
echo "$out" | grep -qi 'master key' || fail "OA refusal does not name the master key: $out"

# The unit's ExecStart as the unit's user with the unit's one capability;
# the listeners moved to loopback addresses of the test's own.
run_pbx() {
	inroot timeout "$1" env YIMEN_SIP_UDP=127.0.113.1:5060 YIMEN_SIP_TCP=127.0.113.1:5060 YIMEN_SIP_EXTERNAL_HOST=127.0.113.1 \
		YIMEN_RTP_BIND_IP=127.0.113.1 YIMEN_HTTP_ADDR=127.0.113.1:8080 \
		setpriv --reuid=yimen --regid=yimen --init-groups --inh-caps=+net_bind_service --ambient-caps=+net_bind_service \
		$exec_start
}

echo "== first start without a master key is refused"
if out=$(run_pbx 30 2>&1); then
	fail "the PBX started without a master key: $out"
fi
echo "$out" | grep -qi 'master key' || fail "refusal does not name the master key: $out"

echo "== with a master key it starts and answers on loopback"
inroot yimen-keys gen-master -out /etc/yimen/master.key
inroot chown yimen:yimen /etc/yimen/master.key
run_pbx 600 > "$root/var/log/yimen/pbx.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; [ -n "${YIMEN_CHROOT:-}" ] || rm -rf "$root"' EXIT
ok=
for _ in $(seq 1 100); do
	if health=$(curl -fsS http://127.0.113.1:8080/healthz 2>/dev/null); then ok=1; break; fi
	kill -0 $pid 2>/dev/null || break
	sleep 0.2
done
[ -n "$ok" ] || { cat "$root/var/log/yimen/pbx.log"; fail "no /healthz"; }
echo "$health" | grep -q '"version":"v0.0.0-test"' || fail "healthz: $health"
[ "$(inroot stat -c %U /var/lib/yimen/yimen.db)" = yimen ] || fail "database not owned by yimen"
# SIGTERM to the PBX itself, as systemd sends it (timeout and chroot are only
# the test's wrappers).
pkill -TERM -x yimen-pbx
wait $pid || fail "the PBX did not exit cleanly on SIGTERM"

echo "== remove and purge keep the data"
inroot dpkg -r yimen >/dev/null
[ ! -e "$root/usr/bin/yimen-pbx" ] || fail "binary left after remove"
[ -s "$root/var/lib/yimen/yimen.db" ] || fail "database gone after remove"
inroot dpkg --purge yimen >/dev/null
[ -s "$root/var/lib/yimen/yimen.db" ] && [ -s "$root/etc/yimen/master.key" ] || fail "data or master key gone after purge"

if [ -n "$rpm" ]; then
	echo "== $rpm"
	rpm -qpl "$rpm" | grep -qx /lib/systemd/system/yimen-pbx.service || fail "rpm lacks the unit"
	rpm -qp --scripts "$rpm" | grep -q 'useradd --system' || fail "rpm lacks the user creation"
	rpm -qp --configfiles "$rpm" | grep -qx /etc/yimen/pbx.yaml || fail "rpm: pbx.yaml is not a config file"
fi
echo "package-test: ok"
