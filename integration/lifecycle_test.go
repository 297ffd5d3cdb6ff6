package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/appmaster"
)

// eventually polls cond until it holds or the deadline passes, then fails
// the test saying what it waited for.
func eventually(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; last seen: %s", d, what, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// containers lists an application's containers through `spindle containers --all --json`.
func containers(t *testing.T, ctx context.Context, app string) []appmaster.ContainerStatus {
	t.Helper()
	r := spindle(t, ctx, "containers", "--all", "--json", app)
	if r.code != 0 {
		t.Fatalf("containers %s: exit %d: %s", app, r.code, r.stderr)
	}
	var cs []appmaster.ContainerStatus
	mustJSON(t, r.stdout, &cs)
	return cs
}

func count(cs []appmaster.ContainerStatus, service, state string) int {
	n := 0
	for _, c := range cs {
		if c.Service == service && c.State == state {
			n++
		}
	}
	return n
}

func summary(cs []appmaster.ContainerStatus) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Service+":"+c.State)
	}
	return strings.Join(parts, " ")
}

// killProcess kills (SIGKILL) the Dask process of a container: the runtime
// runs it with the container's working dir as cwd.
func killProcess(t *testing.T, containerID, program string) {
	t.Helper()
	pid, args := findProcess(func(args []string, cwd string) bool {
		return strings.Contains(cwd, containerID) && strings.Contains(strings.Join(args, " "), program) && filepath.Base(args[0]) != "spindle"
	})
	if pid == 0 {
		t.Fatalf("no %q process found for %s", program, containerID)
	}
	t.Logf("killing pid %d (%s) of %s", pid, strings.Join(args, " "), containerID)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// findProcess returns the first process whose command line and working
// folder match, and its command line; 0 when none does.
func findProcess(match func(args []string, cwd string) bool) (int, []string) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if match(args, cwd) {
			var pid int
			fmt.Sscan(e.Name(), &pid)
			return pid, args
		}
	}
	return 0, nil
}

// TestDaskClusterLifecycle: a worker's process dies and is replaced; the
// pool scales up and down (down through Dask's retire_workers); the
// scheduler dies, the AM restarts it and rewrites the scheduler file, the
// workers reconnect, and a client reconnects through the file; the control
// API refuses calls without the secret; stop ends it SUCCEEDED.
func TestDaskClusterLifecycle(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, daskSpec(t, 2))
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, r.stdout, &sub)
	app := sub.AppID
	defer spindle(t, context.Background(), "kill", app)

	readyWorkers := func(n int) func() (bool, string) {
		return func() (bool, string) {
			cs := containers(t, ctx, app)
			return count(cs, "worker", "ready") == n, summary(cs)
		}
	}
	eventually(t, 3*time.Minute, "2 ready workers", readyWorkers(2))

	// A worker's process dies: a new container replaces it.
	var victim string
	for _, c := range containers(t, ctx, app) {
		if c.Service == "worker" && c.State == "ready" {
			victim = c.ID
			break
		}
	}
	killProcess(t, victim, "worker")
	eventually(t, 3*time.Minute, "the killed worker replaced", func() (bool, string) {
		cs := containers(t, ctx, app)
		done := false
		for _, c := range cs {
			done = done || (c.ID == victim && c.State == "completed")
		}
		return done && count(cs, "worker", "ready") == 2, summary(cs)
	})

	// Scale up to 3, then down to 1: two containers are released.
	if r := spindle(t, ctx, "scale", app, "--workers", "3"); r.code != 0 {
		t.Fatalf("scale 3: exit %d", r.code)
	}
	eventually(t, 3*time.Minute, "3 ready workers", readyWorkers(3))
	if got := daskSum(t, ctx, sub.Address, 3); got != wantSum {
		t.Fatalf("sum with 3 workers = %s", got)
	}
	if r := spindle(t, ctx, "scale", app, "--workers", "1"); r.code != 0 {
		t.Fatalf("scale 1: exit %d", r.code)
	}
	// Workers stopped by a scale down end "retired", not as failures.
	eventually(t, 3*time.Minute, "1 worker left, 2 retired", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 1 && count(cs, "worker", "retired") == 2, summary(cs)
	})

	// The scheduler dies: the AM restarts it elsewhere, rewrites the
	// scheduler file, the worker follows, and a client finds it by the file.
	var sched string
	for _, c := range containers(t, ctx, app) {
		if c.Service == "scheduler" && c.State == "ready" {
			sched = c.ID
		}
	}
	killProcess(t, sched, "scheduler")
	file := filepath.Join(t.TempDir(), "scheduler.json")
	eventually(t, 3*time.Minute, "a new scheduler address in the scheduler file", func() (bool, string) {
		r := spindle(t, ctx, "address", app, "--scheduler-file", file)
		b, _ := os.ReadFile(file)
		var f struct{ Address string }
		_ = json.Unmarshal(b, &f)
		return r.code == 0 && f.Address != "" && f.Address != sub.Address, string(b)
	})
	eventually(t, 3*time.Minute, "the worker to rejoin the new scheduler", readyWorkers(1))
	if got := daskSum(t, ctx, "file:"+file, 1); got != wantSum {
		t.Fatalf("sum through the rewritten scheduler file = %s", got)
	}

	// The control API refuses callers without the application's secret.
	var status struct {
		Host string `json:"am_host"`
		Port int    `json:"am_rpc_port"`
	}
	mustJSON(t, spindle(t, ctx, "status", "--json", app).stdout, &status)
	base := fmt.Sprintf("http://%s:%d", status.Host, status.Port)
	for _, auth := range []string{"", "Bearer 00112233445566778899aabbccddeeff"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/stop", strings.NewReader("{}"))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("control API at %s: %v", base, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("stop with Authorization %q: %s, want 401", auth, resp.Status)
		}
	}

	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
	r = spindle(t, ctx, "status", "--json", app)
	if !strings.Contains(r.stdout, `"FINISHED"`) || !strings.Contains(r.stdout, `"SUCCEEDED"`) {
		t.Fatalf("after stop: %s", r.stdout)
	}
}

