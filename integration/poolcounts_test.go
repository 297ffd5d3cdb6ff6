package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// TestPendingAndRetiredWorkers: a pool asks for more 3 GiB workers than
// the two 4 GiB NodeManagers hold. `containers` and `status` show the one
// YARN cannot place as pending beside the placed ones. Scaling down to one
// retires a worker: `containers --all` shows it "retired", not a failure.
func TestPendingAndRetiredWorkers(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	spec := filepath.Join(t.TempDir(), "big.yaml")
	y := fmt.Sprintf(`name: pending
scheduler: {resources: {memory: 512MiB}, env: {PATH: %q}}
workers:
  - {name: big, instances: 3, resources: {memory: 3GiB}, env: {PATH: %q}}
`, path, path)
	if err := os.WriteFile(spec, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--wait", "--binary", bin, spec)
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	app := strings.TrimSpace(r.stdout)
	defer spindle(t, context.Background(), "kill", app)

	// One node holds the AM and the scheduler beside a 3 GiB worker, the
	// other one more worker: the third waits for YARN.
	eventually(t, 4*time.Minute, "2 big workers ready and 1 pending", func() (bool, string) {
		s := statusJSON(t, ctx, app)
		p := s.pool("big")
		return p.Desired == 3 && p.Ready == 2 && p.Pending == 1, fmt.Sprintf("%+v", s.Pools)
	})
	r = spindle(t, ctx, "containers", app)
	if r.code != 0 || !regexp.MustCompile(`(?m)^big\s+3\s+1\s+0\s+2\s+0\s`).MatchString(r.stdout) {
		t.Fatalf("containers does not show big: desired 3, pending 1, ready 2: exit %d\n%s", r.code, r.stdout)
	}
	// Ready workers show the Dask address the scheduler knows them by.
	if n := len(regexp.MustCompile(`(?m)^container_\S+\s+big\s+ready\s+\S+\s+tcp://\S+:\d+\s`).FindAllString(r.stdout, -1)); n != 2 {
		t.Fatalf("containers shows %d ready big workers with a Dask address, want 2:\n%s", n, r.stdout)
	}
	if r := spindle(t, ctx, "status", app); r.code != 0 || !strings.Contains(r.stdout, "big              desired 3, pending 1, running 0, ready 2, failed 0") {
		t.Fatalf("status does not show the pending worker: exit %d\n%s", r.code, r.stdout)
	}

	if r := spindle(t, ctx, "scale", app, "--pool", "big", "--workers", "1"); r.code != 0 {
		t.Fatalf("scale big to 1: exit %d", r.code)
	}
	eventually(t, 4*time.Minute, "one big worker retired, one ready, none pending", func() (bool, string) {
		cs := containers(t, ctx, app)
		p := statusJSON(t, ctx, app).pool("big")
		return count(cs, "big", "retired") == 1 && count(cs, "big", "ready") == 1 && p.Pending == 0 && p.Retiring == 0,
			fmt.Sprintf("%s; %+v", summary(cs), p)
	})
	if p := statusJSON(t, ctx, app).pool("big"); p.Failures != 0 || p.Desired != 1 {
		t.Fatalf("after scale-down: %+v; want desired 1 and no failure", p)
	}
	if r := spindle(t, ctx, "containers", "--all", app); r.code != 0 || !regexp.MustCompile(`(?m)^container_\S+\s+big\s+retired\s`).MatchString(r.stdout) {
		t.Fatalf("containers --all does not show the retired worker: exit %d\n%s", r.code, r.stdout)
	}
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
}
