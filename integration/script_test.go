package integration

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// scriptSpec is a spec with one worker and a client whose python is the
// test venv's (the script itself comes from --script).
func scriptSpec(t *testing.T, name string) string {
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	y := fmt.Sprintf(`name: %s
scheduler:
  resources: {memory: 512MiB}
  env: {PATH: %q}
workers:
  - name: worker
    instances: 1
    resources: {memory: 512MiB}
    env: {PATH: %q}
client:
  resources: {memory: 256MiB}
  env: {PATH: %q}
`, name, path, path, path)
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeScript(t *testing.T, name, body string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The script connects with a plain Client() (DASK_SCHEDULER_ADDRESS), so
// the sum is computed by the application's own worker.
const sumScript = `import os, sys
from distributed import Client
client = Client(timeout=60)
client.wait_for_workers(1, timeout=180)
print("ARGS " + " ".join(os.fsencode(a).hex() for a in sys.argv[1:]))
print("SUM %d" % client.submit(sum, range(1000)).result())
client.close()
`

const failScript = `import sys
print("about to fail", file=sys.stderr)
def f():
    raise ValueError("boom")
f()
`

// TestSubmitScript: `submit --script` runs the script inside the
// application. Exit 0 ends it SUCCEEDED (wait exits 0), its output in
// `logs --service client`, its arguments byte for byte; a script raising
// ends it FAILED with the traceback's last line first in the diagnostics,
// and wait exits 7.
func TestSubmitScript(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	args := []string{"plain", "two words", `$(echo no) "q" 'x' \n {{HOME}} ; <LOG_DIR>`, "--flag=1", "ünïcode"}

	submit := func(name, script string, scriptArgs ...string) string {
		a := append([]string{"submit", "--binary", bin, scriptSpec(t, name), "--script", writeScript(t, name+".py", script), "--"}, scriptArgs...)
		r := spindle(t, ctx, a...)
		if r.code != 0 {
			t.Fatalf("submit --script %s: exit %d", name, r.code)
		}
		return strings.TrimSpace(r.stdout)
	}
	ok := submit("script-ok", sumScript, args...)
	defer spindle(t, context.Background(), "kill", ok)
	bad := submit("script-fail", failScript)
	defer spindle(t, context.Background(), "kill", bad)

	var wg sync.WaitGroup
	codes := map[string]result{}
	var mu sync.Mutex
	for _, app := range []string{ok, bad} {
		wg.Add(1)
		go func(app string) {
			defer wg.Done()
			r := spindle(t, ctx, "wait", app, "--for", "finished", "--timeout", "8m")
			mu.Lock()
			codes[app] = r
			mu.Unlock()
		}(app)
	}
	wg.Wait()

	if r := codes[ok]; r.code != 0 {
		t.Errorf("wait --for finished on the script that exits 0: exit %d, want 0\n%s", r.code, r.stderr)
	} else if s := statusJSON(t, ctx, ok); s.FinalStatus != "SUCCEEDED" || !strings.Contains(s.Diagnostics, "the script script-ok.py exited 0") {
		t.Errorf("status of the succeeded script's application: %+v", s)
	} else {
		r := spindle(t, ctx, "logs", ok, "--service", "client", "--file", "stdout", "--timeout", "3m")
		// The arguments' bytes, in hex: exactly what was given.
		hexArgs := make([]string, len(args))
		for i, a := range args {
			hexArgs[i] = hex.EncodeToString([]byte(a))
		}
		wantArgs := strings.Join(hexArgs, " ")
		if r.code != 0 || !strings.Contains(r.stdout, "SUM 499500") || !strings.Contains(r.stdout, "ARGS "+wantArgs+"\n") {
			t.Errorf("logs --service client: exit %d; want the script's output with SUM 499500 and ARGS %s:\n%s", r.code, wantArgs, r.stdout)
		}
	}

	if r := codes[bad]; r.code != 7 {
		t.Errorf("wait --for finished on the script that raises: exit %d, want 7\n%s", r.code, r.stderr)
	}
	s := statusJSON(t, ctx, bad)
	cause := regexp.MustCompile(`the script script-fail\.py exited with code 1: ValueError: boom \(its stderr, last lines: about to fail \| Traceback`)
	if s.FinalStatus != "FAILED" || !cause.MatchString(s.Diagnostics) {
		t.Errorf("status of the failed script's application: want FAILED with the cause first, got %+v", s)
	}
	if r := spindle(t, ctx, "status", bad); !strings.Contains(r.stdout, "ValueError: boom") {
		t.Errorf("spindle status does not show ValueError: boom:\n%s", r.stdout)
	}
}

// followScript waits until SPINDLE_SCHEDULER_FILE names another scheduler
// than DASK_SCHEDULER_ADDRESS (the test kills the first), then computes
// with a Client made from the file.
const followScript = `import json, os, sys, time
from distributed import Client
path, first = os.environ["SPINDLE_SCHEDULER_FILE"], os.environ["DASK_SCHEDULER_ADDRESS"]
print("FIRST", first, flush=True)
deadline = time.monotonic() + 480
while json.load(open(path))["address"] == first:
    if time.monotonic() > deadline:
        sys.exit("the scheduler file never named another scheduler than " + first)
    time.sleep(1)
with Client(scheduler_file=path, timeout=120) as c:
    c.wait_for_workers(1, timeout=300)
    print("SECOND", c.scheduler.address, "SUM", c.submit(sum, range(100)).result(), flush=True)
`

// TestScriptFollowsARestartedScheduler: the scheduler is killed while the
// script runs; once the application master has a new one, the script's
// SPINDLE_SCHEDULER_FILE names it, and a Client made from it computes
// with the application's worker (which rejoined).
func TestScriptFollowsARestartedScheduler(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, scriptSpec(t, "script-follow"),
		"--script", writeScript(t, "follow.py", followScript))
	if r.code != 0 {
		t.Fatalf("submit --wait --script: exit %d", r.code)
	}
	var sub submitted
	mustJSON(t, r.stdout, &sub)
	defer spindle(t, context.Background(), "kill", sub.AppID)
	var sched string
	eventually(t, 4*time.Minute, "a ready worker and a running script", func() (bool, string) {
		cs := containers(t, ctx, sub.AppID)
		for _, c := range cs {
			if c.Service == "scheduler" && c.State == "ready" {
				sched = c.ID
			}
		}
		return sched != "" && count(cs, "worker", "ready") == 1 && count(cs, "client", "running")+count(cs, "client", "ready") == 1, summary(cs)
	})
	killProcess(t, sched, "dask scheduler")
	if r := spindle(t, ctx, "wait", sub.AppID, "--for", "finished", "--timeout", "9m"); r.code != 0 {
		t.Fatalf("wait --for finished: exit %d, want 0 (the script computed after the restart)\n%s", r.code, r.stderr)
	}
	r = spindle(t, ctx, "logs", sub.AppID, "--service", "client", "--file", "stdout", "--timeout", "3m")
	first := regexp.MustCompile(`FIRST (\S+)`).FindStringSubmatch(r.stdout)
	second := regexp.MustCompile(`SECOND (\S+) SUM 4950\n`).FindStringSubmatch(r.stdout)
	if first == nil || second == nil || first[1] != sub.Address || second[1] == first[1] {
		t.Fatalf("the script's output: want FIRST %s, then SECOND <another address> SUM 4950:\n%s", sub.Address, r.stdout)
	}
}
