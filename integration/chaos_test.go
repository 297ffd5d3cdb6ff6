package integration

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// chaosClient is a user's script: it finds the scheduler through
// `spindle address --scheduler-file`, computes a sum of slow squares on the
// workers, and starts over whenever the scheduler it used went away (a
// restarted scheduler has lost its tasks, as with any Dask scheduler).
const chaosClient = `
import subprocess, sys, time
from distributed import Client
spindle, app, file, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def slow_square(i):
    import time
    time.sleep(0.25)
    return i * i

deadline = time.time() + 480
attempt = 0
while time.time() < deadline:
    attempt += 1
    try:
        subprocess.run([spindle, "address", app, "--scheduler-file", file], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        with Client(scheduler_file=file, timeout=30) as c:
            total = sum(c.gather(c.map(slow_square, range(n), key=["sq-%d-%d" % (attempt, i) for i in range(n)])))
        print("RESULT", total, "after", attempt, "attempts", flush=True)
        sys.exit(0)
    except Exception as e:
        print("attempt", attempt, "failed:", type(e).__name__, e, file=sys.stderr, flush=True)
        time.sleep(1)
sys.exit("no result within the deadline")
`

// processesIn lists the pids whose working directory lies in a folder of
// the application (container working dirs hold the application's id).
func processesIn(appID string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil || !strings.Contains(cwd, appID) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, e.Name()+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
	}
	return out
}

// killRuntime kills (SIGKILL) a container's `spindle` runtime, the parent
// of its Dask process.
func killRuntime(t *testing.T, containerID string) bool {
	t.Helper()
	pid, args := findProcess(func(args []string, cwd string) bool {
		return strings.Contains(cwd, containerID) && filepath.Base(args[0]) == "spindle"
	})
	if pid == 0 {
		return false
	}
	t.Logf("chaos: killing runtime pid %d (%s) of %s", pid, strings.Join(args, " "), containerID)
	return syscall.Kill(pid, syscall.SIGKILL) == nil
}

