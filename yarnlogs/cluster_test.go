package yarnlogs

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/integration/cluster"
)

// TestJavaWrittenLargeUncompressed has Hadoop's LogWriter write a node file
// with no compression, a 400 KB log in container 1 (so its data block closes
// after it: TFile ends a block once it passes 256 KB) and a 3 MB one in
// container 2 (several value chunks), and reads it back. Too big to commit, so it is made here.
func TestJavaWrittenLargeUncompressed(t *testing.T) {
	if testing.Short() {
		t.Skip("needs Java and the minicluster build")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := cluster.Build(ctx); err != nil {
		t.Fatal(err)
	}
	dir := cluster.ProgramDir()
	cp, err := os.ReadFile(filepath.Join(dir, "target", "classpath.txt"))
	if err != nil {
		t.Fatal(err)
	}
	const big = 3_000_000
	out := filepath.Join(t.TempDir(), "node_1234")
	cmd := exec.CommandContext(ctx, "java", "-Dspindle.minicluster.log=/dev/null",
		"-cp", filepath.Join(dir, "target", "classes")+string(os.PathListSeparator)+strings.TrimSpace(string(cp)),
		"dev.spindle.minicluster.LogFixtureWriter", out, "none", "3000000", "400000")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("LogFixtureWriter: %v\n%s", err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	l, err := NewNodeLog(f, fi.Size(), fixtureApp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(l.tr.Blocks()); n < 2 {
		t.Errorf("%d data blocks, want several", n)
	}
	checkFixtureSizes(t, l, big, 400_000)
}

// TestRealClusterAggregatedLogs runs an application on the local cluster
// whose AM only echoes and exits (it never registers, so the attempt fails),
// waits for its logs to be aggregated and reads them from HDFS.
func TestRealClusterAggregatedLogs(t *testing.T) {
	c := hadoop.Get(t)
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	app, err := rm.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := app.GetApplicationId()
	appID := hadooprpc.ApplicationID(id)
	err = rm.SubmitApplication(ctx, &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   id,
		ApplicationName: proto.String("spindle-yarnlogs-test"),
		ApplicationType: proto.String("SPINDLE-TEST"),
		MaxAppAttempts:  proto.Int32(1),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(128), VirtualCores: proto.Int32(1)},
		AmContainerSpec: &yarnpb.ContainerLaunchContextProto{
			Command: []string{"/bin/sh -c 'echo hello-from-am; echo err >&2' 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep *yarnpb.ApplicationReportProto
	for {
		rep, err = rm.ApplicationReport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st := rep.GetYarnApplicationState()
		done := st == yarnpb.YarnApplicationStateProto_FINISHED || st == yarnpb.YarnApplicationStateProto_FAILED ||
			st == yarnpb.YarnApplicationStateProto_KILLED
		las := rep.GetLogAggregationStatus()
		// The RM leaves the field out before it knows; absent reads as LOG_DISABLED.
		if done && rep.LogAggregationStatus != nil && las == yarnpb.LogAggregationStatusProto_LOG_SUCCEEDED {
			break
		}
		if done && (las == yarnpb.LogAggregationStatusProto_LOG_FAILED || las == yarnpb.LogAggregationStatusProto_LOG_DISABLED) {
			t.Fatalf("%s: log aggregation %s", appID, las)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: state %s, log aggregation %s after 3 minutes", appID, st, las)
		case <-time.After(250 * time.Millisecond):
		}
	}
	t.Logf("%s ended %s, owner %s, logs aggregated", appID, rep.GetYarnApplicationState(), rep.GetUser())

	fsc, err := hadooprpc.NewHDFS(cfg, hadooprpc.Options{User: rep.GetUser()})
	if err != nil {
		t.Fatal(err)
	}
	defer fsc.Close()
	logs, err := Open(HDFS(fsc), cfg, rep.GetUser(), appID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dirs %v nodes %+v", logs.Dirs, logs.Nodes)
	if !strings.Contains(logs.Dirs[0], "/bucket-logs-tfile/") {
		t.Errorf("logs in %v, want the 3.3+ bucket layout", logs.Dirs)
	}
	amContainer := strings.Replace(appID, "application_", "container_", 1)
	found := map[string]string{}
	for _, n := range logs.Nodes {
		l, err := logs.NodeLog(n)
		if err != nil {
			t.Fatal(err)
		}
		if l.Owner != rep.GetUser() {
			t.Errorf("%s: owner %q, want %q", n.Name, l.Owner, rep.GetUser())
		}
		for {
			cid, err := l.NextContainer()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for {
				f, err := l.NextFile()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(f)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasPrefix(cid, amContainer) {
					found[f.Name] = string(b)
				}
			}
		}
		l.Close()
	}
	if found["stdout"] != "hello-from-am\n" || found["stderr"] != "err\n" {
		t.Fatalf("AM container files %q", found)
	}
}
