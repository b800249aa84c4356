#!/usr/bin/env bash
# Installs the Debian packages yimen's tests and tools use, if missing:
# sip-tester (SIPp, the SIP peer in tests), tshark (counts RTP packets at the
# ends of a call), sox and espeak-ng (IVR prompts), baresip-core (a real
# softphone registering and talking through the PBX), the arm64 cross
# compiler and qemu-user-static (release builds tested under emulation),
# chromium (the agent bar's browser tests), iproute2 and ethtool (the relay's
# in-kernel forwarding tested across network namespaces). Safe to run repeatedly.
set -euo pipefail
need=()
command -v sipp    >/dev/null 2>&1 || need+=(sip-tester)
command -v tshark  >/dev/null 2>&1 || need+=(tshark)
command -v sox     >/dev/null 2>&1 || need+=(sox)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v baresip >/dev/null 2>&1 || need+=(baresip-core)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl    >/dev/null 2>&1 || need+=(curl)
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
command -v ip      >/dev/null 2>&1 || need+=(iproute2)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
# make release / make cross-test: the arm64 C cross-compiler (cgo SQLite) and
# user-mode emulators for arm64 and loong64.
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-loongarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
# make package / package-test: rpmbuild, and a clean Debian chroot to install into.
command -v rpmbuild >/dev/null 2>&1 || need+=(rpm)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
# Debian's chromium: the browser tests (tests/browser) drive it with playwright-core
[ -x /usr/bin/chromium ] || need+=(chromium)
# a Chinese font, so the zh-CN screenshots of those tests show text, not boxes
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
