#!/usr/bin/env bash
# CPU ms per call of builds side by side: bench/cost.sh with WORKLOAD=calls.
# usage: REVS="ca7a463 HEAD" RATE=300 bench/callcost.sh
WORKLOAD=calls exec "$(dirname "$0")/cost.sh" "$@"
