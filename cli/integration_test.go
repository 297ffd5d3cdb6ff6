package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// useCluster points the commands at the local cluster's configuration.
func useCluster(t *testing.T) string {
	t.Helper()
	c := hadoop.Get(t)
	t.Setenv("HADOOP_CONF_DIR", c.ConfDir)
	t.Setenv("YARN_CONF_DIR", "")
	return c.ConfDir
}

// mustRun runs spindle and fails the test unless it exits with want.
func mustRun(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errOut := run(args...)
	if code != want {
		t.Fatalf("spindle %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out, errOut)
	}
	return out, errOut
}

// submitSleeper submits, as another client would, an application whose AM
// runs `sleep 600`: it never registers, so it stays ACCEPTED until killed.
// The test's cleanup kills it.
func submitSleeper(t *testing.T, confDir, name string, tags ...string) (string, *hadooprpc.ResourceManager) {
	t.Helper()
	return submitAM(t, confDir, "SPINDLE-CLI-TEST", name, 1, "sleep 600", tags...)
}

// submitAM submits an application of this type whose AM container runs
// command (a shell command line), with up to attempts attempts. The test's
// cleanup kills it.
func submitAM(t *testing.T, confDir, appType, name string, attempts int32, command string, tags ...string) (string, *hadooprpc.ResourceManager) {
	t.Helper()
	cfg, err := conf.Load(confDir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	app, err := rm.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := app.GetApplicationId()
	sub := &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   id,
		ApplicationName: proto.String(name),
		ApplicationType: proto.String(appType),
		ApplicationTags: tags,
		MaxAppAttempts:  proto.Int32(attempts),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(128), VirtualCores: proto.Int32(1)},
		AmContainerSpec: &yarnpb.ContainerLaunchContextProto{
			Command: []string{command + " 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
		},
	}
	if err := rm.SubmitApplication(ctx, sub); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := rm.KillApplication(ctx, id, "test cleanup"); err != nil && !errors.Is(err, hadooprpc.ErrApplicationNotFound) {
			t.Errorf("cleanup: %v", err)
		}
		rm.Close()
	})
	return hadooprpc.ApplicationID(id), rm
}

func TestClusterNodesListsBothNodeManagers(t *testing.T) {
	useCluster(t)
	c := hadoop.Get(t)
	out, _ := mustRun(t, ExitOK, "cluster", "nodes")
	if !strings.HasPrefix(out, "ID ") || !strings.Contains(out, "RUNNING") {
		t.Errorf("table:\n%s", out)
	}
	for _, n := range c.NodeManagers {
		if !strings.Contains(out, n.ID) {
			t.Errorf("node %s missing from the table:\n%s", n.ID, out)
		}
	}

	out, _ = mustRun(t, ExitOK, "cluster", "nodes", "--json")
	var nodes []map[string]any
	if err := json.Unmarshal([]byte(out), &nodes); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if len(nodes) != 2 {
		t.Fatalf("--json: %d nodes, want 2:\n%s", len(nodes), out)
	}
	for _, n := range nodes {
		if n["state"] != "RUNNING" || n["memory_total_mb"] != 4096.0 || n["vcores_total"] != 8.0 || n["http_address"] == "" || n["rack"] != "/default-rack" {
			t.Errorf("node: %v", n)
		}
	}

	// A state filter: no NodeManager is LOST.
	out, errOut := mustRun(t, ExitOK, "cluster", "nodes", "--state", "lost,decommissioned")
	if out != "" || !strings.Contains(errOut, "no NodeManagers match") {
		t.Errorf("--state lost: stdout %q, stderr %q", out, errOut)
	}
	mustRun(t, ExitUsage, "cluster", "nodes", "--state", "sleepy")
}

func TestClusterInfoShowsDefaultQueue(t *testing.T) {
	useCluster(t)
	out, _ := mustRun(t, ExitOK, "cluster", "info")
	if !strings.Contains(out, "NodeManagers: 2 total, 2 active") || !strings.Contains(out, "  default  RUNNING") {
		t.Errorf("cluster info:\n%s", out)
	}
	out, _ = mustRun(t, ExitOK, "cluster", "info", "--json")
	var info clusterInfoJSON
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if info.NodeManagers.Active != 2 || info.Queues.Name != "root" || len(info.Queues.Children) != 1 {
		t.Fatalf("cluster info --json: %+v", info)
	}
	d := info.Queues.Children[0]
	if d.Name != "default" || d.Path != "root.default" || d.State != "RUNNING" || d.CapacityPercent != 100 {
		t.Errorf("default queue: %+v", d)
	}
}

