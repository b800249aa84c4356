// Package crossarch holds the smoke run of a release build of cmd/pbx for
// another architecture (linux/arm64, linux/loong64) under user-mode
// emulation. It is compiled only with -tags crossarch, by
// scripts/cross-test.sh, which builds the binary and names it and its
// emulator in YIMEN_CROSS_PBX and YIMEN_CROSS_EXEC.
package crossarch
