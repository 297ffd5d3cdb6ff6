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

// TestWorkerPoolsRouteDaskResources: a "gpu" pool whose workers carry the
// Dask resource GPU=1 beside a plain "cpu" pool; a task that needs GPU runs
// only on a gpu-pool container, as the container list confirms.
func TestWorkerPoolsRouteDaskResources(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/bin:/bin"
	spec := filepath.Join(t.TempDir(), "pools.yaml")
	y := fmt.Sprintf(`name: pools
scheduler: {resources: {memory: 512MiB}, env: {PATH: %q}}
workers:
  - {name: cpu, instances: 2, resources: {memory: 512MiB}, env: {PATH: %q}}
  - {name: gpu, instances: 1, resources: {memory: 512MiB}, env: {PATH: %q}, dask_resources: {GPU: 1}}
`, path, path, path)
	os.WriteFile(spec, []byte(y), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, spec)
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, r.stdout, &sub)
	defer spindle(t, context.Background(), "kill", sub.AppID)

	script := `
import sys
from distributed import Client, get_worker
c = Client(sys.argv[1], timeout=60)
c.wait_for_workers(3, timeout=180)
names = set(c.gather([c.submit(lambda i: get_worker().name, i, resources={"GPU": 1}, pure=False) for i in range(8)]))
print(",".join(sorted(names)))
`
	out, err := exec.CommandContext(ctx, py, "-c", script, sub.Address).CombinedOutput()
	if err != nil {
		t.Fatalf("dask client: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	ran := strings.Split(lines[len(lines)-1], ",")
	service := map[string]string{}
	for _, c := range containers(t, ctx, sub.AppID) {
		service[c.ID] = c.Service
	}
	for _, name := range ran {
		if service[name] != "gpu" {
			t.Fatalf("a GPU task ran on %q (pool %q); want only gpu-pool containers (pools: %v)", name, service[name], service)
		}
	}
	if r := spindle(t, ctx, "stop", "--wait", sub.AppID); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
}

// TestSpecUserAndFiles: the spec's user owns the application (SIMPLE
// authentication), and a pool's extra file reaches its containers' working
// directory, where Dask tasks read it.
func TestSpecUserAndFiles(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	path := filepath.Dir(py) + ":/usr/bin:/bin"
	dir := t.TempDir()
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, []byte("hello from the edge node"), 0o644)
	spec := filepath.Join(dir, "spec.yaml")
	y := fmt.Sprintf(`name: user-files
user: alice
scheduler: {resources: {memory: 512MiB}, env: {PATH: %q}}
workers:
  - {name: worker, instances: 1, resources: {memory: 512MiB}, env: {PATH: %q}, files: {data.txt: %s}}
`, path, path, data)
	os.WriteFile(spec, []byte(y), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, spec)
	if r.code != 0 {
		t.Fatalf("submit: exit %d", r.code)
	}
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, r.stdout, &sub)
	defer spindle(t, context.Background(), "kill", sub.AppID)
	var st struct {
		User string `json:"user"`
	}
	mustJSON(t, spindle(t, ctx, "status", "--json", sub.AppID).stdout, &st)
	if st.User != "alice" {
		t.Fatalf("application user %q, want alice", st.User)
	}
	script := `
import sys
from distributed import Client
c = Client(sys.argv[1], timeout=60)
c.wait_for_workers(1, timeout=120)
print(c.submit(lambda: open("data.txt").read(), pure=False).result())
`
	out, err := exec.CommandContext(ctx, py, "-c", script, sub.Address).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "hello from the edge node") {
		t.Fatalf("task reading the shipped file: %v\n%s", err, out)
	}
	t.Setenv("HADOOP_USER_NAME", "alice") // alice's control secret and staging folder
	if r := spindle(t, ctx, "stop", "--wait", sub.AppID); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
}
