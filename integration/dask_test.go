package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// daskSpec is a spec whose containers run dask from the test's venv.
func daskSpec(t *testing.T, workers int) string {
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	y := fmt.Sprintf(`name: spindle-e2e
scheduler:
  resources: {memory: 512MiB, vcores: 1}
  env: {PATH: %q}
workers:
  - name: worker
    instances: %d
    resources: {memory: 512MiB, vcores: 1}
    env: {PATH: %q}
`, path, workers, path)
	p := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// daskSum runs a real distributed.Client against the address and returns
// the sum of a dask array computed on the cluster's workers.
func daskSum(t *testing.T, ctx context.Context, schedulerArg string, workers int) string {
	py := pyenv.DaskPython(t)
	script := `
import sys
import dask.array as da
from distributed import Client
arg = sys.argv[1]
c = Client(scheduler_file=arg[5:], timeout=60) if arg.startswith("file:") else Client(arg, timeout=60)
c.wait_for_workers(int(sys.argv[2]), timeout=180)
print(int(da.arange(1_000_000, chunks=100_000).sum().compute()))
c.close()
`
	cmd := exec.CommandContext(ctx, py, "-c", script, schedulerArg, fmt.Sprint(workers))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dask client against %s: %v\n%s", schedulerArg, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

const wantSum = "499999500000" // sum(range(1_000_000))

func TestDaskOnYARN(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	specPath := daskSpec(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	start := time.Now()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, specPath)
	if r.code != 0 {
		t.Fatalf("submit --wait: exit %d", r.code)
	}
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, r.stdout, &sub)
	t.Logf("submit to address: %s", time.Since(start))
	defer spindle(t, context.Background(), "kill", sub.AppID)

	if got := daskSum(t, ctx, sub.Address, 2); got != wantSum {
		t.Fatalf("dask sum on YARN = %s, want %s", got, wantSum)
	}

	r = spindle(t, ctx, "stop", "--wait", sub.AppID)
	if r.code != 0 {
		t.Fatalf("stop --wait: exit %d", r.code)
	}
	r = spindle(t, ctx, "status", "--json", sub.AppID)
	if !strings.Contains(r.stdout, `"FINISHED"`) || !strings.Contains(r.stdout, `"SUCCEEDED"`) {
		t.Fatalf("after stop, status is not FINISHED/SUCCEEDED:\n%s", r.stdout)
	}
	// The application has ended: address says so (exit 5), no dead address.
	if r := spindle(t, ctx, "address", sub.AppID); r.code != 5 || r.stdout != "" {
		t.Fatalf("address after stop: exit %d, stdout %q; want 5 (it has ended)", r.code, r.stdout)
	}
	// The AM removes the staging folder right after unregistering.
	fs := hdfsClient(t, hadoop.Get(t).ConfDir)
	eventually(t, 30*time.Second, "the staging folder removed", func() (bool, string) {
		_, err := fs.Stat("/user/" + fsUser() + "/.spindle/staging/" + sub.AppID)
		return os.IsNotExist(err), fmt.Sprint(err)
	})
}

// TestLifetimeEndsApplication: the AM ends the application when its
// lifetime is up, SUCCEEDED, saying why.
func TestLifetimeEndsApplication(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--lifetime", "15s", "--workers", "1", "--binary", bin, daskSpec(t, 1))
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	app := strings.TrimSpace(r.stdout)
	defer spindle(t, context.Background(), "kill", app)
	if r := spindle(t, ctx, "wait", app, "--for", "finished", "--timeout", "3m"); r.code != 0 {
		t.Fatalf("wait finished: exit %d", r.code)
	}
	r = spindle(t, ctx, "status", "--json", app)
	if !strings.Contains(r.stdout, "lifetime of 15s reached") {
		t.Fatalf("diagnostics do not say the lifetime ended it:\n%s", r.stdout)
	}
}

func fsUser() string {
	if u := os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}
