package discovery_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// daskFile is a scheduler file as distributed 2026.8.0 writes it, with one
// worker connected.
const daskFile = `{
  "type": "Scheduler",
  "id": "Scheduler-6f1c2a8e-0d5b-4c55-9a57-0f1b7f3e1c11",
  "address": "tcp://10.1.2.3:40123",
  "services": {
    "dashboard": 41567
  },
  "started": 1767225600.123456,
  "n_workers": 1,
  "total_threads": 2,
  "total_memory": 1073741824,
  "workers": {
    "tcp://10.1.2.4:39001": {
      "type": "Worker",
      "id": "container_1_0001_01_000002",
      "host": "10.1.2.4",
      "nthreads": 2
    }
  }
}`

func TestParseDaskFileAndRoundTrip(t *testing.T) {
	f, err := discovery.Parse([]byte(daskFile))
	if err != nil {
		t.Fatal(err)
	}
	if f.Address != "tcp://10.1.2.3:40123" || f.Type != "Scheduler" || f.NWorkers != 1 || len(f.Workers) != 1 {
		t.Fatalf("parsed %+v", f)
	}
	if got := f.DashboardURL(); got != "http://10.1.2.3:41567/status" {
		t.Fatalf("DashboardURL = %q", got)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	_ = json.Unmarshal([]byte(daskFile), &want)
	_ = json.Unmarshal(b, &got)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("round trip changed the file:\n%s", b)
	}
}

func TestMarshalEmptyMapsAsDaskDoes(t *testing.T) {
	b, err := json.Marshal(discovery.SchedulerFile{Address: "tcp://h:1"})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["workers"].(map[string]any); !ok || m["type"] != "Scheduler" {
		t.Fatalf("marshal of a bare file: %s", b)
	}
	if _, ok := m["services"].(map[string]any); !ok {
		t.Fatalf("services not an object: %s", b)
	}
}

func TestParseRejects(t *testing.T) {
	for name, in := range map[string]string{
		"truncated":       daskFile[:len(daskFile)/2],
		"empty":           ``,
		"no address":      `{"type":"Scheduler","id":"x"}`,
		"no protocol":     `{"address":"10.1.2.3:40123"}`,
		"no port":         `{"address":"tcp://10.1.2.3"}`,
		"wrong type":      `{"address":7}`,
		"services string": `{"address":"tcp://h:1","services":{"dashboard":"x"}}`,
		"array":           `[]`,
	} {
		if f, err := discovery.Parse([]byte(in)); err == nil {
			t.Errorf("%s: parsed %+v, want error", name, f)
		}
	}
}

