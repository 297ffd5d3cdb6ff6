package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/discovery"
)

// TestAddressReadsThePublishedSchedulerFile: address reads the scheduler
// file of an application that runs; once the application has ended it
// exits 5 with the state instead of a dead address, and removes the file.
func TestAddressReadsThePublishedSchedulerFile(t *testing.T) {
	confDir := useCluster(t)
	t.Setenv("SPINDLE_HOME", t.TempDir())
	fs := testHDFS(t, confDir)
	id, rm := submitSleeper(t, confDir, "address-test")
	p := discovery.Path(fs.User(), id)

	code, out, errOut := run("address", id)
	if code != ExitNotFound || out != "" || !strings.Contains(errOut, p) {
		t.Fatalf("before publishing: exit %d, stdout %q, stderr %q; want %d naming %s", code, out, errOut, ExitNotFound, p)
	}

	sf := discovery.SchedulerFile{Type: "Scheduler", ID: "Scheduler-1", Address: "tcp://node1:40123",
		Services: map[string]int{"dashboard": 41567}}
	if err := discovery.Publish(context.Background(), fs, p, sf); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.RemoveAll(path.Dir(p)) })

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
	if want := (addressJSON{ApplicationID: id, Address: "tcp://node1:40123", DashboardAddress: "http://node1:41567/status", Path: p}); got != want {
		t.Fatalf("--json printed %+v, want %+v", got, want)
	}
	back, err := discovery.ReadLocal(local)
	if err != nil || back.Address != sf.Address {
		t.Fatalf("local scheduler file: %+v, %v", back, err)
	}
	if st, _ := os.Stat(local); st.Mode().Perm() != 0o644 {
		t.Errorf("local scheduler file mode %v", st.Mode().Perm())
	}

	// The application ends (its AM died, or YARN killed it): the file
	// stays, but address says it has ended, and removes it.
	killApp(t, rm, id)
	code, out, errOut = run("address", id)
	if code != ExitAlreadyFinished || out != "" || !strings.Contains(errOut, "KILLED") {
		t.Fatalf("after the application ended: exit %d, stdout %q, stderr %q; want %d and KILLED", code, out, errOut, ExitAlreadyFinished)
	}
	if _, err := fs.Stat(path.Dir(p)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the ended application's discovery folder %s: %v, want it removed", path.Dir(p), err)
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
