package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// amStatus is the application master's own view (GET /v1/status), with
// each service's failure count.
func amStatus(t *testing.T, ctx context.Context, app string) *appmaster.Status {
	t.Helper()
	cfg, err := conf.Load(hadoop.Get(t).ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	am, err := c.Control(ctx, app)
	if err != nil {
		t.Fatalf("control API of %s: %v", app, err)
	}
	st, err := am.Status(ctx)
	if err != nil {
		t.Fatalf("status of %s: %v", app, err)
	}
	return st
}

func failures(st *appmaster.Status, service string) int {
	for _, s := range st.Services {
		if s.Name == service {
			return s.Failures
		}
	}
	return -1
}

// workerIDs is the sorted ids of the pool's containers in state.
func workerIDs(cs []appmaster.ContainerStatus, pool, state string) []string {
	var ids []string
	for _, c := range cs {
		if c.Service == pool && c.State == state {
			ids = append(ids, c.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

// daskWorkerNames is the sorted names of the workers the scheduler at addr
// lists, once n have joined.
func daskWorkerNames(t *testing.T, ctx context.Context, addr string, n int) []string {
	t.Helper()
	script := `
import sys, json
from distributed import Client
with Client(sys.argv[1], timeout=120) as c:
    c.wait_for_workers(int(sys.argv[2]), timeout=300)
    print(json.dumps(sorted(str(w["name"]) for w in c.scheduler_info(n_workers=-1)["workers"].values())))
`
	out, err := exec.CommandContext(ctx, pyenv.DaskPython(t), "-c", script, addr, fmt.Sprint(n)).CombinedOutput()
	if err != nil {
		t.Fatalf("dask client of %s: %v\n%s", addr, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var names []string
	mustJSON(t, lines[len(lines)-1], &names)
	return names
}

// TestWorkersSurviveASlowSchedulerRestart: the scheduler process is killed
// and its replacement is held back for 30 s (the scheduler's command is a
// wrapper that sleeps while a marker file exists), far longer than Dask's
// workers take to exit once their scheduler is gone. The worker containers
// stay (same containers, no failure counted), join the new scheduler, and
// the application goes on.
func TestWorkersSurviveASlowSchedulerRestart(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	hold := filepath.Join(t.TempDir(), "hold-scheduler")
	const holdFor = 30 * time.Second
	// Fault injection, not a wait: the replacement scheduler really starts
	// late. The first scheduler starts before the marker exists.
	wrapper := fmt.Sprintf(`if [ -e "$HOLD" ]; then echo "holding the scheduler back for %ds" >&2; sleep %d; fi; exec dask scheduler "$@"`,
		int(holdFor.Seconds()), int(holdFor.Seconds()))
	cmd, _ := json.Marshal([]string{"sh", "-c", wrapper, "sh"})
	spec := filepath.Join(t.TempDir(), "spec.yaml")
	y := fmt.Sprintf(`name: slow-scheduler-restart
scheduler:
  command: %s
  resources: {memory: 512MiB, vcores: 1}
  env: {PATH: %q, HOLD: %q}
workers:
  - name: worker
    instances: 2
    resources: {memory: 512MiB, vcores: 1}
    env: {PATH: %q}
`, cmd, path, hold, path)
	if err := os.WriteFile(spec, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	sub := submitWait(t, ctx, "--binary", bin, spec)
	app, address := sub.AppID, sub.Address
	defer spindle(t, context.Background(), "kill", app)

	eventually(t, 4*time.Minute, "2 ready workers", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 2, summary(cs)
	})
	cs := containers(t, ctx, app)
	workers := workerIDs(cs, "worker", "ready")
	var sched string
	for _, c := range cs {
		if c.Service == "scheduler" && c.State == "ready" {
			sched = c.ID
		}
	}
	workerFailures := failures(amStatus(t, ctx, app), "worker")

	if err := os.WriteFile(hold, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	killProcess(t, sched, "dask scheduler")
	var newAddr string
	eventually(t, 5*time.Minute, "a new scheduler address", func() (bool, string) {
		r := spindle(t, ctx, "address", app)
		newAddr = strings.TrimSpace(r.stdout)
		return r.code == 0 && newAddr != "" && newAddr != address, fmt.Sprintf("exit %d %q", r.code, newAddr)
	})
	if took := time.Since(killed); took < holdFor {
		t.Fatalf("the new scheduler came %s after the kill: it was not held back for %s", took, holdFor)
	}
	eventually(t, 5*time.Minute, "both workers ready again", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 2, summary(cs)
	})

	cs = containers(t, ctx, app)
	if got := workerIDs(cs, "worker", "ready"); !reflect.DeepEqual(got, workers) {
		t.Fatalf("ready workers after the restart %v, want the same containers %v (%s)", got, workers, summary(cs))
	}
	if done := workerIDs(cs, "worker", "completed"); len(done) > 0 {
		t.Fatalf("worker containers ended during the scheduler restart: %v (%s)", done, summary(cs))
	}
	st := amStatus(t, ctx, app)
	if got := failures(st, "worker"); got != workerFailures {
		t.Fatalf("worker pool failures %d after the scheduler restart, want %d as before", got, workerFailures)
	}
	if st.Scheduler.Address != newAddr {
		t.Fatalf("AM reports the scheduler at %s, the published address is %s", st.Scheduler.Address, newAddr)
	}
	if got := daskWorkerNames(t, ctx, newAddr, 2); !reflect.DeepEqual(got, workers) {
		t.Fatalf("the new scheduler lists workers %v, want %v", got, workers)
	}
	r := spindle(t, ctx, "status", "--json", app)
	if !strings.Contains(r.stdout, `"RUNNING"`) {
		t.Fatalf("application not running after the scheduler restart:\n%s", r.stdout)
	}
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
	r = spindle(t, ctx, "status", "--json", app)
	if !strings.Contains(r.stdout, `"SUCCEEDED"`) {
		t.Fatalf("after stop: %s", r.stdout)
	}
}

// TestWorkerThatCannotJoinIsNotReady: a worker whose process runs but never
// reaches the scheduler (its command sends it to an address where nothing
// listens) is not shown ready, while a worker that joined is, with the
// Dask address its scheduler lists.
func TestWorkerThatCannotJoinIsNotReady(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	// Replaces the scheduler address the runtime passes with one where
	// nothing listens. Without a nanny the worker keeps trying (a nanny
	// gives up after 30 s and the container ends).
	lost, _ := json.Marshal([]string{"sh", "-c",
		`n=$#; for a in "$@"; do case "$a" in tcp://*) a=tcp://127.0.0.1:9 ;; esac; set -- "$@" "$a"; done; shift "$n"; exec dask worker "$@"`, "sh"})
	spec := filepath.Join(t.TempDir(), "spec.yaml")
	y := fmt.Sprintf(`name: lost-worker
scheduler: {resources: {memory: 512MiB}, env: {PATH: %q}}
workers:
  - {name: good, instances: 1, resources: {memory: 512MiB}, env: {PATH: %q}}
  - {name: lost, instances: 1, resources: {memory: 512MiB}, env: {PATH: %q}, command: %s, args: [--no-nanny]}
`, path, path, path, lost)
	if err := os.WriteFile(spec, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	sub := submitWait(t, ctx, "--binary", bin, spec)
	app, address := sub.AppID, sub.Address
	defer spindle(t, context.Background(), "kill", app)

	// The lost worker's Dask process runs and says it is trying to reach
	// the wrong address (its stderr is the container's): long after a
	// runtime that reported ready at process start would have.
	var lostID string
	eventually(t, 4*time.Minute, "the good worker ready and the lost one trying to connect", func() (bool, string) {
		cs := containers(t, ctx, app)
		for _, c := range cs {
			if c.Service == "lost" && c.State != "completed" {
				lostID = c.ID
			}
		}
		return count(cs, "good", "ready") == 1 && lostID != "" &&
			waitingForPort9.MatchString(daskStderr(lostID)), summary(cs)
	})
	cs := containers(t, ctx, app)
	for _, c := range cs {
		switch {
		case c.ID == lostID && (c.State == "ready" || c.Address != ""):
			t.Fatalf("the worker that cannot reach the scheduler is %s at %q; want not ready", c.State, c.Address)
		case c.Service == "good" && c.State == "ready" && !strings.HasPrefix(c.Address, "tcp://"):
			t.Fatalf("ready worker %s has address %q, want its Dask tcp://host:port", c.ID, c.Address)
		}
	}
	var good string
	for _, c := range cs {
		if c.Service == "good" && c.State == "ready" {
			good = c.ID
		}
	}
	if got := daskWorkerNames(t, ctx, address, 1); !reflect.DeepEqual(got, []string{good}) {
		t.Fatalf("the scheduler lists %v, want only the good worker %s", got, good)
	}
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
}

// waitingForPort9 is Dask's worker log line for a scheduler it cannot reach.
var waitingForPort9 = regexp.MustCompile(`Waiting to connect to:\s+tcp://127\.0\.0\.1:9\s`)

// daskStderr is what the Dask process of a container on this machine has
// written to its stderr so far ("" when it does not run yet).
func daskStderr(containerID string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		if !strings.Contains(cwd, containerID) || !strings.Contains(string(cmdline), "dask\x00worker") {
			continue
		}
		if f, err := os.Readlink(filepath.Join(p, "fd", "2")); err == nil {
			b, _ := os.ReadFile(f)
			return string(b)
		}
	}
	return ""
}
