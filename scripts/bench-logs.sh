#!/usr/bin/env bash
# Times `spindle logs` against Hadoop's `yarn logs` (LogsCLI) for the same
# finished applications on the local cluster (the one in HADOOP_CONF_DIR, or
# a new one), and checks both print the same bytes. `make bench-logs`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/spindle}
[[ -x "$BIN" ]] || { echo "bench-logs: $BIN missing: run make build" >&2; exit 1; }
exec go run ./integration/cmd/bench-logs --spindle "$BIN" --runs "${RUNS:-5}" --lines "${LINES:-200000}"
