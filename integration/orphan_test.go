package integration

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoDaskProcessOutlivesItsApplication: the application master is killed
// (SIGKILL) while the whole cluster is paused (SIGSTOP on its JVM: the
// ResourceManager and NodeManagers are as gone as the AM), so nothing of
// YARN's is left to stop the application's containers. Their runtimes stop
// their Dask processes once the AM has not answered for the cluster's AM
// expiry (60 s in the local cluster), and exit. Resumed, YARN reports the
// application FAILED.
func TestNoDaskProcessOutlivesItsApplication(t *testing.T) {
	useCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	app := submitWait(t, ctx, "--binary", spindleBinary(t), "--max-attempts", "1", daskSpec(t, 1)).AppID
	eventually(t, 3*time.Minute, "1 ready worker", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 1, summary(cs)
	})
	dask := func() []string {
		var out []string
		for _, p := range processesIn(app) {
			if strings.Contains(p, "dask") || strings.Contains(p, "spindle container") {
				out = append(out, p)
			}
		}
		return out
	}
	if got := dask(); len(got) < 4 { // two runtimes, a scheduler, a worker (and its nanny's child)
		t.Fatalf("before the fault, the application's Dask processes are %q; want the runtimes, the scheduler and the worker", got)
	}

	jvm := hadoop.Get(t).PID()
	am := amPID(t, app)
	t.Logf("pausing the cluster (JVM pid %d) and killing the AM (pid %d)", jvm, am)
	if err := syscall.Kill(jvm, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := syscall.Kill(jvm, syscall.SIGCONT); err != nil {
				t.Errorf("resume the cluster: %v", err)
			}
		}
	}
	defer resume()
	if err := syscall.Kill(am, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Minute, "the application's Dask processes and runtimes to exit with no AM and no YARN", func() (bool, string) {
		left := dask()
		return len(left) == 0, strings.Join(left, "\n")
	})
	resume()

	r := spindle(t, ctx, "wait", "--for", "finished", "--timeout", "5m", app)
	if r.code != 7 || !strings.Contains(r.stderr, "FAILED") {
		t.Errorf("wait --for finished after the AM died: exit %d, stderr %q; want exit 7 saying FAILED", r.code, r.stderr)
	}
	// The cluster works again for the tests after this one.
	submitWait(t, ctx, "--binary", spindleBinary(t), daskSpec(t, 0))
}
