#!/usr/bin/env bash
# CPU µs per digest registration of builds side by side: bench/cost.sh with
# WORKLOAD=register.
# usage: REVS="ca6e5b2 HEAD" RATE=3000 bench/regcost.sh
WORKLOAD=register exec "$(dirname "$0")/cost.sh" "$@"
