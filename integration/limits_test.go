package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOverflowingCountsRefused: a worker count past int32 once reached the
// ResourceManager wrapped negative; no container was allocated again to
// anyone in the queue until the RM restarted. Now the spec, the CLI and
// the control API refuse it naming the limit, the application still
// scales, and a second application gets its containers.
// (Item 14 rides along: the second spec is given by a relative path.)
func TestOverflowingCountsRefused(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	huge := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(huge, []byte("workers: [{instances: 1e12}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := spindle(t, ctx, "submit", "--binary", bin, huge); r.code != 2 || !strings.Contains(r.stderr, "workers[worker].instances: 1000000000000 is outside spindle's limits: use 0 to 10000") {
		t.Fatalf("spec with instances 1e12: exit %d, stderr %q; want 2 naming the limit", r.code, r.stderr)
	}

	app := submitDask(t, ctx, bin, daskSpec(t, 1))
	defer spindle(t, context.Background(), "kill", app)
	readyWorkers := func(app string, n int) func() (bool, string) {
		return func() (bool, string) {
			cs := containers(t, ctx, app)
			return count(cs, "worker", "ready") == n, summary(cs)
		}
	}
	eventually(t, 3*time.Minute, "1 ready worker", readyWorkers(app, 1))

	for _, n := range []string{"2147483648", "3e9"} {
		r := spindle(t, ctx, "scale", app, "--workers", n)
		if r.code != 2 || !strings.Contains(r.stderr, "outside spindle's limits: use 0 to 10000") {
			t.Fatalf("scale --workers %s: exit %d, stderr %q; want 2 naming the limit", n, r.code, r.stderr)
		}
	}

	// The control API itself, with the application's secret, as any
	// program holding it could call it.
	var status struct {
		Host string `json:"am_host"`
		Port int    `json:"am_rpc_port"`
	}
	mustJSON(t, spindle(t, ctx, "status", "--json", app).stdout, &status)
	secret, err := os.ReadFile(filepath.Join(os.Getenv("SPINDLE_HOME"), "apps", app, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://%s:%d/v1/scale", status.Host, status.Port),
		strings.NewReader(`{"pool":"worker","instances":3000000000}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(secret)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("control API: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "use 0 to 10000") {
		t.Fatalf("POST /v1/scale 3000000000: %s %q; want 400 naming the limit", resp.Status, body)
	}

	// The application still scales, and the queue still serves others.
	if r := spindle(t, ctx, "scale", app, "--workers", "2"); r.code != 0 {
		t.Fatalf("scale 2: exit %d", r.code)
	}
	eventually(t, 3*time.Minute, "2 ready workers after the refused requests", readyWorkers(app, 2))
	// The second one is submitted as `spindle submit ../jobs/job.yaml` from
	// another folder, with a file beside the spec: relative paths in a spec
	// are the spec's folder's (they were the current directory's).
	root := t.TempDir()
	jobs, elsewhere := filepath.Join(root, "jobs"), filepath.Join(root, "elsewhere")
	y, err := os.ReadFile(daskSpec(t, 1))
	if err == nil {
		err = errors.Join(os.MkdirAll(jobs, 0o755), os.MkdirAll(elsewhere, 0o755),
			os.WriteFile(filepath.Join(jobs, "data.txt"), []byte("beside the spec"), 0o644),
			os.WriteFile(filepath.Join(jobs, "job.yaml"), append(y, "    files: {data.txt: data.txt}\n"...), 0o644))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	second := submitDask(t, ctx, bin, "../jobs/job.yaml")
	defer spindle(t, context.Background(), "kill", second)
	eventually(t, 3*time.Minute, "the second application's worker ready", readyWorkers(second, 1))

	for _, a := range []string{second, app} {
		if r := spindle(t, ctx, "stop", "--wait", a); r.code != 0 {
			t.Fatalf("stop %s: exit %d", a, r.code)
		}
	}
}

// submitDask submits a spec, waits for its scheduler's address and
// returns the application's id.
func submitDask(t *testing.T, ctx context.Context, bin, spec string) string {
	t.Helper()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, spec)
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	var sub struct {
		AppID string `json:"app_id"`
	}
	mustJSON(t, r.stdout, &sub)
	return sub.AppID
}