// TestKilledApplication: kill ends it KILLED and wait says so with exit 8.
func TestKilledApplication(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--binary", bin, daskSpec(t, 1))
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	app := strings.TrimSpace(r.stdout)
	if r := spindle(t, ctx, "wait", app, "--for", "address", "--timeout", "2m"); r.code != 0 {
		t.Fatalf("wait address: exit %d", r.code)
	}
	fs := hdfsClient(t, hadoop.Get(t).ConfDir)
	staging := "/user/" + fsUser() + "/.spindle/staging/" + app
	if _, err := fs.Stat(staging); err != nil {
		t.Fatalf("staging folder while running: %v", err)
	}
	if r := spindle(t, ctx, "kill", app); r.code != 0 {
		t.Fatalf("kill: exit %d", r.code)
	}
	// YARN killed the AM, so spindle kill cleans up after it.
	if _, err := fs.Stat(staging); !os.IsNotExist(err) {
		t.Fatalf("staging folder after kill: %v, want it removed", err)
	}
	if r := spindle(t, ctx, "address", app); r.code != 5 || !strings.Contains(r.stderr, "KILLED") {
		t.Fatalf("address after kill: exit %d, want 5 saying KILLED", r.code)
	}
	r = spindle(t, ctx, "wait", app, "--for", "finished", "--timeout", "1m")
	if r.code != 8 || !strings.Contains(r.stderr, "KILLED") {
		t.Fatalf("wait on a killed application: exit %d, stderr %q; want 8 and KILLED", r.code, r.stderr)
	}
}

// TestImpossibleRequests fail fast with the reason, never hang.
func TestImpossibleRequests(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	big := filepath.Join(t.TempDir(), "big.yaml")
	os.WriteFile(big, []byte("workers: [{instances: 1, resources: {memory: 100GiB}}]\n"), 0o644)
	start := time.Now()
	r := spindle(t, ctx, "submit", "--wait", "--binary", bin, big)
	// The bound catches a hang (the context allows 3 minutes), not a slow
	// machine.
	if r.code != 2 || !strings.Contains(r.stderr, "yarn.scheduler.maximum-allocation-mb") || time.Since(start) > 2*time.Minute {
		t.Fatalf("100GiB worker: exit %d after %s, stderr %q; want exit 2 naming the limit", r.code, time.Since(start), r.stderr)
	}

	// A node label the cluster does not have: YARN refuses the scheduler's
	// ask; submit --wait reports YARN's reason at once.
	label := filepath.Join(t.TempDir(), "label.yaml")
	os.WriteFile(label, []byte("scheduler: {node_label: no-such-label}\nworkers: [{instances: 1}]\n"), 0o644)
	start = time.Now()
	r = spindle(t, ctx, "submit", "--wait", "--timeout", "2m", "--binary", bin, label)
	if r.code != 7 || !strings.Contains(strings.ToLower(r.stderr), "label") || time.Since(start) > 90*time.Second {
		t.Fatalf("unknown node label: exit %d after %s, stderr %q; want exit 7 with YARN's reason", r.code, time.Since(start), r.stderr)
	}
}
