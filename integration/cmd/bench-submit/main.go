// Command bench-submit measures what a user waits for (make bench-submit):
// submit to published scheduler address, address to N workers in the Dask
// cluster (as the scheduler sees them: a distributed.Client's
// wait_for_workers, and as `spindle containers` reports them ready), and
// the application master's peak memory, over a few runs on the local
// cluster (or HADOOP_CONF_DIR's). It prints one line per run and a summary.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/integration/cluster"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

func main() {
	bin := flag.String("binary", "bin/spindle", "the spindle binary (make build)")
	runs := flag.Int("runs", 3, "applications to submit, one after the other")
	workers := flag.Int("workers", 2, "workers per application")
	packed := flag.Bool("packed", true, "ship the venv as a packed environment (else PATH to the local venv)")
	flag.Parse()
	if err := run(*bin, *runs, *workers, *packed); err != nil {
		fmt.Fprintln(os.Stderr, "bench-submit:", err)
		os.Exit(1)
	}
}

func run(bin string, runs, workers int, packed bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bin, _ = filepath.Abs(bin)
	stop, err := cluster.UseOrStart(ctx)
	if err != nil {
		return err
	}
	defer stop()
	py, err := pyenv.Python()
	if err != nil {
		return err
	}
	venv := filepath.Dir(filepath.Dir(py))
	env := fmt.Sprintf("environment: %s\n", venv)
	svcEnv := ""
	if !packed {
		env, svcEnv = "", fmt.Sprintf("  env: {PATH: %q}\n", filepath.Dir(py)+":/usr/bin:/bin")
	}
	spec := fmt.Sprintf("name: bench-submit\n%sscheduler:\n  resources: {memory: 512MiB}\n%sworkers:\n  - name: worker\n    instances: %d\n    resources: {memory: 512MiB}\n%s",
		env, svcEnv, workers, svcEnv)
	dir, _ := os.MkdirTemp("", "bench-submit-")
	defer os.RemoveAll(dir)
	specPath := filepath.Join(dir, "spec.yaml")
	os.WriteFile(specPath, []byte(spec), 0o644)

	var toAddr, toWorkers, toReady []time.Duration
	var peak []int64
	for i := 0; i < runs; i++ {
		// The client is started (and has imported distributed) before
		// the clock starts, so neither figure includes Python's start.
		cl, err := startClient(ctx, py, workers)
		if err != nil {
			return err
		}
		t0 := time.Now()
		out, err := spindle(ctx, bin, "submit", "--wait", "--json", specPath)
		if err != nil {
			cl.close()
			return err
		}
		var sub struct {
			AppID   string `json:"app_id"`
			Address string `json:"scheduler_address"`
		}
		if err := json.Unmarshal(out, &sub); err != nil {
			cl.close()
			return err
		}
		a := time.Since(t0)
		t1 := time.Now()
		joined := make(chan error, 1)
		go func() { joined <- cl.waitWorkers(sub.Address) }()
		ready, err := untilReady(ctx, bin, sub.AppID, workers)
		if err == nil {
			err = <-joined
		}
		cl.close()
		if err != nil {
			return err
		}
		w := cl.joined.Sub(t1)
		rss := amPeakRSS(sub.AppID)
		if _, err := spindle(ctx, bin, "stop", "--wait", sub.AppID); err != nil {
			return err
		}
		fmt.Printf("run %d %s: submit→address %.2fs, address→%d workers in the scheduler %.2fs (ready in spindle containers %.2fs), AM peak RSS %d KiB\n",
			i+1, sub.AppID, a.Seconds(), workers, w.Seconds(), ready.Sub(t1).Seconds(), rss)
		toAddr, toWorkers, toReady, peak = append(toAddr, a), append(toWorkers, w), append(toReady, ready.Sub(t1)), append(peak, rss)
	}
	fmt.Printf("median of %d: submit→address %.2fs, address→%d workers in the scheduler %.2fs (ready in spindle containers %.2fs), AM peak RSS %d KiB (packed env: %v)\n",
		runs, median(toAddr).Seconds(), workers, median(toWorkers).Seconds(), median(toReady).Seconds(), peak[len(peak)/2], packed)
	return nil
}

// untilReady polls `spindle containers` until n workers are ready and
// returns when it saw them.
func untilReady(ctx context.Context, bin, app string, n int) (time.Time, error) {
	for {
		out, err := spindle(ctx, bin, "containers", "--json", app)
		if err != nil {
			return time.Time{}, err
		}
		var cs []appmaster.ContainerStatus
		if err := json.Unmarshal(out, &cs); err != nil {
			return time.Time{}, fmt.Errorf("spindle containers --json: %w", err)
		}
		ready := 0
		for _, c := range cs {
			if c.Service == "worker" && c.State == "ready" {
				ready++
			}
		}
		if ready == n {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("waiting for %d ready workers of %s: %w", n, app, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// client is a Python distributed.Client waiting for the scheduler address
// on its stdin.
type client struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stderr bytes.Buffer
	joined time.Time // when it printed that the workers joined
}

const clientScript = `
import sys
from distributed import Client
print("imported", flush=True)
address = sys.stdin.readline().strip()
with Client(address, timeout=120) as c:
    c.wait_for_workers(int(sys.argv[1]), timeout=600)
    print("joined", flush=True)
`

func startClient(ctx context.Context, py string, workers int) (*client, error) {
	c := &client{cmd: exec.CommandContext(ctx, py, "-c", clientScript, strconv.Itoa(workers))}
	c.cmd.Stderr = &c.stderr
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the Dask client: %w", err)
	}
	c.lines = bufio.NewScanner(out)
	if err := c.expect("imported"); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *client) expect(line string) error {
	for c.lines.Scan() {
		if c.lines.Text() == line {
			return nil
		}
	}
	return fmt.Errorf("the Dask client ended before printing %q: %v\n%s", line, c.cmd.Wait(), c.stderr.String())
}

// waitWorkers gives the client the address and returns once the
// scheduler has the workers.
func (c *client) waitWorkers(address string) error {
	if _, err := io.WriteString(c.stdin, address+"\n"); err != nil {
		return fmt.Errorf("give the Dask client the address: %w", err)
	}
	if err := c.expect("joined"); err != nil {
		return err
	}
	c.joined = time.Now()
	return nil
}

func (c *client) close() {
	c.stdin.Close()
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
	_ = c.cmd.Wait()
}

// amPeakRSS reads VmHWM of the application's `spindle appmaster` process
// (the local cluster runs it on this machine; 0 elsewhere).
func amPeakRSS(appID string) int64 {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmd), "appmaster") || !strings.HasSuffix(strings.Split(string(cmd), "\x00")[0], "spindle") {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if !strings.Contains(cwd, strings.TrimPrefix(appID, "application_")) {
			continue
		}
		st, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		for _, l := range strings.Split(string(st), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				f := strings.Fields(l)
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func spindle(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("spindle %s: %w\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes(), nil
}
