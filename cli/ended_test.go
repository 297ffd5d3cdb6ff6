package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/integration/cluster"
)

// appReportOf reads an application's report from the ResourceManager.
func appReportOf(t *testing.T, rm *hadooprpc.ResourceManager, id string) *yarnpb.ApplicationReportProto {
	t.Helper()
	appID, err := hadooprpc.ParseApplicationID(id)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := rm.ApplicationReport(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// awaitState polls until the application is in state, for up to 3 minutes.
func awaitState(t *testing.T, rm *hadooprpc.ResourceManager, id string, state yarnpb.YarnApplicationStateProto) *yarnpb.ApplicationReportProto {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		rep := appReportOf(t, rm, id)
		if rep.GetYarnApplicationState() == state {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still %s after 3 minutes, want %s", id, rep.GetYarnApplicationState(), state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// killApp kills an application through the ResourceManager, as YARN or
// another client would (no spindle cleanup), and waits until it is KILLED.
func killApp(t *testing.T, rm *hadooprpc.ResourceManager, id string) {
	t.Helper()
	appID, _ := hadooprpc.ParseApplicationID(id)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := rm.KillApplication(ctx, appID, "killed by the test"); err != nil {
		t.Fatal(err)
	}
	awaitState(t, rm, id, yarnpb.YarnApplicationStateProto_KILLED)
}

func testHDFS(t *testing.T, confDir string) *hdfs.Client {
	t.Helper()
	cfg, err := conf.Load(confDir)
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

// TestStopBeforeStart: `spindle stop` on an application whose application
// master is not up (ACCEPTED) kills it with the diagnostic "stopped before
// start" and exits 0; it used to exit 1 and let the application start
// later. Stopping it again exits 5: it has ended.
func TestStopBeforeStart(t *testing.T) {
	confDir := useCluster(t)
	t.Setenv("SPINDLE_HOME", t.TempDir())
	id, rm := submitSleeper(t, confDir, "stop-before-start")
	awaitState(t, rm, id, yarnpb.YarnApplicationStateProto_ACCEPTED)

	_, errOut := mustRun(t, ExitOK, "stop", id)
	if !strings.Contains(errOut, "stopped before start") {
		t.Errorf("stop said %q; want it to say the application was stopped before start", errOut)
	}
	rep := appReportOf(t, rm, id)
	if rep.GetYarnApplicationState() != yarnpb.YarnApplicationStateProto_KILLED || !strings.Contains(rep.GetDiagnostics(), "stopped before start") {
		t.Fatalf("after stop: %s, diagnostics %q; want KILLED, stopped before start", rep.GetYarnApplicationState(), rep.GetDiagnostics())
	}
	mustRun(t, ExitAlreadyFinished, "stop", id)
}

// leaveFiles makes what a Spindle application whose AM died leaves behind:
// its staging folder with the secret and its discovery folder on HDFS, and
// its local folder. It returns them.
func leaveFiles(t *testing.T, fs *hdfs.Client, home, id string) []string {
	t.Helper()
	staging := path.Join("/user", fs.User(), ".spindle", "staging", id)
	apps := path.Join("/user", fs.User(), ".spindle", "apps", id)
	local := filepath.Join(home, "apps", id)
	for _, d := range []string{staging, apps} {
		if err := fs.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.CreateEmptyFile(path.Join(staging, "secret")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(local, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "secret"), []byte("00\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = fs.RemoveAll(staging)
		_ = fs.RemoveAll(apps)
	})
	return []string{staging, apps, local}
}

// exist returns which of paths exist (HDFS paths start with /user/).
func exist(t *testing.T, fs *hdfs.Client, home string, paths []string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		var err error
		if strings.HasPrefix(p, home) {
			_, err = os.Stat(p)
		} else {
			_, err = fs.Stat(p)
		}
		if err == nil {
			out = append(out, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return out
}

// TestStatusAndGCRemoveWhatEndedApplicationsLeft: the files of ended
// Spindle applications (on HDFS the staging folder holding the secret and
// the discovery folder, locally ~/.spindle/apps/<id>) are removed by
// `status` for the application it shows, and by `gc` for all; running
// applications keep theirs, and so do unknown ones younger than an hour.
func TestStatusAndGCRemoveWhatEndedApplicationsLeft(t *testing.T) {
	confDir := useCluster(t)
	home := t.TempDir()
	t.Setenv("SPINDLE_HOME", home)
	fs := testHDFS(t, confDir)

	a, rm := submitAM(t, confDir, client.ApplicationType, "gc-a", 1, "sleep 600")
	b, _ := submitAM(t, confDir, client.ApplicationType, "gc-b", 1, "sleep 600")
	running, _ := submitAM(t, confDir, client.ApplicationType, "gc-running", 1, "sleep 600")
	const unknownOld, unknownNew = "application_1000000000000_0001", "application_1000000000000_0002"
	files := map[string][]string{}
	for _, id := range []string{a, b, running, unknownOld, unknownNew} {
		files[id] = leaveFiles(t, fs, home, id)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range files[unknownOld] {
		var err error
		if strings.HasPrefix(p, home) {
			err = os.Chtimes(p, old, old)
		} else {
			err = fs.Chtimes(p, old, old)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	killApp(t, rm, a)
	killApp(t, rm, b)

	out, errOut := mustRun(t, ExitOK, "status", a)
	if !strings.Contains(out, "KILLED") || !strings.Contains(errOut, "removed") {
		t.Errorf("status: stdout %q, stderr %q", out, errOut)
	}
	if left := exist(t, fs, home, files[a]); len(left) > 0 {
		t.Fatalf("status of ended %s left %v", a, left)
	}
	if left := exist(t, fs, home, files[b]); len(left) != 3 {
		t.Fatalf("status of %s removed files of %s: %v left", a, b, left)
	}

	out, _ = mustRun(t, ExitOK, "gc", "--json")
	var got gcJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("gc --json: %v\n%s", err, out)
	}
	find := func(list []gcEntryJSON, id string) *gcEntryJSON {
		i := slices.IndexFunc(list, func(e gcEntryJSON) bool { return e.AppID == id })
		if i < 0 {
			return nil
		}
		return &list[i]
	}
	if e := find(got.Removed, b); e == nil || e.State != "KILLED" || len(e.Paths) != 3 {
		t.Errorf("gc --json: %s not removed as KILLED with its 3 folders: %+v", b, got)
	}
	if e := find(got.Removed, unknownOld); e == nil || e.State != "UNKNOWN" {
		t.Errorf("gc --json: %s (unknown, 2 hours old) not removed: %+v", unknownOld, got)
	}
	if e := find(got.Kept, running); e == nil || e.State != "ACCEPTED" {
		t.Errorf("gc --json: running %s not kept: %+v", running, got)
	}
	if e := find(got.Kept, unknownNew); e == nil || e.State != "UNKNOWN" {
		t.Errorf("gc --json: %s (unknown, new) not kept: %+v", unknownNew, got)
	}
	for id, want := range map[string]int{b: 0, unknownOld: 0, running: 3, unknownNew: 3} {
		if left := exist(t, fs, home, files[id]); len(left) != want {
			t.Errorf("after gc, %s has %v left, want %d folders", id, left, want)
		}
	}
}

// TestCommandsHonourTimeoutAgainstSilentNameNode: with a NameNode that
// accepts connections and never answers (and the real ResourceManager),
// address and submit end with exit 6 at --timeout, and status, whose
// cleanup of an ended application cannot reach HDFS, only warns.
func TestCommandsHonourTimeoutAgainstSilentNameNode(t *testing.T) {
	confDir := useCluster(t)
	t.Setenv("SPINDLE_HOME", t.TempDir())
	accepted, rm := submitSleeper(t, confDir, "silent-nn")
	ended, _ := submitAM(t, confDir, client.ApplicationType, "silent-nn-ended", 1, "sleep 600")
	awaitState(t, rm, accepted, yarnpb.YarnApplicationStateProto_ACCEPTED)
	killApp(t, rm, ended)
	t.Setenv("YARN_CONF_DIR", cluster.SilentNameNode(t)) // overrides fs.defaultFS only

	for _, args := range [][]string{{"address", accepted, "--timeout", "3s"}, {"submit", "--timeout", "5s"}} {
		code, _, errOut := runWithin(t, 3*time.Minute, args...)
		if code != ExitTimeout || !strings.Contains(errOut, "within --timeout") {
			t.Errorf("spindle %s: exit %d, stderr %q; want exit 6", strings.Join(args, " "), code, errOut)
		}
	}
	code, out, errOut := runWithin(t, 3*time.Minute, "status", ended, "--timeout", "5s")
	if code != ExitOK || !strings.Contains(out, "KILLED") || !strings.Contains(errOut, "warning") {
		t.Errorf("status of an ended application with HDFS silent: exit %d, stdout %q, stderr %q; want exit 0, the report and a warning", code, out, errOut)
	}
}
