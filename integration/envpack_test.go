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

// TestPackedEnvironmentOnYARN: the Dask cluster runs from a venv that
// spindle packs, ships through HDFS and activates in each container (no
// PATH set in the spec). A second submit of the unchanged venv packs and
// uploads nothing, and reuses the same HDFS file.
func TestPackedEnvironmentOnYARN(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	venv := filepath.Dir(filepath.Dir(pyenv.DaskPython(t)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // a fresh local pack cache
	spec := filepath.Join(t.TempDir(), "spec.yaml")
	y := fmt.Sprintf("name: packed-env\nenvironment: %s\nscheduler: {resources: {memory: 512MiB}}\nworkers: [{instances: 1, resources: {memory: 512MiB}}]\n", venv)
	if err := os.WriteFile(spec, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	first := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, spec)
	if first.code != 0 {
		t.Fatalf("submit with a packed environment: exit %d", first.code)
	}
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, first.stdout, &sub)
	defer spindle(t, context.Background(), "kill", sub.AppID)
	if !strings.Contains(first.stderr, "packed") || !strings.Contains(first.stderr, "(uploaded)") {
		t.Fatalf("first submit should pack and upload the environment:\n%s", first.stderr)
	}
	if got := daskSum(t, ctx, sub.Address, 1); got != wantSum {
		t.Fatalf("sum = %s, want %s", got, wantSum)
	}
	if r := spindle(t, ctx, "stop", "--wait", sub.AppID); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}

	ls1 := spindle(t, ctx, "env", "ls", "--json")
	second := spindle(t, ctx, "submit", "--json", "--binary", bin, spec)
	if second.code != 0 {
		t.Fatalf("second submit: exit %d", second.code)
	}
	var sub2 struct {
		AppID string `json:"app_id"`
	}
	mustJSON(t, second.stdout, &sub2)
	defer spindle(t, context.Background(), "kill", sub2.AppID)
	// Verified three ways: the local pack was reused (fingerprint), HDFS
	// already had the archive, and the cache listing (paths, sizes, mtimes)
	// is unchanged.
	if !strings.Contains(second.stderr, "unchanged, packed before") || !strings.Contains(second.stderr, "nothing uploaded") {
		t.Fatalf("second submit should reuse the packed, cached environment:\n%s", second.stderr)
	}
	if ls2 := spindle(t, ctx, "env", "ls", "--json"); ls1.code != 0 || ls2.stdout != ls1.stdout {
		t.Fatalf("the HDFS environment cache changed on the second submit:\nbefore %s\nafter %s", ls1.stdout, ls2.stdout)
	}
	if r := spindle(t, ctx, "wait", sub2.AppID, "--for", "address", "--timeout", "3m"); r.code != 0 {
		t.Fatalf("second app's scheduler: exit %d", r.code)
	}
}
