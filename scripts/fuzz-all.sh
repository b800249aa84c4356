#!/usr/bin/env bash
# Runs every Go fuzz target in the repository for the given time each.
set -euo pipefail
t=${1:-30s}
for f in $(git ls-files '*_test.go'); do
  pkg=./$(dirname "$f")
  for name in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    echo "== $pkg $name"
    go test -run='^$' -fuzz="^${name}\$" -fuzztime="$t" "$pkg"
  done
done
