package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/integration/cluster"
	"github.com/spindle-yarn/spindle/yarnlogs"
)

// TestLogsIndexedFormat starts a cluster whose NodeManagers aggregate logs
// in the indexed format (yarn.log-aggregation.file-formats=IFile,TFile: IFile
// written, both read), runs a Dask application and checks `spindle logs`
// prints byte for byte what Hadoop's `yarn logs` does.
func TestLogsIndexedFormat(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local Hadoop cluster; run without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{LogFormat: "IFile,TFile"})
	if err != nil {
		t.Fatalf("start the IFile cluster: %v", err)
	}
	defer func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	}()
	t.Setenv("HADOOP_CONF_DIR", c.ConfDir)
	t.Setenv("YARN_CONF_DIR", "")
	t.Setenv("SPINDLE_HOME", t.TempDir())

	sub := daskLogsMatchLogsCLI(t, ctx, c.ConfDir)

	// The logs were in the indexed format, under bucket-logs-ifile.
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	fsc, err := hadooprpc.NewHDFS(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsc.Close()
	app, err := yarnlogs.Open(yarnlogs.HDFS(fsc), cfg, "", sub.AppID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range app.Nodes {
		if n.Format != yarnlogs.FormatIFile {
			t.Errorf("node file %s in the %s layout, want IFile", n.Path, n.Format)
		}
		l, err := app.NodeLog(n)
		if err != nil {
			t.Fatalf("%s: %v", n.Path, err)
		}
		if l.Indexed == nil {
			t.Errorf("%s is not an IndexedFile", n.Path)
		}
		l.Close()
	}
	if len(app.Nodes) == 0 {
		t.Error("no node files")
	}
}

// TestLiveLogsMatchLogsCLI: while an application runs, `spindle logs`
// prints byte for byte what `yarn logs` prints from the NodeManagers: the
// same order of containers and files, and the same blank lines.
func TestLiveLogsMatchLogsCLI(t *testing.T) {
	useCluster(t)
	c := hadoop.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The AM never registers: YARN ends the attempt after the AM expiry
	// interval (60s), time enough for both reads. It writes nothing after
	// its first lines, so both see the same bytes.
	appID := submitShellAM(t, ctx, c.ConfDir, `echo hello; echo to-stderr >&2; sleep 120`)
	defer spindle(t, context.Background(), "kill", appID)
	for {
		r := spindle(t, ctx, "logs", appID)
		if r.code == 0 && strings.Contains(r.stdout, "hello\n") && strings.Contains(r.stdout, "to-stderr\n") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no live logs with both lines in time: last exit %d", r.code)
		}
		time.Sleep(300 * time.Millisecond)
	}
	theirs := logsCLI(t, ctx, c.ConfDir, "-applicationId", appID)
	r := spindle(t, ctx, "logs", appID)
	if r.code != 0 {
		t.Fatalf("spindle logs: exit %d", r.code)
	}
	if !strings.Contains(r.stdout, "LogAggregationType: LOCAL") {
		t.Fatalf("not live logs:\n%s", r.stdout)
	}
	if r.stdout != string(theirs) {
		t.Errorf("spindle logs differs from yarn logs while running:\n--- spindle\n%s\n--- yarn logs\n%s", r.stdout, theirs)
	}
}
