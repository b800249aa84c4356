#!/usr/bin/env bash
# Builds every command for linux/amd64, linux/arm64 and linux/loong64 into
# dist/<os>-<arch>/, stamped with the version and commit, reproducibly
# (-trimpath, no build id, no VCS stamp: the same source gives the same
# bytes). amd64 and arm64 use SQLite's C code through cgo (arm64 through
# Debian's aarch64-linux-gnu-gcc); loong64, which Debian 12 has no C
# cross-compiler for, uses the pure-Go driver (modernc.org/sqlite) and
# gmsm's portable code (see below).
#   usage: scripts/release.sh [ARCH...]      (default: amd64 arm64 loong64)
#   VERSION=v1.0.0 scripts/release.sh
set -euo pipefail
cd "$(dirname "$0")/.."
archs=("$@")
[ ${#archs[@]} -eq 0 ] && archs=(amd64 arm64 loong64)
version=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
pkg=github.com/yimen/yimen/internal/version
ldflags="-s -w -buildid= -X $pkg.version=$version -X $pkg.commit=$commit"
# CMDS="pbx" builds only those (the emulated smoke run needs only the PBX).
read -r -a cmds <<< "${CMDS:-}"
if [ ${#cmds[@]} -eq 0 ]; then
	for d in cmd/*/; do
		[ -f "$d/main.go" ] && cmds+=("$(basename "$d")")
	done
fi
for arch in "${archs[@]}"; do
	case $arch in
	amd64) cgo=1 cc=${CC_AMD64:-gcc} tags= ;;
	arm64) cgo=1 cc=${CC_ARM64:-aarch64-linux-gnu-gcc} tags= ;;
	# purego: gmsm v0.44.0's loong64 SM2 assembly tests its LSX/LASX flags
	# with 8-byte loads of 1-byte bools (MOVV), so a CPU without LASX takes
	# the LASX path and dies of SIGILL (seen under qemu, which has neither);
	# the portable SM2/SM3/SM4 code is the one that is tested there.
	loong64) cgo=0 cc= tags=purego ;;
	*) echo "release: unknown arch $arch" >&2; exit 2 ;;
	esac
	if [ "$cgo" = 1 ] && ! command -v "$cc" >/dev/null; then
		echo "release: $arch needs the C cross-compiler $cc (make deps installs it)" >&2
		exit 1
	fi
	out=dist/linux-$arch
	mkdir -p "$out"
	for c in "${cmds[@]}"; do
		GOOS=linux GOARCH=$arch CGO_ENABLED=$cgo CC=$cc GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
			go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$out/$c" "./cmd/$c"
	done
	(cd "$out" && sha256sum "${cmds[@]}" > SHA256SUMS)
	echo "release: $out ($version, $(wc -l < "$out/SHA256SUMS") commands)"
done
