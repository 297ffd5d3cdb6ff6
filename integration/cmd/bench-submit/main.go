// Command bench-submit measures what a user waits for (make bench-submit):
// submit to published scheduler address, address to N ready workers, and
// the application master's peak memory, over a few runs on the local
// cluster (or HADOOP_CONF_DIR's). It prints one line per run and a summary.
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
	if os.Getenv("HADOOP_CONF_DIR") == "" {
		c, err := cluster.Start(ctx, cluster.Options{})
		if err != nil {
			return err
		}
		defer c.Stop()
		os.Setenv("HADOOP_CONF_DIR", c.ConfDir)
	}
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

	var toAddr, toWorkers []time.Duration
	var peak []int64
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		out, err := spindle(ctx, bin, "submit", "--wait", "--json", specPath)
		if err != nil {
			return err
		}
		var sub struct {
			AppID string `json:"app_id"`
		}
		if err := json.Unmarshal(out, &sub); err != nil {
			return err
		}
		a := time.Since(t0)
		for {
			out, err := spindle(ctx, bin, "containers", "--json", sub.AppID)
			if err != nil {
				return err
			}
			var cs []appmaster.ContainerStatus
			json.Unmarshal(out, &cs)
			n := 0
			for _, c := range cs {
				if c.Service == "worker" && c.State == "ready" {
					n++
				}
			}
			if n == workers {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		w := time.Since(t0) - a
		rss := amPeakRSS(sub.AppID)
		if _, err := spindle(ctx, bin, "stop", "--wait", sub.AppID); err != nil {
			return err
		}
		fmt.Printf("run %d %s: submit→address %.2fs, address→%d workers ready %.2fs, AM peak RSS %d KiB\n",
			i+1, sub.AppID, a.Seconds(), workers, w.Seconds(), rss)
		toAddr, toWorkers, peak = append(toAddr, a), append(toWorkers, w), append(peak, rss)
	}
	fmt.Printf("median of %d: submit→address %.2fs, address→%d workers %.2fs, AM peak RSS %d KiB (packed env: %v)\n",
		runs, median(toAddr).Seconds(), workers, median(toWorkers).Seconds(), peak[len(peak)/2], packed)
	return nil
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
