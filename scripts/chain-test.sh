#!/usr/bin/env bash
# Chains spindle commands the way a user's shell script would, checking every
# exit code and output:
#   submit -> wait --for address -> Dask computation -> stop ->
#   wait --for finished -> logs | grep (a line a Dask worker printed)
#
# Needs: HADOOP_CONF_DIR (the cluster), `spindle` on PATH, and PYTHON (or
# python3 on PATH) with dask and distributed whose bin folder the containers
# can use (the NodeManagers must see the same path, as on the local
# cluster). CI runs it through integration/chain_test.go.
set -euo pipefail

: "${HADOOP_CONF_DIR:?set HADOOP_CONF_DIR to the configuration folder of the cluster}"
PYTHON=${PYTHON:-$(command -v python3)}
SPINDLE=${SPINDLE:-spindle}
WORKERS=${WORKERS:-2}

work=$(mktemp -d)
app=""
cleanup() {
  local rc=$?
  if [[ -n "$app" && $rc -ne 0 ]]; then
    "$SPINDLE" kill "$app" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT

fail() { echo "chain-test: FAIL: $*" >&2; exit 1; }
step() { echo "chain-test: $*" >&2; }

# Runs a command, which must exit with the given code; its stdout goes to
# $work/out, its stderr to the terminal.
expect_code() {
  local want=$1; shift
  local got=0
  "$@" >"$work/out" || got=$?
  [[ $got -eq $want ]] || fail "'$*' exited $got, want $want (stdout: $(head -c 2000 "$work/out"))"
}

venv_bin=$(dirname "$PYTHON")
path="$venv_bin:/usr/local/bin:/usr/bin:/bin"
cat >"$work/spec.yaml" <<EOF
name: spindle-chain-test
scheduler:
  resources: {memory: 512MiB, vcores: 1}
  env: {PATH: "$path"}
workers:
  - name: worker
    instances: $WORKERS
    resources: {memory: 512MiB, vcores: 1}
    env: {PATH: "$path"}
EOF

step "submit"
submit_args=(submit)
if [[ -n "${SPINDLE_BINARY:-}" ]]; then submit_args+=(--binary "$SPINDLE_BINARY"); fi
expect_code 0 "$SPINDLE" "${submit_args[@]}" "$work/spec.yaml"
app=$(cat "$work/out")
[[ "$app" =~ ^application_[0-9]+_[0-9]+$ ]] || fail "submit printed '$app', want only an application id"
step "submitted $app"

step "wait --for address"
expect_code 0 "$SPINDLE" wait "$app" --for address --timeout 5m
address=$(cat "$work/out")
[[ "$address" =~ ^tcp://[^[:space:]]+:[0-9]+$ ]] || fail "wait --for address printed '$address', want tcp://host:port"
step "scheduler at $address"

step "wait --for address --json"
expect_code 0 "$SPINDLE" wait "$app" --for address --json --timeout 1m
json_address=$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["app_id"]==sys.argv[2], d; assert d["state"]=="RUNNING", d; print(d["scheduler_address"])' "$work/out" "$app") ||
  fail "wait --json: $(cat "$work/out")"
[[ "$json_address" == "$address" ]] || fail "wait --json address $json_address != $address"

step "dask computation"
sum=$("$PYTHON" - "$address" "$WORKERS" <<'EOF'
import sys
import dask.array as da
from distributed import Client
c = Client(sys.argv[1], timeout=60)
c.wait_for_workers(int(sys.argv[2]), timeout=180)
print(int(da.arange(1_000_000, chunks=100_000).sum().compute()))
c.close()
EOF
)
[[ "$(tail -n1 <<<"$sum")" == "499999500000" ]] || fail "dask sum printed '$sum', want 499999500000"

step "stop"
expect_code 0 "$SPINDLE" stop "$app"

step "wait --for finished"
expect_code 0 "$SPINDLE" wait "$app" --for finished --timeout 3m
[[ "$(cat "$work/out")" == "FINISHED" ]] || fail "wait --for finished printed '$(cat "$work/out")', want FINISHED"

step "status --json"
expect_code 0 "$SPINDLE" status "$app" --json
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert (d["state"], d["final_status"]) == ("FINISHED", "SUCCEEDED"), d' "$work/out" ||
  fail "status after stop: $(cat "$work/out")"

step "stop again: already finished"
expect_code 5 "$SPINDLE" stop "$app"

step "logs | grep"
# The worker's own stderr has Dask's "Registered to" line (its scheduler).
"$SPINDLE" logs "$app" --service worker --file stderr --timeout 3m >"$work/logs"
grep -q "Registered to: *$address" "$work/logs" || fail "no worker 'Registered to: $address' line in spindle logs --service worker"
[[ $(grep -c '^Container: container_.* on ' "$work/logs") -eq $WORKERS ]] ||
  fail "spindle logs --service worker --file stderr printed $(grep -c '^Container: ' "$work/logs") sections, want $WORKERS"
"$SPINDLE" logs "$app" --service scheduler --file stderr --tail 5000 | grep -q "Scheduler at: *$address" ||
  fail "no 'Scheduler at: $address' line in the scheduler's stderr"
"$SPINDLE" logs "$app" | grep -c "^LogAggregationType: AGGREGATED" >/dev/null || fail "spindle logs printed no aggregated sections"

step "logs of an unknown container: exit 3"
expect_code 3 "$SPINDLE" logs "$app" --container container_1_1_01_999999

step "PASS $app"
app=""
