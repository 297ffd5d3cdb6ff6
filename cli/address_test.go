package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

func TestAddressReadsThePublishedSchedulerFile(t *testing.T) {
	confDir := useCluster(t)
	cfg, err := conf.Load(confDir)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := hadooprpc.NewHDFS(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	const id = "application_1700000000000_4242"
	p := discovery.Path(fs.User(), id)
	_ = discovery.Remove(fs, p)

	code, out, errOut := run("address", id)
	if code != ExitNotFound || out != "" || !strings.Contains(errOut, p) {
		t.Fatalf("before publishing: exit %d, stdout %q, stderr %q; want %d naming %s", code, out, errOut, ExitNotFound, p)
	}

	sf := discovery.SchedulerFile{Type: "Scheduler", ID: "Scheduler-1", Address: "tcp://node1:40123",
		Services: map[string]int{"dashboard": 41567}}
	if err := discovery.Publish(context.Background(), fs, p, sf); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = discovery.Remove(fs, p) })

	out, _ = mustRun(t, ExitOK, "address", id)
	if out != "tcp://node1:40123\n" {
		t.Fatalf("stdout %q", out)
	}
	local := filepath.Join(t.TempDir(), "scheduler.json")
	out, _ = mustRun(t, ExitOK, "address", id, "--json", "--scheduler-file", local)
	var got addressJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if want := (addressJSON{ApplicationID: id, Address: "tcp://node1:40123", DashboardAddress: "node1:41567", Path: p}); got != want {
		t.Fatalf("--json printed %+v, want %+v", got, want)
	}
	back, err := discovery.ReadLocal(local)
	if err != nil || back.Address != sf.Address {
		t.Fatalf("local scheduler file: %+v, %v", back, err)
	}
	if st, _ := os.Stat(local); st.Mode().Perm() != 0o644 {
		t.Errorf("local scheduler file mode %v", st.Mode().Perm())
	}
}

func TestAddressUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"address"}, {"address", "not-an-app"}, {"address", "a", "b"}} {
		if code, _, errOut := run(args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut)
		}
	}
}

func TestContainerOutsideYARNExplainsWhatIsMissing(t *testing.T) {
	for _, k := range []string{"SPINDLE_AM_URL", "SPINDLE_ROLE", "SPINDLE_COMMAND", "CONTAINER_ID", "HADOOP_TOKEN_FILE_LOCATION"} {
		t.Setenv(k, "")
	}
	code, out, errOut := run("container")
	if code != ExitError || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	for _, k := range []string{"SPINDLE_AM_URL", "SPINDLE_COMMAND", "CONTAINER_ID", "HADOOP_TOKEN_FILE_LOCATION", "application master"} {
		if !strings.Contains(errOut, k) {
			t.Errorf("stderr does not name %s: %s", k, errOut)
		}
	}
	if _, help, _ := run("--help"); !strings.Contains(help, "address") || strings.Contains(help, "\n  container ") {
		t.Error("container shows in help; it is for the AM only")
	}
}
