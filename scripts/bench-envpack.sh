#!/usr/bin/env bash
# Packs the same venv (dask + distributed from PyPI) with spindle and with
# venv-pack (from PyPI), and prints wall time, CPU time and archive size for
# each (best of RUNS, runs interleaved), plus the fingerprint check of the
# unchanged env. Work folder: BENCH_DIR (kept between runs: pip is slow).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/spindle-bench-envpack}
RUNS=${RUNS:-3}
PYTHON=${PYTHON:-python3}
mkdir -p "$BENCH_DIR"
command -v "$PYTHON" >/dev/null || { echo "bench-envpack: $PYTHON not found; install Python 3" >&2; exit 1; }

env="$BENCH_DIR/dask-venv"
tools="$BENCH_DIR/tools-venv"
if [ ! -x "$env/bin/dask" ]; then
  echo "creating $env (dask, distributed from PyPI)" >&2
  rm -rf "$env"
  "$PYTHON" -m venv "$env"
  "$env/bin/pip" install -q --disable-pip-version-check dask distributed
fi
if [ ! -x "$tools/bin/venv-pack" ]; then
  echo "creating $tools (venv-pack from PyPI)" >&2
  rm -rf "$tools"
  "$PYTHON" -m venv "$tools"
  "$tools/bin/pip" install -q --disable-pip-version-check venv-pack
fi
go build -o "$BENCH_DIR/spindle" ./cmd/spindle

# measure OUT CMD...: prints "wall cpu" seconds of one run of CMD (cpu is
# user+sys of all its threads and children).
measure() {
  local out=$1; shift
  rm -f "$out"
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>"$BENCH_DIR/last.err"; } 2>&1 | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
  [ -s "$out" ] || { echo "bench-envpack: $* wrote no archive:" >&2; cat "$BENCH_DIR/last.err" >&2; return 1; }
}

best() { sort -n | head -1; }

s_out="$BENCH_DIR/spindle.tar.gz"
v_out="$BENCH_DIR/venv-pack.tar.gz"
declare -a s_runs v_runs
# Warm the page cache once so both read from memory.
find "$env" -type f -exec cat {} + >/dev/null
for i in $(seq "$RUNS"); do
  s_runs+=("$(measure "$s_out" "$BENCH_DIR/spindle" env pack "$env" -o "$s_out")")
  v_runs+=("$(measure "$v_out" "$tools/bin/venv-pack" -p "$env" -o "$v_out")")
done
s_best=$(printf '%s\n' "${s_runs[@]}" | best)
v_best=$(printf '%s\n' "${v_runs[@]}" | best)
s_size=$(stat -c %s "$s_out")
v_size=$(stat -c %s "$v_out")
content=$(du -sb "$env" | cut -f1)

"$BENCH_DIR/spindle" env fingerprint "$env" >/dev/null
fp=$( { TIMEFORMAT='%R'; time "$BENCH_DIR/spindle" env fingerprint "$env" >/dev/null; } 2>&1 )
st_out="$BENCH_DIR/spindle-standalone.tar.gz"
st=$(measure "$st_out" "$BENCH_DIR/spindle" env pack "$env" --standalone -o "$st_out")

echo "env: $env ($(find "$env" | wc -l) files, $((content / 1048576)) MiB), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-22s %9s %9s %12s\n' tool wall_s cpu_s size_bytes
printf '%-22s %9s %9s %12s\n' spindle $s_best "$s_size"
printf '%-22s %9s %9s %12s\n' venv-pack $v_best "$v_size"
printf '%-22s %9s %9s %12s\n' "spindle --standalone" $st "$(stat -c %s "$st_out")"
read -r sw sc <<<"$s_best"
read -r vw vc <<<"$v_best"
awk -v sw="$sw" -v sc="$sc" -v vw="$vw" -v vc="$vc" -v ss="$s_size" -v vs="$v_size" \
  'BEGIN { printf "speedup: %.2fx wall, %.2fx cpu   size ratio spindle/venv-pack: %.3f\n", vw/sw, vc/sc, ss/vs }'
echo "fingerprint of the unchanged env: ${fp}s"
