package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/integration/cluster"
	"github.com/spindle-yarn/spindle/integration/pyenv"
	"github.com/spindle-yarn/spindle/logs"
)

// submitShellAM submits an application whose AM container only runs a
// shell command (it never registers, so YARN fails the attempt when it
// exits) and returns its id.
func submitShellAM(t *testing.T, ctx context.Context, confDir, script string) string {
	t.Helper()
	cfg, err := conf.Load(confDir)
	if err != nil {
		t.Fatal(err)
	}
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
	err = rm.SubmitApplication(ctx, &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   id,
		ApplicationName: proto.String("spindle-logs-test"),
		ApplicationType: proto.String("SPINDLE-TEST"),
		MaxAppAttempts:  proto.Int32(1),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(128), VirtualCores: proto.Int32(1)},
		AmContainerSpec: &yarnpb.ContainerLaunchContextProto{
			Command: []string{"/bin/sh -c '" + script + "' 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return hadooprpc.ApplicationID(id)
}

// logsCLI runs Hadoop's own `yarn logs` (LogsCLI) from the local cluster's
// classpath; the conf folder first on the classpath is how it finds the
// cluster.
func logsCLI(t *testing.T, ctx context.Context, confDir string, args ...string) []byte {
	t.Helper()
	dir := cluster.ProgramDir()
	cp, err := os.ReadFile(filepath.Join(dir, "target", "classpath.txt"))
	if err != nil {
		t.Fatal(err)
	}
	classpath := strings.Join([]string{confDir, filepath.Join(dir, "target", "classes"), strings.TrimSpace(string(cp))}, string(os.PathListSeparator))
	cmd := exec.CommandContext(ctx, "java", append([]string{"-Dspindle.minicluster.log=/dev/null", "-cp", classpath,
		"org.apache.hadoop.yarn.client.cli.LogsCLI"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("LogsCLI %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

type fileKey struct{ container, file string }

func parseLogs(t *testing.T, what string, b []byte) map[fileKey]string {
	t.Helper()
	secs, err := logs.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s output: %v", what, err)
	}
	m := map[fileKey]string{}
	for _, s := range secs {
		k := fileKey{s.Container, s.File}
		if _, dup := m[k]; dup {
			t.Errorf("%s printed %v twice", what, k)
		}
		m[k] = string(s.Contents)
	}
	return m
}

// compareWithLogsCLI checks that `spindle logs` prints the same containers,
// files and contents as Hadoop's LogsCLI, and in fact the same bytes.
func compareWithLogsCLI(t *testing.T, ctx context.Context, confDir, appID string) map[fileKey]string {
	t.Helper()
	r := spindle(t, ctx, "logs", appID, "--timeout", "2m")
	if r.code != 0 {
		t.Fatalf("spindle logs: exit %d: %s", r.code, r.stderr)
	}
	ours := parseLogs(t, "spindle logs", []byte(r.stdout))
	theirs := parseLogs(t, "LogsCLI", logsCLI(t, ctx, confDir, "-applicationId", appID))
	if len(ours) == 0 {
		t.Fatal("spindle logs printed nothing")
	}
	for k, v := range theirs {
		if got, ok := ours[k]; !ok {
			t.Errorf("%s %s: printed by LogsCLI, not by spindle logs", k.container, k.file)
		} else if got != v {
			t.Errorf("%s %s: contents differ: spindle %d bytes, LogsCLI %d bytes", k.container, k.file, len(got), len(v))
		}
	}
	for k := range ours {
		if _, ok := theirs[k]; !ok {
			t.Errorf("%s %s: printed by spindle logs, not by LogsCLI", k.container, k.file)
		}
	}
	if !t.Failed() {
		raw := logsCLI(t, ctx, confDir, "-applicationId", appID)
		if !bytes.Equal(raw, []byte(r.stdout)) {
			t.Errorf("same sections, but the bytes differ from LogsCLI's (headers?)")
		}
	}
	t.Logf("%s: %d files in %d containers, same as LogsCLI", appID, len(ours), countContainers(ours))
	return ours
}

func countContainers(m map[fileKey]string) int {
	seen := map[string]bool{}
	for k := range m {
		seen[k.container] = true
	}
	return len(seen)
}

type daskApp struct {
	AppID   string `json:"app_id"`
	Address string `json:"scheduler_address"`
}

// daskLogsMatchLogsCLI runs a Dask application with 2 workers to its end
// and compares its logs with LogsCLI's.
func daskLogsMatchLogsCLI(t *testing.T, ctx context.Context, confDir string) daskApp {
	t.Helper()
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", spindleBinary(t), daskSpec(t, 2))
	if r.code != 0 {
		t.Fatalf("submit --wait: exit %d", r.code)
	}
	var sub daskApp
	mustJSON(t, r.stdout, &sub)
	defer spindle(t, context.Background(), "kill", sub.AppID)
	if got := daskSum(t, ctx, sub.Address, 2); got != wantSum {
		t.Fatalf("dask sum = %s", got)
	}
	if r := spindle(t, ctx, "stop", "--wait", sub.AppID); r.code != 0 {
		t.Fatalf("stop --wait: exit %d", r.code)
	}
	got := compareWithLogsCLI(t, ctx, confDir, sub.AppID)
	if n := countContainers(got); n < 4 {
		t.Errorf("%d containers with logs, want the AM, the scheduler and 2 workers", n)
	}
	return sub
}

// TestLogsMatchLogsCLI: for applications that ran on the local cluster,
// `spindle logs` prints what Hadoop's `yarn logs` prints.
func TestLogsMatchLogsCLI(t *testing.T) {
	useCluster(t)
	c := hadoop.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	t.Run("shell AM", func(t *testing.T) {
		appID := submitShellAM(t, ctx, c.ConfDir, `echo hello-from-am; echo line2; printf no-newline; echo to-stderr >&2`)
		// The AM never registers, so YARN fails the attempt: exit 7.
		if r := spindle(t, ctx, "wait", appID, "--for", "finished"); r.code != 7 {
			t.Fatalf("wait --for finished: exit %d, want 7 (FAILED)", r.code)
		}
		got := compareWithLogsCLI(t, ctx, c.ConfDir, appID)
		am := strings.Replace(appID, "application_", "container_", 1) + "_01_000001"
		if got[fileKey{am, "stdout"}] != "hello-from-am\nline2\nno-newline" || got[fileKey{am, "stderr"}] != "to-stderr\n" {
			t.Errorf("AM files: stdout %q stderr %q", got[fileKey{am, "stdout"}], got[fileKey{am, "stderr"}])
		}
		// Filters and --tail.
		r := spindle(t, ctx, "logs", appID, "--file", "stdout", "--tail", "1")
		secs := parseLogs(t, "spindle logs --tail", []byte(r.stdout))
		if r.code != 0 || len(secs) != 1 || secs[fileKey{am, "stdout"}] != "no-newline" {
			t.Errorf("--file stdout --tail 1: exit %d, %q", r.code, secs)
		}
		if r := spindle(t, ctx, "logs", appID, "--container", am+"9"); r.code != 3 {
			t.Errorf("unknown container: exit %d, want 3", r.code)
		}
		if r := spindle(t, ctx, "logs", appID, "--file", "nosuch"); r.code != 3 {
			t.Errorf("unknown file: exit %d, want 3", r.code)
		}
	})

	t.Run("dask", func(t *testing.T) {
		sub := daskLogsMatchLogsCLI(t, ctx, c.ConfDir)
		// --service from the AM's log: 2 workers, each registered to the scheduler.
		r := spindle(t, ctx, "logs", sub.AppID, "--service", "worker", "--file", "stderr")
		ws := parseLogs(t, "--service worker", []byte(r.stdout))
		if r.code != 0 || len(ws) != 2 {
			t.Fatalf("--service worker --file stderr: exit %d, %d files", r.code, len(ws))
		}
		for k, v := range ws {
			if !strings.Contains(v, "Registered to:") || !strings.Contains(v, sub.Address) {
				t.Errorf("%s stderr has no 'Registered to: %s'", k.container, sub.Address)
			}
		}
		r = spindle(t, ctx, "logs", sub.AppID, "--service", "scheduler", "--file", "stderr")
		if ss := parseLogs(t, "--service scheduler", []byte(r.stdout)); r.code != 0 || len(ss) != 1 {
			t.Errorf("--service scheduler: exit %d, %d files", r.code, len(ss))
		}
	})
}

// TestLiveLogs reads a running application's logs from its NodeManager,
// then follows it to its end.
func TestLiveLogs(t *testing.T) {
	useCluster(t)
	c := hadoop.Get(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	// No shell variables: the NodeManager's launch script expands them.
	ticks := strings.TrimSpace(strings.Repeat("x ", 10))
	appID := submitShellAM(t, ctx, c.ConfDir, `echo hello; echo to-stderr >&2; for a in `+ticks+`; do echo tick; sleep 1; done; printf bye`)
	am := strings.Replace(appID, "application_", "container_", 1) + "_01_000001"

	// Running: LOCAL sections from the NodeManager.
	var live map[fileKey]string
	for {
		r := spindle(t, ctx, "logs", appID, "--file", "stdout,stderr")
		if r.code == 0 {
			live = parseLogs(t, "live", []byte(r.stdout))
			if strings.Contains(live[fileKey{am, "stdout"}], "tick\n") {
				if !strings.Contains(r.stdout, "LogAggregationType: LOCAL") || !strings.Contains(r.stdout, "belongs to a running container") {
					t.Errorf("live output is not LOCAL/running:\n%s", r.stdout)
				}
				break
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("no live logs with a tick in time: last exit %d", r.code)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !strings.HasPrefix(live[fileKey{am, "stdout"}], "hello\ntick\n") || live[fileKey{am, "stderr"}] != "to-stderr\n" || len(live) != 2 {
		t.Fatalf("live files %q", live)
	}
	r := spindle(t, ctx, "logs", appID, "--file", "stdout", "--tail", "1", "--service", "appmaster")
	if tail := parseLogs(t, "live --tail", []byte(r.stdout)); r.code != 0 || tail[fileKey{am, "stdout"}] != "tick\n" {
		t.Errorf("live --tail 1: exit %d %q", r.code, tail)
	}

	// Follow to the end: the first section plus what follows is the whole
	// file, as aggregated afterwards.
	r = spindle(t, ctx, "logs", appID, "--follow", "--file", "stdout", "--interval", "500ms")
	if r.code != 0 {
		t.Fatalf("--follow: exit %d", r.code)
	}
	marker := fmt.Sprintf("\n==> %s stdout <==\n", am)
	first, rest, _ := strings.Cut(r.stdout, marker)
	secs := parseLogs(t, "follow's first part", []byte(first))
	followed := secs[fileKey{am, "stdout"}] + strings.ReplaceAll(rest, marker, "")
	final := spindle(t, ctx, "logs", appID, "--file", "stdout")
	agg := parseLogs(t, "aggregated", []byte(final.stdout))[fileKey{am, "stdout"}]
	if !strings.HasSuffix(agg, "tick\nbye") || followed != agg {
		t.Errorf("followed %q, aggregated %q", followed, agg)
	}
}

// TestLiveLogsAcrossNodeManagers: a running Dask application with containers
// on both NodeManagers. `spindle logs` prints every container's logs, each
// from its own NodeManager, and exits 0. The scheduler's dashboard works
// (bokeh is in the environment).
func TestLiveLogsAcrossNodeManagers(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Three 1.5 GiB workers do not fit in one 4 GiB NodeManager: YARN must
	// use both.
	const workers = 3
	r := spindle(t, ctx, "submit", "--wait", "--json", "--binary", bin, "--worker-memory", "1536MiB", daskSpec(t, workers))
	if r.code != 0 {
		t.Fatalf("submit --wait: exit %d", r.code)
	}
	var sub struct {
		AppID     string `json:"app_id"`
		Address   string `json:"scheduler_address"`
		Dashboard string `json:"dashboard_address"`
	}
	mustJSON(t, r.stdout, &sub)
	defer spindle(t, context.Background(), "kill", sub.AppID)
	if got := daskSum(t, ctx, sub.Address, workers); got != wantSum {
		t.Fatalf("dask sum = %s", got)
	}
	checkDashboard(t, ctx, sub.Dashboard)

	// The scheduler has the workers; each runtime reports ready when it
	// next asks the scheduler (its polls slow down to every 2 s).
	var cs []appmaster.ContainerStatus
	eventually(t, 3*time.Minute, "3 ready workers", func() (bool, string) {
		cs = containers(t, ctx, sub.AppID)
		return count(cs, "worker", "ready") == workers, summary(cs)
	})
	nodeOf := map[string]string{}
	nodes := map[string]bool{}
	for _, c := range cs {
		if c.State == "completed" {
			t.Fatalf("container %s completed: %s", c.ID, summary(cs))
		}
		nodeOf[c.ID] = c.Node
		nodes[c.Node] = true
	}
	if n := count(cs, "worker", "ready"); n != workers || len(nodes) < 2 {
		t.Fatalf("want %d ready workers on 2 NodeManagers; have %s on %v", workers, summary(cs), nodes)
	}

	r = spindle(t, ctx, "logs", sub.AppID, "--file", "stderr")
	if r.code != 0 {
		t.Fatalf("spindle logs: exit %d, want 0: %s", r.code, r.stderr)
	}
	secs, err := logs.Parse(strings.NewReader(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{}
	for _, s := range secs {
		printed[s.Container] = s.Node
		if s.Type != logs.Local {
			t.Errorf("%s: %s section, want LOCAL", s.Container, s.Type)
		}
	}
	for id, node := range nodeOf {
		if got, ok := printed[id]; !ok {
			t.Errorf("%s (on %s): no stderr printed", id, node)
		} else if got != node {
			t.Errorf("%s: printed as on %s; it runs on %s", id, got, node)
		}
	}
	am := strings.Replace(sub.AppID, "application_", "container_", 1) + "_01_000001"
	if _, ok := printed[am]; !ok {
		t.Errorf("the application master's container %s: no stderr printed", am)
	}
}

// checkDashboard fetches the Dask dashboard's /status page: it must answer
// 200 with the dashboard itself, not distributed's page saying that bokeh
// is missing. addr is a dashboard address as spindle prints it (host:port,
// or a URL).
func checkDashboard(t *testing.T, ctx context.Context, addr string) {
	t.Helper()
	hostPort := strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://")
	hostPort, _, _ = strings.Cut(hostPort, "/")
	if hostPort == "" {
		t.Fatalf("no dashboard address (%q)", addr)
	}
	url := "http://" + hostPort + "/status"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), "needs bokeh") || !strings.Contains(string(body), "<html") {
		t.Fatalf("GET %s: %s, want 200 and the dashboard page; body starts %q", url, resp.Status, truncate(string(body), 300))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// TestChainScript runs scripts/chain-test.sh, the shell-script chaining of
// submit, wait, a Dask computation, stop, wait and logs | grep, with the
// built spindle on PATH and a python with dask.
func TestChainScript(t *testing.T) {
	c := hadoop.Get(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("..", "scripts", "chain-test.sh"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Env = append(os.Environ(), "HADOOP_CONF_DIR="+c.ConfDir, "YARN_CONF_DIR=", "SPINDLE_HOME="+t.TempDir(),
		"PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"), "PYTHON="+py)
	out, err := cmd.CombinedOutput()
	t.Logf("chain-test.sh:\n%s", out)
	if err != nil {
		t.Fatalf("chain-test.sh: %v", err)
	}
	if !bytes.Contains(out, []byte("chain-test: PASS")) {
		t.Fatal("chain-test.sh did not print PASS")
	}
}