func TestPath(t *testing.T) {
	if got := discovery.Path("alice", "application_1_0002"); got != "/user/alice/.spindle/apps/application_1_0002/scheduler.json" {
		t.Fatal(got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(daskFile))
	f.Add([]byte(`{"address":"tcp://[::1]:1","services":{"dashboard":-1}}`))
	f.Add([]byte(`{"address":"inproc://x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := discovery.Parse(b)
		if err != nil {
			return
		}
		_ = sf.DashboardURL()
		out, err := json.Marshal(sf)
		if err != nil {
			t.Fatalf("marshal of a parsed file: %v", err)
		}
		if _, err := discovery.Parse(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
	})
}

func hdfsClient(t *testing.T) *hdfs.Client {
	t.Helper()
	c := hadoop.Get(t)
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := hadooprpc.NewHDFS(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

func TestPublishOverwriteReadRemoveOnHDFS(t *testing.T) {
	fs := hdfsClient(t)
	ctx := context.Background()
	appID := "application_" + strings.ReplaceAll(t.Name(), "/", "_")
	p := discovery.Path(fs.User(), appID)

	if _, err := discovery.Read(fs, p); !errors.Is(err, discovery.ErrNotPublished) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("read before publish: %v, want ErrNotPublished", err)
	}
	first, _ := discovery.Parse([]byte(daskFile))
	if err := discovery.Publish(ctx, fs, p, first); err != nil {
		t.Fatal(err)
	}
	got, err := discovery.Read(fs, p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, first) {
		t.Fatalf("read back %+v, want %+v", got, first)
	}

	// The scheduler moved: the new file replaces the old one.
	moved := discovery.SchedulerFile{Type: "Scheduler", ID: "Scheduler-2", Address: "tcp://10.9.9.9:1234",
		Services: map[string]int{"dashboard": 8787}}
	if err := discovery.Publish(ctx, fs, p, moved); err != nil {
		t.Fatal(err)
	}
	if got, err = discovery.Read(fs, p); err != nil || got.Address != moved.Address || got.ID != "Scheduler-2" {
		t.Fatalf("after overwrite: %+v, %v", got, err)
	}

	// Permissions readers depend on, and no temporary file left behind.
	st, err := fs.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", st.Mode().Perm())
	}
	dst, err := fs.Stat(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o755 {
		t.Errorf("folder mode %v, want 0755", dst.Mode().Perm())
	}
	entries, err := fs.ReadDir(filepath.Dir(p))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"scheduler.json"}) {
		t.Errorf("folder holds %v, want only scheduler.json", names)
	}

	if err := discovery.Publish(ctx, fs, p, discovery.SchedulerFile{}); err == nil {
		t.Error("published a file without an address")
	}
	if err := discovery.Remove(fs, p); err != nil {
		t.Fatal(err)
	}
	if err := discovery.Remove(fs, p); err != nil {
		t.Fatalf("second remove: %v", err)
	}
	if _, err := discovery.Read(fs, p); !errors.Is(err, discovery.ErrNotPublished) {
		t.Fatalf("read after remove: %v", err)
	}
}

// TestRealDaskReadsPublishedFile runs a real `dask scheduler` writing its
// scheduler file, publishes what it wrote through HDFS, and connects a real
// distributed.Client and `dask worker` with the copy read back.
func TestRealDaskReadsPublishedFile(t *testing.T) {
	fs := hdfsClient(t)
	py := pyenv.DaskPython(t)
	dask := filepath.Join(filepath.Dir(py), "dask")
	dir := t.TempDir()
	local := filepath.Join(dir, "scheduler.json")

	sched := exec.Command(dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
		"--dashboard-address", "127.0.0.1:0", "--scheduler-file", local)
	sched.Dir = dir
	sched.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logf, _ := os.Create(filepath.Join(dir, "scheduler.log"))
	sched.Stdout, sched.Stderr = logf, logf
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-sched.Process.Pid, syscall.SIGKILL)
		_ = sched.Wait()
	})

	var written discovery.SchedulerFile
	deadline := time.Now().Add(90 * time.Second)
	for {
		var err error
		if written, err = discovery.ReadLocal(local); err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "scheduler.log"))
			t.Fatalf("dask scheduler wrote no scheduler file: %v\n%s", err, b)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Our type must hold every key Dask writes, so nothing is lost.
	raw, _ := os.ReadFile(local)
	var daskKeys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &daskKeys); err != nil {
		t.Fatal(err)
	}
	ours, _ := json.Marshal(written)
	var ourKeys map[string]json.RawMessage
	_ = json.Unmarshal(ours, &ourKeys)
	if k1, k2 := keys(daskKeys), keys(ourKeys); !reflect.DeepEqual(k1, k2) {
		t.Fatalf("Dask writes keys %v, our type writes %v", k1, k2)
	}
	if written.DashboardURL() == "" {
		t.Fatalf("no dashboard in %s", raw)
	}

	p := discovery.Path(fs.User(), "application_dask_"+time.Now().Format("150405.000"))
	if err := discovery.Publish(context.Background(), fs, p, written); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = discovery.Remove(fs, p) })
	back, err := discovery.Read(fs, p)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "copy.json")
	if err := discovery.WriteLocal(cp, back); err != nil {
		t.Fatal(err)
	}

	// A worker started from our copy, and a client from our copy that
	// waits for it.
	worker := exec.Command(dask, "worker", "--scheduler-file", cp, "--host", "127.0.0.1",
		"--dashboard-address", "127.0.0.1:0", "--nthreads", "1", "--no-nanny", "--name", "w-discovery")
	worker.Dir = dir
	worker.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	wlog, _ := os.Create(filepath.Join(dir, "worker.log"))
	worker.Stdout, worker.Stderr = wlog, wlog
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-worker.Process.Pid, syscall.SIGKILL)
		_ = worker.Wait()
	})
	script := `
import sys
from distributed import Client
with Client(scheduler_file=sys.argv[1], timeout=60) as c:
    c.wait_for_workers(1, timeout=60)
    print(c.scheduler_info()["address"], c.submit(lambda x: x + 1, 41).result(timeout=60))
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", script, cp).CombinedOutput()
	if err != nil {
		wl, _ := os.ReadFile(filepath.Join(dir, "worker.log"))
		t.Fatalf("Client(scheduler_file=our copy): %v\n%s\nworker log:\n%s", err, out, wl)
	}
	if got, want := strings.TrimSpace(lastLine(string(out))), written.Address+" 42"; got != want {
		t.Fatalf("client printed %q, want %q", got, want)
	}
}

func keys(m map[string]json.RawMessage) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestDashboardURLHasOneForm: the dashboard is given as
// http://<scheduler host>:<port>/status whatever host the runtime named.
func TestDashboardURLHasOneForm(t *testing.T) {
	for _, c := range []struct{ addr, dash, want string }{
		{"tcp://127.0.0.1:40123", "localhost:41793", "http://127.0.0.1:41793/status"},
		{"tcp://node7.example.com:8786", "node7:8787", "http://node7.example.com:8787/status"},
		{"tls://[fd00::1]:8786", ":8787", "http://[fd00::1]:8787/status"},
		{"tcp://h:1", "", ""},
		{"", "h:8787", ""},
		{"tcp://h:1", "h:0", ""},
	} {
		if got := discovery.DashboardURL(c.addr, c.dash); got != c.want {
			t.Errorf("DashboardURL(%q, %q) = %q, want %q", c.addr, c.dash, got, c.want)
		}
	}
}
