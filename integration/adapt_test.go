package integration

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// workerPool is the "worker" pool of the AM's status.
func workerPool(t *testing.T, ctx context.Context, app string) appmaster.ServiceStatus {
	t.Helper()
	for _, s := range amStatus(t, ctx, app).Services {
		if s.Name == "worker" {
			return s
		}
	}
	t.Fatalf("%s has no worker pool", app)
	return appmaster.ServiceStatus{}
}

// TestAdaptiveScaling: with `spindle adapt --min 1 --max 3`, a Dask client's
// many slow tasks grow the pool above 1, never past 3; once that client
// has closed and the cluster is idle, the application master shrinks the
// pool back to 1 on its own, and a dataset published before survives the
// scale down (the scheduler moved it off the retired workers).
func TestAdaptiveScaling(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sub := submitWait(t, ctx, "--binary", bin, daskSpec(t, 1))

	if r := spindle(t, ctx, "adapt", sub.AppID, "--min", "1", "--max", "3"); r.code != 0 {
		t.Fatalf("adapt: exit %d", r.code)
	}
	if r := spindle(t, ctx, "containers", sub.AppID); r.code != 0 || !strings.Contains(r.stdout, "adaptive 1..3, target") {
		t.Fatalf("containers after adapt: exit %d, pool lines lack the adaptive bounds:\n%s", r.code, r.stdout)
	}

	// The client runs 200 half-second tasks, then, while the pool is
	// large, computes 20 random tokens spread over several workers (a lost
	// one would be computed again, differently), publishes them so they
	// outlive the client, and closes: it does not stay to see the scale down.
	script := `
import json, os, sys, time
from distributed import Client
c = Client(sys.argv[1], timeout=120)
c.wait_for_workers(1, timeout=300)
def slow(i):
    time.sleep(0.5)
    return i
print("sum", sum(c.gather(c.map(slow, range(200)))), flush=True)
def token(i):
    return os.urandom(16).hex()
x = c.map(token, range(20), pure=False)
print("kept", json.dumps(c.gather(x)), flush=True)
c.publish_dataset(kept=x)
print("holders", len({a for ws in c.who_has(x).values() for a in ws}), flush=True)
c.close()
`
	var out bytes.Buffer
	load := exec.CommandContext(ctx, pyenv.DaskPython(t), "-c", script, sub.Address)
	load.Stdout, load.Stderr = &out, &out
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- load.Wait() }()

	grew := false
	var loadErr error
	finished := false
	for !finished {
		select {
		case loadErr = <-done:
			finished = true
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			t.Fatalf("waiting for the client's 200 tasks: %v\n%s", ctx.Err(), out.String())
		}
		p := workerPool(t, ctx, sub.AppID)
		if p.Desired > 3 || p.Live > 3 || p.Adaptive == nil || p.Adaptive.Target > 3 {
			t.Fatalf("pool past the maximum 3: %+v adaptive %+v", p, p.Adaptive)
		}
		if p.Ready > 1 {
			grew = true
		}
	}
	t.Logf("the client's output:\n%s", out.String())
	if loadErr != nil || !strings.Contains(out.String(), "sum 19900") {
		t.Fatalf("the client's tasks: %v\n%s", loadErr, out.String())
	}
	if !grew {
		t.Fatal("200 slow tasks never brought a second ready worker into the pool (adapt 1..3)")
	}
	// Else the scale down need not move anything for the dataset to survive.
	if strings.Contains(out.String(), "holders 1\n") || !strings.Contains(out.String(), "holders ") {
		t.Fatalf("the kept dataset is not spread over several workers:\n%s", out.String())
	}

	eventually(t, 4*time.Minute, "the idle pool back at 1 worker with none retiring", func() (bool, string) {
		p := workerPool(t, ctx, sub.AppID)
		return p.Desired == 1 && p.Live == 1 && p.Ready == 1 && p.Retiring == 0, fmt.Sprintf("%+v adaptive %+v", p, p.Adaptive)
	})
	if n := count(containers(t, ctx, sub.AppID), "worker", "retired"); n < 1 {
		t.Fatalf("the scale down retired no worker container: %s", summary(containers(t, ctx, sub.AppID)))
	}

	check := `
import json, sys
from distributed import Client
with Client(sys.argv[1], timeout=120) as c:
    print("kept", json.dumps(c.gather(c.get_dataset("kept"))))
`
	b, err := exec.CommandContext(ctx, pyenv.DaskPython(t), "-c", check, sub.Address).CombinedOutput()
	before := regexp.MustCompile(`kept \[.*\]`).FindString(out.String())
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); err != nil || before == "" || lines[len(lines)-1] != before {
		t.Fatalf("the published results after the scale down: %v\n%s\nwant the same as before it:\n%s", err, b, before)
	}

	// Off keeps the size and the status no longer shows bounds.
	if r := spindle(t, ctx, "adapt", sub.AppID, "--off"); r.code != 0 {
		t.Fatalf("adapt --off: exit %d", r.code)
	}
	if p := workerPool(t, ctx, sub.AppID); p.Adaptive != nil || p.Desired != 1 {
		t.Fatalf("after --off: %+v adaptive %+v", p, p.Adaptive)
	}
}