// TestChaos runs a Dask computation of known result while processes of the
// application die by SIGKILL at moments drawn from a seed (printed; set
// SPINDLE_CHAOS_SEED to replay): worker Dask processes, the scheduler, a
// worker's runtime. The result must be right, the pools whole again, every
// killed container accounted for, and after stop the final status
// SUCCEEDED with no process, HDFS file or local folder of the application
// left.
func TestChaos(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SPINDLE_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("SPINDLE_CHAOS_SEED=%q: want an unsigned integer", s)
		}
		seed = v
	}
	t.Logf("chaos seed %d (replay with SPINDLE_CHAOS_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Minute)
	defer cancel()
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	// Tasks lost with a killed worker are retried on the others; Dask's
	// default of 3 would fail a task that happened to be on three victims.
	y := fmt.Sprintf(`name: spindle-chaos
scheduler:
  resources: {memory: 512MiB, vcores: 1}
  max_restarts: 10
  env: {PATH: %q, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES: "50"}
workers:
  - name: worker
    instances: 3
    max_restarts: 30
    resources: {memory: 384MiB, vcores: 1}
    env: {PATH: %q}
`, path, path)
	specPath := filepath.Join(t.TempDir(), "chaos.yaml")
	if err := os.WriteFile(specPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	r := spindle(t, ctx, "submit", "--wait", "--binary", bin, specPath)
	if r.code != 0 {
		t.Fatalf("submit: exit %d: %s", r.code, r.stderr)
	}
	app := strings.Fields(r.stdout)[0]
	defer spindle(t, context.Background(), "kill", app)
	eventually(t, 4*time.Minute, "3 ready workers", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 3, summary(cs)
	})

	const tasks = 240
	want := 0
	for i := 0; i < tasks; i++ {
		want += i * i
	}
	var clientOut, clientErr bytes.Buffer
	client := exec.CommandContext(ctx, py, "-c", chaosClient, bin, app, filepath.Join(t.TempDir(), "scheduler.json"), strconv.Itoa(tasks))
	client.Stdout, client.Stderr = &clientOut, &clientErr
	if err := client.Start(); err != nil {
		t.Fatal(err)
	}
	clientDone := make(chan error, 1)
	go func() { clientDone <- client.Wait() }()

	// The chaos: up to six kills at random moments while the client
	// computes; at most two of the scheduler.
	killed := map[string]string{} // container id → what was killed
	schedulerKills := 0
	kills := 3 + rng.IntN(4)
chaos:
	for i := 0; i < kills; i++ {
		pause := time.Duration(1000+rng.IntN(7000)) * time.Millisecond
		select {
		case err := <-clientDone:
			clientDone <- err
			break chaos
		case <-time.After(pause):
		}
		var ready []string
		sched := ""
		for _, c := range containers(t, ctx, app) {
			if c.State != "ready" {
				continue
			}
			if c.Service == "scheduler" {
				sched = c.ID
			} else {
				ready = append(ready, c.ID)
			}
		}
		switch what := rng.IntN(3); {
		case what == 0 && sched != "" && schedulerKills < 2:
			schedulerKills++
			killProcess(t, sched, "scheduler")
			killed[sched] = "scheduler"
		case what == 1 && len(ready) > 0:
			victim := ready[rng.IntN(len(ready))]
			if killRuntime(t, victim) {
				killed[victim] = "worker runtime"
			}
		case len(ready) > 0:
			victim := ready[rng.IntN(len(ready))]
			killProcess(t, victim, "worker")
			killed[victim] = "worker"
		default:
			t.Logf("chaos: nothing ready to kill at kill %d", i)
		}
	}
	t.Logf("chaos: killed %v", killed)

	select {
	case err := <-clientDone:
		if err != nil {
			t.Fatalf("client: %v\nstdout: %s\nstderr: %s", err, clientOut.String(), clientErr.String())
		}
	case <-ctx.Done():
		t.Fatalf("client gave no result before the test's deadline\nstdout: %s\nstderr: %s", clientOut.String(), clientErr.String())
	}
	t.Logf("client stdout: %s\nclient stderr: %s", clientOut.String(), clientErr.String())
	if got := strings.Fields(clientOut.String()); len(got) < 2 || got[0] != "RESULT" || got[1] != strconv.Itoa(want) {
		t.Fatalf("client printed %q, want RESULT %d", clientOut.String(), want)
	}

	// Every killed container ended and was replaced: the pools are whole.
	eventually(t, 4*time.Minute, "a ready scheduler, 3 ready workers and every killed container completed", func() (bool, string) {
		cs := containers(t, ctx, app)
		done := 0
		for _, c := range cs {
			if _, ok := killed[c.ID]; ok && c.State == "completed" {
				done++
			}
		}
		return done == len(killed) && count(cs, "worker", "ready") == 3 && count(cs, "scheduler", "ready") == 1, summary(cs)
	})
	for _, c := range containers(t, ctx, app) {
		if what, ok := killed[c.ID]; ok && (c.ExitStatus == nil || *c.ExitStatus == 0) {
			t.Errorf("container %s (%s killed) completed with exit status 0 or none; a killed process is not a success", c.ID, what)
		}
	}

	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop --wait: exit %d: %s", r.code, r.stderr)
	}
	r = spindle(t, ctx, "status", "--json", app)
	if !strings.Contains(r.stdout, `"FINISHED"`) || !strings.Contains(r.stdout, `"SUCCEEDED"`) {
		t.Fatalf("after stop: %s, want FINISHED/SUCCEEDED", r.stdout)
	}
	eventually(t, 3*time.Minute, "no process of the application left", func() (bool, string) {
		ps := processesIn(app)
		return len(ps) == 0, strings.Join(ps, "; ")
	})
	fs := hdfsClient(t, hadoop.Get(t).ConfDir)
	for _, p := range []string{
		"/user/" + fsUser() + "/.spindle/staging/" + app,
		filepath.Dir(discovery.Path(fsUser(), app)),
	} {
		if _, err := fs.Stat(p); !os.IsNotExist(err) {
			t.Errorf("HDFS %s after stop: %v, want it removed", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("SPINDLE_HOME"), "apps", app)); !os.IsNotExist(err) {
		t.Errorf("local %s/apps/%s after stop: %v, want it removed", os.Getenv("SPINDLE_HOME"), app, err)
	}
}
