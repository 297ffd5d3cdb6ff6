package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSubmitRefusedBeforeAnything: what the cluster cannot run is refused
// by `spindle submit` before anything is staged or submitted (exit 2),
// naming the spec's key: an unknown queue (the ResourceManager's queue
// info; YARN used to accept it and fail the application afterwards), a
// parent queue, a worker or a scheduler larger than the cluster's largest
// container, and a local environment that does not exist.
func TestSubmitRefusedBeforeAnything(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tag := fmt.Sprintf("precheck-%d", time.Now().UnixNano())
	dir := t.TempDir()
	for _, c := range []struct {
		name, spec string
		flags      []string
		want       []string
	}{
		{"unknown-queue", "workers: [{instances: 1}]", []string{"--queue", "no-such-queue"},
			[]string{`queue: "no-such-queue": no such queue to submit to: this cluster's leaf queues are root.default`}},
		{"parent-queue", "workers: [{instances: 1}]", []string{"--queue", "root"},
			[]string{`queue: "root" is a parent queue`, "default"}},
		{"worker-too-big", "workers: [{instances: 1, resources: {memory: 1000GiB}}]", nil,
			[]string{"workers[worker].resources.memory: 1000GiB is more than the largest container this cluster grants", "yarn.scheduler.maximum-allocation-mb"}},
		{"worker-vcores", "workers: [{instances: 1}]", []string{"--worker-vcores", "5000"},
			[]string{"workers[worker].resources.vcores: 5000 is more than the largest container this cluster grants", "maximum-allocation-vcores"}},
		{"scheduler-too-big", "scheduler: {resources: {vcores: 5000}}\nworkers: [{instances: 1}]", nil,
			[]string{"scheduler.resources.vcores: 5000 is more than the largest container"}},
		{"missing-env", "environment: ./no-such-env\nworkers: [{instances: 1}]", nil,
			[]string{"environment: stat " + filepath.Join(dir, "no-such-env") + ": no such file or directory"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(p, []byte(c.spec+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"submit", "--binary", bin, "--tag", tag, "--name", c.name, p}, c.flags...)
			r := spindle(t, ctx, args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2", r.code)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	r := spindle(t, ctx, "list", "--all", "--tag", tag, "--json")
	var apps []json.RawMessage
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &apps) != nil || len(apps) != 0 {
		t.Fatalf("refused specs must submit nothing; list: exit %d, %s", r.code, r.stdout)
	}
}
