#!/usr/bin/env bash
# Packages a release build (scripts/release.sh) as a .deb and an .rpm:
# binaries in /usr/bin (yimen-pbx, yimen-oa, yimen-keys, yimen-audit,
# yimen-backup, yimen-cti-tail), the configurations in /etc/yimen (conffiles;
# neither process starts until its master key exists), the systemd units for
# the PBX and the OA, the holiday calendars, logrotate, docs.
#   usage: scripts/package/build.sh [ARCH...]   (default: amd64 arm64 loong64)
# Needs dpkg-deb, and rpmbuild (Debian package rpm) for the .rpm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
archs=("$@")
[ ${#archs[@]} -eq 0 ] && archs=(amd64 arm64 loong64)
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
# Package versions start with a digit: v1.2.3 -> 1.2.3, a bare commit -> 0.0~gitCOMMIT.
pkgver=${version#v}
[[ $pkgver =~ ^[0-9] ]] || pkgver="0.0~git${pkgver//-/.}"
rpmver=${pkgver//\~/.}
rpmver=${rpmver//-/.}
for arch in "${archs[@]}"; do
	case $arch in
	amd64) rpmarch=x86_64 ;;
	arm64) rpmarch=aarch64 ;;
	loong64) rpmarch=loongarch64 ;;
	*) echo "package: unknown arch $arch" >&2; exit 2 ;;
	esac
	VERSION=$version scripts/release.sh "$arch"
	root=$(mktemp -d)
	chmod 0755 "$root"
	trap 'rm -rf "$root"' EXIT
	install -d "$root/usr/bin" "$root/etc/yimen" "$root/lib/systemd/system" "$root/etc/logrotate.d" "$root/usr/share/doc/yimen"
	for c in dist/linux-"$arch"/*; do
		n=$(basename "$c")
		# oa-gen seeds benchmark data: not for a production host.
		[ "$n" = SHA256SUMS ] || [ "$n" = oa-gen ] && continue
		case $n in yimen-*) dst=$n ;; *) dst=yimen-$n ;; esac
		install -m 0755 "$c" "$root/usr/bin/$dst"
	done
	install -m 0640 "$here/pbx.yaml" "$root/etc/yimen/pbx.yaml"
	install -m 0640 configs/oa-production.example.yaml "$root/etc/yimen/oa.yaml"
	install -m 0644 "$here/yimen-pbx.service" "$here/yimen-oa.service" "$root/lib/systemd/system/"
	install -d "$root/usr/share/yimen"
	cp -r configs/calendars "$root/usr/share/yimen/calendars"
	install -m 0644 "$here/logrotate" "$root/etc/logrotate.d/yimen"
	install -m 0644 docs/install.md docs/trunks.md README.md configs/production.example.yaml "$root/usr/share/doc/yimen/"
	mkdir -p dist/packages

	# .deb
	deb=$(mktemp -d)
	chmod 0755 "$deb"
	cp -a "$root/." "$deb/"
	install -d "$deb/DEBIAN"
	size=$(du -sk "$root" | cut -f1)
	cat > "$deb/DEBIAN/control" <<CONTROL
Package: yimen
Version: $pkgver
Architecture: $arch
Maintainer: yimen <yimen@localhost>
Installed-Size: $size
Depends: libc6, passwd, adduser | passwd
Section: net
Priority: optional
Description: softswitch and contact centre for public-service hotlines
 SIP registrar, B2BUA and RTP relay, ACD, IVR, CTI, recording, with SM2/SM3/SM4.
CONTROL
	printf '%s\n' /etc/yimen/pbx.yaml /etc/yimen/oa.yaml > "$deb/DEBIAN/conffiles"
	echo /etc/logrotate.d/yimen >> "$deb/DEBIAN/conffiles"
	install -m 0755 "$here/postinst.sh" "$deb/DEBIAN/postinst"
	install -m 0755 "$here/prerm.sh" "$deb/DEBIAN/prerm"
	install -m 0755 "$here/postrm.sh" "$deb/DEBIAN/postrm"
	dpkg-deb --root-owner-group -Zxz --build "$deb" "dist/packages/yimen_${pkgver}_${arch}.deb" >/dev/null
	rm -rf "$deb"
	echo "package: dist/packages/yimen_${pkgver}_${arch}.deb"

	# .rpm, from the same tree and scripts
	if command -v rpmbuild >/dev/null; then
		top=$(mktemp -d)
		mkdir -p "$top"/{SPECS,BUILD,RPMS,SRPMS,SOURCES}
		{
			echo "Name: yimen"
			echo "Version: $rpmver"
			echo "Release: 1"
			echo "Summary: softswitch and contact centre for public-service hotlines"
			echo "License: Proprietary"
			echo "BuildArch: $rpmarch"
			echo "Requires(pre): shadow-utils"
			echo "AutoReqProv: no"
			echo "%description"
			echo "SIP registrar, B2BUA and RTP relay, ACD, IVR, CTI, recording, with SM2/SM3/SM4."
			echo "%install"
			echo "cp -a $root/. %{buildroot}/"
			echo "%post"
			cat "$here/postinst.sh"
			echo "%preun"
			cat "$here/prerm.sh"
			echo "%postun"
			cat "$here/postrm.sh"
			echo "%files"
			echo "%attr(0755,root,root) /usr/bin/*"
			echo "%config(noreplace) %attr(0640,root,root) /etc/yimen/pbx.yaml"
			echo "%config(noreplace) %attr(0640,root,root) /etc/yimen/oa.yaml"
			echo "/lib/systemd/system/yimen-oa.service"
			echo "/usr/share/yimen"
			echo "%config(noreplace) /etc/logrotate.d/yimen"
			echo "/lib/systemd/system/yimen-pbx.service"
			echo "%doc /usr/share/doc/yimen"
		} > "$top/SPECS/yimen.spec"
		rpmbuild --quiet --define "_topdir $top" --define "_build_id_links none" --define "__strip /bin/true" \
			--target "$rpmarch-linux" -bb "$top/SPECS/yimen.spec" >/dev/null
		find "$top/RPMS" -name '*.rpm' -exec cp {} dist/packages/ \;
		echo "package: dist/packages/yimen-${rpmver}-1.${rpmarch}.rpm"
		rm -rf "$top"
	fi
	rm -rf "$root"
	trap - EXIT
done
