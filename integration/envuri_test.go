package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// nodeEnvSpec is a small Dask cluster with no environment and no PATH of
// its own: only the environment given at submit can run Dask.
func nodeEnvSpec(t *testing.T, name string) string {
	y := fmt.Sprintf("name: %s\nscheduler: {resources: {memory: 512MiB}}\nworkers: [{instances: 1, resources: {memory: 512MiB}}]\n", name)
	p := filepath.Join(t.TempDir(), "spec.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEnvironmentOnTheNodes: python:///PATH (in the spec) and
// venv:///FOLDER (as a flag) run a Dask computation from the test venv,
// which the local NodeManagers have since they run on this machine;
// nothing is uploaded for them.
func TestEnvironmentOnTheNodes(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	venv := filepath.Dir(filepath.Dir(py))
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	inSpec := filepath.Join(t.TempDir(), "python.yaml")
	y := fmt.Sprintf("name: env-python\nenvironment: python://%s\nscheduler: {resources: {memory: 512MiB}}\nworkers: [{instances: 1, resources: {memory: 512MiB}}]\n", py)
	if err := os.WriteFile(inSpec, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		uri  string
		args []string
	}{
		{"python://" + py, []string{inSpec}},
		{"venv://" + venv, []string{"--environment", "venv://" + venv, nodeEnvSpec(t, "env-venv")}},
	} {
		r := spindle(t, ctx, append([]string{"submit", "--wait", "--json", "--binary", bin}, c.args...)...)
		if r.code != 0 {
			t.Fatalf("submit --wait with %s: exit %d", c.uri, r.code)
		}
		var sub struct {
			AppID   string `json:"app_id"`
			Address string `json:"scheduler_address"`
		}
		mustJSON(t, r.stdout, &sub)
		defer spindle(t, context.Background(), "kill", sub.AppID)
		if want := "environment " + c.uri + ": on the nodes, nothing uploaded"; !strings.Contains(r.stderr, want) {
			t.Fatalf("submit's progress lacks %q:\n%s", want, r.stderr)
		}
		if got := daskSum(t, ctx, sub.Address, 1); got != wantSum {
			t.Fatalf("%s: dask sum = %s, want %s", c.uri, got, wantSum)
		}
		if r := spindle(t, ctx, "stop", "--wait", sub.AppID); r.code != 0 {
			t.Fatalf("stop: exit %d", r.code)
		}
	}
}

// TestMissingEnvironmentOnTheNodesFailsFast: an interpreter path no node
// has fails the application at once, `submit --wait` exiting 7 with the
// path and the node in the diagnostics, and no restart loop: the
// application ran its master and one scheduler container, not the
// scheduler's max_restarts more. A malformed URI is refused at submit.
func TestMissingEnvironmentOnTheNodesFailsFast(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	for _, bad := range []string{"python://no/such/python", "venv:/no/such"} {
		r := spindle(t, ctx, "submit", "--environment", bad, "--binary", bin, nodeEnvSpec(t, "env-malformed"))
		if r.code != 2 || !strings.Contains(r.stderr, "python:///path/to/python") || r.stdout != "" {
			t.Fatalf("submit --environment %s: exit %d, stderr %q; want 2 with the accepted forms and nothing submitted", bad, r.code, r.stderr)
		}
	}

	missing := "/no/such/env-" + fmt.Sprint(time.Now().UnixNano()) + "/bin/python"
	start := time.Now()
	r := spindle(t, ctx, "submit", "--wait", "--environment", "python://"+missing, "--binary", bin, nodeEnvSpec(t, "env-missing"))
	took := time.Since(start)
	app := strings.TrimSpace(r.stdout)
	if app != "" {
		defer spindle(t, context.Background(), "kill", app)
	}
	if r.code != 7 {
		t.Fatalf("submit --wait with a missing environment: exit %d, want 7", r.code)
	}
	for _, want := range []string{missing, "not usable on node ", "gave up without retrying"} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("submit's diagnostics lack %q:\n%s", want, r.stderr)
		}
	}
	t.Logf("submit --wait failed after %s", took)

	// Every container the application had, from its aggregated logs.
	var n int
	eventually(t, 3*time.Minute, "the application's logs aggregated", func() (bool, string) {
		lr := spindle(t, ctx, "logs", app)
		if lr.code != 0 {
			return false, fmt.Sprintf("logs: exit %d: %s", lr.code, lr.stderr)
		}
		n = countContainers(parseLogs(t, "spindle logs", []byte(lr.stdout)))
		return true, ""
	})
	if n > 2 {
		t.Fatalf("the application ran %d containers; want its master and one scheduler (no restart loop)", n)
	}
}
