#!/usr/bin/env bash
# Runs the platform packages' tests and a smoke run of the release PBX for
# linux/arm64 and linux/loong64 under qemu user-mode emulation (Debian
# qemu-user-static; arm64 with cgo through aarch64-linux-gnu-gcc, loong64
# with the pure-Go SQLite driver). Emulated timings are a smoke signal only.
#   usage: scripts/cross-test.sh [ARCH...]   (default: arm64 loong64)
set -euo pipefail
cd "$(dirname "$0")/.."
archs=("$@")
[ ${#archs[@]} -eq 0 ] && archs=(arm64 loong64)
# The packages issue #19 names: storage, GM crypto and keys, identity and
# audit, calendar and config, IVR and ACD logic, SDP, the guard, the relay.
pkgs=(./internal/store ./internal/gm ./internal/keys ./internal/fieldcrypt ./internal/auth
	./internal/rbac ./internal/audit ./internal/calendar ./internal/config ./ivr ./acd
	./pbx/sdp ./pbx/guard ./pbx/media)
for arch in "${archs[@]}"; do
	case $arch in
	arm64) cgo=1 cc=aarch64-linux-gnu-gcc tags= run="qemu-aarch64-static -L /usr/aarch64-linux-gnu" ;;
	loong64) cgo=0 cc= tags=purego run="qemu-loongarch64-static" ;; # as scripts/release.sh builds it
	*) echo "cross-test: unknown arch $arch" >&2; exit 2 ;;
	esac
	for tool in ${run%% *} $cc; do
		command -v "$tool" >/dev/null || { echo "cross-test: $tool missing (make deps installs it)" >&2; exit 1; }
	done
	echo "== linux/$arch: platform packages under ${run%% *}"
	GOOS=linux GOARCH=$arch CGO_ENABLED=$cgo CC=$cc go test -count=1 -tags "$tags" -exec "$run" "${pkgs[@]}"
	echo "== linux/$arch: release build and smoke run"
	CMDS=pbx scripts/release.sh "$arch"
	YIMEN_CROSS_PBX="$PWD/dist/linux-$arch/pbx" YIMEN_CROSS_EXEC="$run" YIMEN_CROSS_PLATFORM="linux/$arch" \
		go test -count=1 -tags crossarch -v -run . ./tests/crossarch 2>&1 | grep -E '^(=== RUN|--- |PASS|FAIL|ok|\s+smoke_test)' 
done
