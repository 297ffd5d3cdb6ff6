// Command demo is the README's main job: a Dask computation on YARN. With
// no HADOOP_CONF_DIR it starts the local Hadoop cluster first; it submits a
// Dask cluster with spindle, computes a sum on it from a real
// distributed.Client, prints the result, stops the application and, if it
// started one, the local cluster. Progress goes to stderr, the result to
// stdout.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/integration/cluster"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

func main() {
	bin := flag.String("binary", "bin/spindle", "the spindle binary (make build)")
	workers := flag.Int("workers", 2, "Dask workers")
	flag.Parse()
	if err := run(*bin, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func step(format string, a ...any) { fmt.Fprintf(os.Stderr, "==> "+format+"\n", a...) }

func run(bin string, workers int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%w (run `make build` first)", err)
	}
	if os.Getenv("HADOOP_CONF_DIR") == "" {
		step("no HADOOP_CONF_DIR: starting the local Hadoop cluster (HDFS + YARN)")
		t0 := time.Now()
		c, err := cluster.Start(ctx, cluster.Options{})
		if err != nil {
			return err
		}
		step("local cluster ready after %s", time.Since(t0).Round(100*time.Millisecond))
		defer func() {
			step("stopping the local Hadoop cluster")
			_ = c.Stop()
		}()
		os.Setenv("HADOOP_CONF_DIR", c.ConfDir)
	}
	step("HADOOP_CONF_DIR=%s", os.Getenv("HADOOP_CONF_DIR"))
	step("preparing a Python with dask, distributed, numpy and bokeh (cached after the first run)")
	py, err := pyenv.Python()
	if err != nil {
		return err
	}
	// spindle packs this venv, ships it through HDFS (once per content) and
	// activates it in every container.
	venv := filepath.Dir(filepath.Dir(py))
	spec := fmt.Sprintf(`name: spindle-demo
environment: %s
scheduler:
  resources: {memory: 512MiB, vcores: 1}
workers:
  - name: worker
    instances: %d
    resources: {memory: 1GiB, vcores: 1}
`, venv, workers)
	dir, err := os.MkdirTemp("", "spindle-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	specPath := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		return err
	}

	step("spindle submit --wait (%d workers)", workers)
	start := time.Now()
	out, err := spindle(ctx, bin, "submit", "--wait", "--json", specPath)
	if err != nil {
		return err
	}
	var sub struct {
		AppID     string `json:"app_id"`
		Address   string `json:"scheduler_address"`
		Dashboard string `json:"dashboard_address"`
	}
	if err := json.Unmarshal(out, &sub); err != nil {
		return fmt.Errorf("submit printed %q: %w", out, err)
	}
	step("%s: scheduler %s after %s; dashboard %s", sub.AppID, sub.Address, time.Since(start).Round(100*time.Millisecond), sub.Dashboard)
	defer func() {
		step("spindle stop --wait %s", sub.AppID)
		if _, err := spindle(context.Background(), bin, "stop", "--wait", sub.AppID); err != nil {
			fmt.Fprintln(os.Stderr, "demo: stop:", err)
		}
	}()

	step("computing on the cluster with distributed.Client")
	script := `
import sys, time
import dask.array as da
from distributed import Client
c = Client(sys.argv[1], timeout=60)
t = time.time()
c.wait_for_workers(int(sys.argv[2]), timeout=300)
print(f"{len(c.scheduler_info()['workers'])} workers up after {time.time()-t:.1f}s", file=sys.stderr)
x = da.random.default_rng(42).random((20_000, 2_000), chunks=(2_000, 2_000))
print(f"sum of arange(10_000_000) = {int(da.arange(10_000_000, chunks=1_000_000).sum().compute())}")
print(f"mean of a 20000x2000 random array = {float(x.mean().compute()):.4f}")
c.close()
`
	cmd := exec.CommandContext(ctx, py, "-c", script, sub.Address, fmt.Sprint(workers))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dask computation: %w", err)
	}
	return nil
}

func spindle(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("spindle %s: %w", strings.Join(args, " "), err)
	}
	return out.Bytes(), nil
}
