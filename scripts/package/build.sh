#!/usr/bin/env bash
# Packages a release build (scripts/release.sh) as a .deb and an .rpm:
# binaries in /usr/bin (yimen-pbx, yimen-keys, yimen-audit, yimen-backup,
# yimen-cti-tail), the configuration in /etc/yimen (a conffile that refuses to
# start until the master key exists), the systemd unit, logrotate, docs.
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
		[ "$n" = SHA256SUMS ] && continue
		case $n in yimen-*) dst=$n ;; *) dst=yimen-$n ;; esac
		install -m 0755 "$c" "$root/usr/bin/$dst"
	done
	install -m 0640 configs/production.example.yaml "$root/etc/yimen/pbx.yaml"
	install -m 0644 "$here/yimen-pbx.service" "$root/lib/systemd/system/yimen-pbx.service"
	install -m 0644 "$here/logrotate" "$root/etc/logrotate.d/yimen"
	install -m 0644 docs/install.md README.md "$root/usr/share/doc/yimen/"
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
	echo /etc/yimen/pbx.yaml > "$deb/DEBIAN/conffiles"
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