// TestAdaptScaleDownFollowsTheScheduler: results persisted with
// client.persist on two of three workers (started one after the other) (40 MiB on the newest, 2 MiB on
// the next); under `spindle adapt --min 1` the idle pool shrinks to the
// worker the scheduler keeps, the one holding the most data (the AM's own
// order, newest first, would retire it), and every persisted result is
// still retrievable, unchanged, afterwards.
func TestAdaptScaleDownFollowsTheScheduler(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// One worker at a time, so that the newest (the AM's order: by
	// allocation) is the one with the highest container id.
	sub := submitWait(t, ctx, "--binary", bin, daskSpec(t, 1))
	for n := 1; n <= 3; n++ {
		if n > 1 {
			if r := spindle(t, ctx, "scale", sub.AppID, "--workers", fmt.Sprint(n)); r.code != 0 {
				t.Fatalf("scale %d: exit %d", n, r.code)
			}
		}
		eventually(t, 5*time.Minute, fmt.Sprintf("%d ready workers", n), func() (bool, string) {
			p := workerPool(t, ctx, sub.AppID)
			return p.Ready == n, fmt.Sprintf("%+v", p)
		})
	}
	var workers []appmaster.ContainerStatus
	for _, c := range containers(t, ctx, sub.AppID) {
		if c.Service == "worker" && c.State == "ready" {
			workers = append(workers, c)
		}
	}
	// Ids of one application attempt differ only in their zero-padded end.
	sort.Slice(workers, func(i, j int) bool { return workers[i].ID > workers[j].ID })
	if len(workers) != 3 {
		t.Fatalf("want 3 ready workers: %+v", workers)
	}
	newest, next := workers[0].ID, workers[1].ID

	script := `
import hashlib, json, sys
import dask
from distributed import Client, futures_of
c = Client(sys.argv[1], timeout=120)
c.wait_for_workers(3, timeout=300)
names = c.run(lambda dask_worker: dask_worker.name)
by_name = {name: addr for addr, name in names.items()}
def blob(i, n):
    import os
    return os.urandom(n)
big = c.persist([dask.delayed(blob, pure=False)(i, 10 << 20) for i in range(4)], workers=[by_name[sys.argv[2]]])
small = c.persist([dask.delayed(blob, pure=False)(i, 1 << 20) for i in range(2)], workers=[by_name[sys.argv[3]]])
fs = futures_of(big) + futures_of(small)
c.publish_dataset(kept=fs)
# Hashed here, not in tasks: a task on a third worker would copy the data there.
print("digests", json.dumps([hashlib.sha256(b).hexdigest() for b in c.gather(fs)]), flush=True)
print("holders", json.dumps(sorted({names[a] for ws in c.who_has(fs).values() for a in ws})), flush=True)
c.close()
`
	py := pyenv.DaskPython(t)
	b, err := exec.CommandContext(ctx, py, "-c", script, sub.Address, newest, next).CombinedOutput()
	out := string(b)
	want := fmt.Sprintf(`holders ["%s", "%s"]`, min(newest, next), max(newest, next))
	if err != nil || !strings.Contains(out, want) {
		t.Fatalf("persisting on %s and %s: %v\n%s", newest, next, err, out)
	}
	digests := regexp.MustCompile(`digests \[.*\]`).FindString(out)

	if r := spindle(t, ctx, "adapt", sub.AppID, "--min", "1", "--max", "3"); r.code != 0 {
		t.Fatalf("adapt: exit %d", r.code)
	}
	eventually(t, 4*time.Minute, "the idle pool at 1 worker with none retiring", func() (bool, string) {
		p := workerPool(t, ctx, sub.AppID)
		return p.Desired == 1 && p.Live == 1 && p.Ready == 1 && p.Retiring == 0, fmt.Sprintf("%+v adaptive %+v", p, p.Adaptive)
	})
	cs := containers(t, ctx, sub.AppID)
	for _, c := range cs {
		if c.Service == "worker" && c.State == "ready" && c.ID != newest {
			t.Fatalf("the pool kept %s, not %s which holds the most data (the scheduler's choice): %s", c.ID, newest, summary(cs))
		}
	}

	check := `
import hashlib, json, sys
from distributed import Client
with Client(sys.argv[1], timeout=120) as c:
    fs = c.get_dataset("kept")
    print("digests", json.dumps(c.gather(c.map(lambda b: hashlib.sha256(b).hexdigest(), fs))))
`
	b, err = exec.CommandContext(ctx, py, "-c", check, sub.Address).CombinedOutput()
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); err != nil || digests == "" || lines[len(lines)-1] != digests {
		t.Fatalf("the persisted results after the scale down: %v\n%s\nwant the same as before it:\n%s", err, b, digests)
	}
}
