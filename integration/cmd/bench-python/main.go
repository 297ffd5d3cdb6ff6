// Command bench-python measures what a dask-spindle user waits for (make
// bench-python): YarnCluster(...) until Client(cluster) is connected, and
// cluster.scale(4) until the scheduler has 4 workers, over a few runs on
// the local cluster (or HADOOP_CONF_DIR's). It prints one line per run and
// the medians. The Python side is python/ from this checkout with the
// spindle binary given; client and workers use the test venv with dask.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spindle-yarn/spindle/integration/cluster"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// script runs in the venv's Python; the clock starts once dask_spindle and
// distributed are imported, so no figure includes Python's start.
const script = `
import statistics, sys, time
from dask_spindle import YarnCluster
from distributed import Client

env, runs = sys.argv[1], int(sys.argv[2])
client_s, scale_s = [], []
for i in range(runs):
    t0 = time.perf_counter()
    cluster = YarnCluster(environment="venv://" + env, n_workers=0, worker_memory="512MiB",
                          scheduler_memory="512MiB", name="bench-python")
    client = Client(cluster)
    t1 = time.perf_counter()
    cluster.scale(4)
    client.wait_for_workers(4, timeout=600)
    t2 = time.perf_counter()
    app = cluster.app_id
    client.close()
    cluster.close()
    t3 = time.perf_counter()
    client_s.append(t1 - t0)
    scale_s.append(t2 - t1)
    print(f"run {i + 1} {app}: YarnCluster() to Client(cluster) connected {t1 - t0:.2f}s, "
          f"scale(4) to 4 workers in the scheduler {t2 - t1:.2f}s, close {t3 - t2:.2f}s", flush=True)
print(f"median of {runs}: YarnCluster() to Client(cluster) connected {statistics.median(client_s):.2f}s, "
      f"scale(4) to 4 workers in the scheduler {statistics.median(scale_s):.2f}s")
`

func main() {
	bin := flag.String("binary", "bin/spindle", "the spindle binary (make build)")
	runs := flag.Int("runs", 3, "clusters to start, one after the other")
	flag.Parse()
	if err := run(*bin, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench-python:", err)
		os.Exit(1)
	}
}

func run(bin string, runs int) error {
	if runs < 1 || runs > 100 {
		return fmt.Errorf("--runs %d: want 1 to 100", runs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("the spindle binary (make build): %w", err)
	}
	stop, err := cluster.UseOrStart(ctx)
	if err != nil {
		return err
	}
	defer stop()
	py, err := pyenv.Python()
	if err != nil {
		return err
	}
	src, err := filepath.Abs("python")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, py, "-c", script, filepath.Dir(filepath.Dir(py)), strconv.Itoa(runs))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+src, "SPINDLE_BINARY="+bin)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the Python benchmark: %w", err)
	}
	return nil
}
