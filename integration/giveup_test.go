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

// brokenPoolSpec is a spec whose "broken" pool's workers exit at once
// (dask worker refuses an unknown option), with max_restarts 1.
func brokenPoolSpec(t *testing.T, name, onGiveUp string) string {
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	giveUp := ""
	if onGiveUp != "" {
		giveUp = "\n    on_give_up: " + onGiveUp
	}
	y := fmt.Sprintf(`name: %s
scheduler:
  resources: {memory: 512MiB}
  env: {PATH: %q}
workers:
  - name: broken
    instances: 1
    resources: {memory: 256MiB}
    env: {PATH: %q}
    args: [--no-such-option]
    max_restarts: 1%s
`, name, path, path, giveUp)
	p := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// statusWithPools is the part of `spindle status --json` about pools, as
// the README documents it.
type statusWithPools struct {
	State         string       `json:"state"`
	FinalStatus   string       `json:"final_status"`
	Diagnostics   string       `json:"diagnostics"`
	Pools         []poolStatus `json:"pools"`
	AMDiagnostics []string     `json:"am_diagnostics"`
}

type poolStatus struct {
	Name         string `json:"name"`
	Desired      int    `json:"desired"`
	Pending      int    `json:"pending"`
	Running      int    `json:"running"`
	Ready        int    `json:"ready"`
	Retiring     int    `json:"retiring"`
	Failures     int    `json:"failures"`
	GaveUp       bool   `json:"gave_up"`
	GaveUpReason string `json:"gave_up_reason"`
}

func (s statusWithPools) pool(name string) poolStatus {
	for _, p := range s.Pools {
		if p.Name == name {
			return p
		}
	}
	return poolStatus{}
}

func statusJSON(t *testing.T, ctx context.Context, app string) statusWithPools {
	t.Helper()
	r := spindle(t, ctx, "status", "--json", app)
	if r.code != 0 {
		t.Fatalf("status %s: exit %d: %s", app, r.code, r.stderr)
	}
	var s statusWithPools
	mustJSON(t, r.stdout, &s)
	return s
}

// TestPoolGivesUp: a worker pool whose workers keep failing goes past
// max_restarts. By default the application fails, its diagnostics naming
// the pool, the limit and the exit statuses, and `wait --for finished`
// returns exit 7; with on_give_up: keep_running it keeps running, and
// `containers` and `status` show the pool gave up, and why.
func TestPoolGivesUp(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var apps []string
	for _, s := range []string{brokenPoolSpec(t, "giveup-fail", ""), brokenPoolSpec(t, "giveup-keep", "keep_running")} {
		r := spindle(t, ctx, "submit", "--binary", bin, s)
		if r.code != 0 {
			t.Fatalf("submit %s: exit %d", s, r.code)
		}
		app := strings.TrimSpace(r.stdout)
		defer spindle(t, context.Background(), "kill", app)
		apps = append(apps, app)
	}
	failing, keeping := apps[0], apps[1]

	// The exit statuses, then the newest failure's cause first: dask's own
	// complaint about the bad option.
	exits := regexp.MustCompile(`exit statuses, newest first: -?\d+, -?\d+; newest: container_\S+ exit status \d+: Error: `)
	r := spindle(t, ctx, "wait", failing, "--for", "finished", "--timeout", "6m")
	if r.code != 7 {
		t.Fatalf("wait --for finished on an application whose pool gave up: exit %d, want 7", r.code)
	}
	for _, want := range []string{`worker pool "broken"`, "2 failed containers", "max_restarts 1"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("wait's diagnostics lack %q:\n%s", want, r.stderr)
		}
	}
	if !exits.MatchString(r.stderr) {
		t.Fatalf("wait's diagnostics lack the last exit statuses and the cause first:\n%s", r.stderr)
	}
	if s := statusJSON(t, ctx, failing); s.FinalStatus != "FAILED" || !strings.Contains(s.Diagnostics, `worker pool "broken" gave up`) {
		t.Fatalf("status of the failed application: %+v", s)
	}

	var last statusWithPools
	eventually(t, 5*time.Minute, "the keep_running pool to give up", func() (bool, string) {
		last = statusJSON(t, ctx, keeping)
		return last.pool("broken").GaveUp, fmt.Sprintf("%+v", last)
	})
	p := last.pool("broken")
	if last.State != "RUNNING" || p.Failures != 2 || p.Pending != 0 || !strings.Contains(p.GaveUpReason, "max_restarts 1") ||
		!exits.MatchString(p.GaveUpReason) || len(last.AMDiagnostics) == 0 || !strings.Contains(last.AMDiagnostics[0], `worker pool "broken"`) {
		t.Fatalf("keep_running: want RUNNING with the pool given up after 2 failures, got %+v", last)
	}
	if r := spindle(t, ctx, "status", keeping); r.code != 0 || !regexp.MustCompile(`(?m)^  broken .*failed 2; worker pool "broken" gave up`).MatchString(r.stdout) {
		t.Fatalf("status does not show the given-up pool: exit %d\n%s", r.code, r.stdout)
	}
	r = spindle(t, ctx, "containers", keeping)
	if r.code != 0 || !regexp.MustCompile(`(?m)^broken\s+1\s+0\s+0\s+0\s+2\s+worker pool "broken" gave up after 2 failed containers`).MatchString(r.stdout) {
		t.Fatalf("containers does not show the given-up pool: exit %d\n%s", r.code, r.stdout)
	}
	if r := spindle(t, ctx, "stop", "--wait", keeping); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
}
