#!/usr/bin/env bash
# Installs the Debian packages yimen's tests and tools use, if missing:
# sip-tester (SIPp, the SIP peer in tests), tshark (counts RTP packets at the
# ends of a call), sox and espeak-ng (IVR prompts), baresip-core (a real
# softphone registering and talking through the PBX). Safe to run repeatedly.
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
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