// An application submitted by another client: list shows it, status
// describes it, kill kills it and a second kill says it has already ended.
func TestListStatusKillAnotherClientsApplication(t *testing.T) {
	confDir := useCluster(t)
	tag := fmt.Sprintf("cli-test-%d", time.Now().UnixNano())
	id, _ := submitSleeper(t, confDir, "cli-sleeper", tag)

	out, _ := mustRun(t, ExitOK, "list")
	t.Logf("list:\n%s", out)
	if !strings.Contains(out, id) || !strings.Contains(out, "cli-sleeper") {
		t.Fatalf("list (active) does not show %s:\n%s", id, out)
	}
	out, _ = mustRun(t, ExitOK, "list", "--json", "--type", "SPINDLE-CLI-TEST", "--tag", strings.ToUpper(tag), "--name", "cli-sleeper", "--queue", "default")
	var apps []appJSON
	if err := json.Unmarshal([]byte(out), &apps); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(apps) != 1 || apps[0].ID != id || apps[0].Type != "SPINDLE-CLI-TEST" || !sameQueue(apps[0].Queue, "default") ||
		apps[0].StartedAt == nil || len(apps[0].Tags) != 1 || apps[0].Tags[0] != tag {
		t.Fatalf("list --json with filters: %+v", apps)
	}
	for _, args := range [][]string{
		{"list", "--json", "--name", "another-name"},
		{"list", "--json", "--state", "finished,killed"},
		{"list", "--json", "--tag", "no-such-tag"},
		{"list", "--json", "--queue", "no-such-queue"},
	} {
		out, _ = mustRun(t, ExitOK, args...)
		if strings.Contains(out, id) {
			t.Errorf("%v lists %s:\n%s", args, id, out)
		}
	}

	// Wait until the AM container runs, so kill has a container to stop.
	var a appJSON
	for deadline := time.Now().Add(time.Minute); ; {
		out, _ = mustRun(t, ExitOK, "status", "--json", id)
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		if a.LaunchedAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("AM container of %s not running after a minute: %+v", id, a)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if a.Resources.UsedContainers != 1 || a.Resources.UsedMemoryMB < 128 || a.Resources.UsedVcores != 1 {
		t.Errorf("status --json of a launched AM: %+v", a)
	}

	out, _ = mustRun(t, ExitOK, "status", id)
	t.Logf("status:\n%s", out)
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"ID: " + id, "Name: cli-sleeper", "Type: SPINDLE-CLI-TEST", "Queue: root.default",
		"Final status: UNDEFINED", "Tracking URL: http", "Attempts: 1 (current appattempt_", "Tags: " + tag, "Log aggregation: "} {
		if !strings.Contains(flat, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	out, _ = mustRun(t, ExitOK, "status", "--json", id)
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	if a.ID != id || (a.State != "ACCEPTED" && a.State != "RUNNING") || a.Attempts != 1 || a.StartedAt == nil || a.FinishedAt != nil {
		t.Fatalf("status --json: %+v", a)
	}

	out, errOut := mustRun(t, ExitOK, "kill", id, "--diagnostics", "killed by the cli test")
	if out != "Killed "+id+"\n" || !strings.Contains(errOut, "waiting for the ResourceManager") {
		t.Fatalf("kill: stdout %q, stderr %q", out, errOut)
	}
	out, _ = mustRun(t, ExitOK, "status", "--json", id)
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	t.Logf("status --json after kill:\n%s", out)
	if a.State != "KILLED" || a.FinalStatus != "KILLED" || a.FinishedAt == nil || !strings.Contains(a.Diagnostics, "killed by the cli test") {
		t.Fatalf("after kill: %+v", a)
	}
	out, errOut = mustRun(t, ExitAlreadyFinished, "kill", id)
	if out != "" || !strings.Contains(errOut, "had already ended (state KILLED") {
		t.Fatalf("second kill: stdout %q, stderr %q", out, errOut)
	}
	out, _ = mustRun(t, ExitAlreadyFinished, "kill", "--json", id)
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.State != "KILLED" {
		t.Fatalf("second kill --json: %v %+v", err, a)
	}
	out, _ = mustRun(t, ExitOK, "list", "--state", "KILLED", "--type", "SPINDLE-CLI-TEST")
	if !strings.Contains(out, id) {
		t.Fatalf("list --state KILLED does not show %s:\n%s", id, out)
	}
	out, _ = mustRun(t, ExitOK, "list", "--all", "--json", "--limit", "1", "--type", "SPINDLE-CLI-TEST")
	if err := json.Unmarshal([]byte(out), &apps); err != nil || len(apps) != 1 {
		t.Fatalf("list --limit 1: %v\n%s", err, out)
	}
}

func TestUnknownApplication(t *testing.T) {
	useCluster(t)
	for _, cmd := range []string{"status", "kill"} {
		out, errOut := mustRun(t, ExitNotFound, cmd, "application_1_0042")
		if out != "" || !strings.Contains(errOut, "application application_1_0042 not found") {
			t.Errorf("%s of an unknown id: stdout %q, stderr %q", cmd, out, errOut)
		}
		_, errOut = mustRun(t, ExitUsage, cmd, "app_42")
		if !strings.Contains(errOut, "application_<cluster timestamp>_<number>") {
			t.Errorf("%s of a malformed id: stderr %q", cmd, errOut)
		}
	}
}
