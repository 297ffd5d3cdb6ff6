package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// appFiles are the folders a Spindle application has while it runs: on
// HDFS its staging folder (with the secret) and its discovery folder, and
// locally ~/.spindle/apps/<id>.
func appFiles(app string) []string {
	u := fsUser()
	return []string{"/user/" + u + "/.spindle/staging/" + app, "/user/" + u + "/.spindle/apps/" + app,
		filepath.Join(os.Getenv("SPINDLE_HOME"), "apps", app)}
}

// existing returns which of an application's folders exist.
func existing(t *testing.T, app string) []string {
	t.Helper()
	fs := hdfsClient(t, hadoop.Get(t).ConfDir)
	var out []string
	for _, p := range appFiles(app) {
		var err error
		if strings.HasPrefix(p, "/user/") {
			_, err = fs.Stat(p)
		} else {
			_, err = os.Stat(p)
		}
		if err == nil {
			out = append(out, p)
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	return out
}

// amPID finds the process of an application's first application master:
// `spindle appmaster` running in the attempt's first container.
func amPID(t *testing.T, app string) int {
	t.Helper()
	container := "container_" + strings.TrimPrefix(app, "application_") + "_01_000001"
	pid, _ := findProcess(func(args []string, cwd string) bool {
		return len(args) > 1 && filepath.Base(args[0]) == "spindle" && args[1] == "appmaster" && strings.Contains(cwd, container)
	})
	if pid == 0 {
		t.Fatalf("no application master process of %s found", app)
	}
	return pid
}

// TestEndedApplicationsLeaveNothing: a normal stop leaves no file of the
// application behind, on HDFS or locally. When the application master dies
// (killed by pid, max_attempts 1), the next `spindle address` does not
// print the dead scheduler's address: it says the application FAILED (exit
// 7) and removes the staging folder (with the secret) and the scheduler
// file the dead AM left.
func TestEndedApplicationsLeaveNothing(t *testing.T) {
	useCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	sub := submitWait(t, ctx, "--binary", spindleBinary(t), daskSpec(t, 1))
	app := sub.AppID
	// One form of the dashboard's address everywhere: the scheduler
	// address's host, the dashboard's port.
	host := strings.TrimPrefix(sub.Address, "tcp://")
	host = host[:strings.LastIndex(host, ":")]
	if !strings.HasPrefix(sub.Dashboard, "http://"+host+":") || !strings.HasSuffix(sub.Dashboard, "/status") {
		t.Errorf("submit --json: dashboard_address %q, want http://%s:<port>/status", sub.Dashboard, host)
	}
	for _, args := range [][]string{{"address", "--json", app}, {"wait", "--for", "address", "--json", app}} {
		r := spindle(t, ctx, args...)
		var got submitted
		mustJSON(t, r.stdout, &got)
		if r.code != 0 || got.Dashboard != sub.Dashboard {
			t.Errorf("spindle %s: exit %d, dashboard_address %q; want %q as submit printed", strings.Join(args, " "), r.code, got.Dashboard, sub.Dashboard)
		}
	}
	eventually(t, time.Minute, "the AM's tracking URL is the dashboard", func() (bool, string) {
		var st struct {
			URL string `json:"original_tracking_url"`
		}
		mustJSON(t, spindle(t, ctx, "status", "--json", app).stdout, &st)
		return st.URL == sub.Dashboard, st.URL
	})
	if got := existing(t, app); len(got) != 3 {
		t.Fatalf("while %s runs, its folders are %v; want staging, discovery and local", app, got)
	}
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop --wait: exit %d", r.code)
	}
	if left := existing(t, app); len(left) > 0 {
		t.Fatalf("after stop --wait, %s left %v", app, left)
	}

	app = submitWait(t, ctx, "--binary", spindleBinary(t), "--max-attempts", "1", daskSpec(t, 1)).AppID
	pid := amPID(t, app)
	t.Logf("killing the application master of %s, pid %d", app, pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(hadoop.Get(t).ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	id, _ := hadooprpc.ParseApplicationID(app)
	eventually(t, 3*time.Minute, app+" FAILED", func() (bool, string) {
		rep, err := rm.ApplicationReport(ctx, id)
		return err == nil && rep.GetYarnApplicationState() == yarnpb.YarnApplicationStateProto_FAILED, fmt.Sprint(rep.GetYarnApplicationState(), err)
	})
	fs := hdfsClient(t, hadoop.Get(t).ConfDir)
	if _, err := fs.Stat(path.Join(appFiles(app)[1], "scheduler.json")); err != nil {
		t.Fatalf("the dead AM's scheduler file: %v; want it still there for this test", err)
	}
	r := spindle(t, ctx, "address", app)
	if r.code != 7 || r.stdout != "" || !strings.Contains(r.stderr, "FAILED") {
		t.Fatalf("address of an application whose AM died: exit %d, stdout %q, stderr %q; want exit 7 saying FAILED", r.code, r.stdout, r.stderr)
	}
	if left := existing(t, app); len(left) > 0 {
		t.Fatalf("after address saw %s FAILED, it left %v", app, left)
	}
}

// interrupt starts spindle as its own process, sends it SIGINT by pid
// once its stderr has a line containing ready, and returns its exit code,
// stdout and stderr.
func interrupt(t *testing.T, ctx context.Context, ready string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, spindleBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen, read := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		once := false
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), ready) {
				once = true
				close(seen)
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case <-seen:
	case <-ctx.Done():
		t.Fatalf("spindle %s never printed %q:\n%s", strings.Join(args, " "), ready, stderr.String())
	}
	t.Logf("sending SIGINT to spindle %s, pid %d", strings.Join(args, " "), cmd.Process.Pid)
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	pw.Close()
	<-read
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	t.Logf("exit %d\nstdout: %s\nstderr: %s", cmd.ProcessState.ExitCode(), stdout.String(), stderr.String())
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// TestCtrlCWhileWaiting: Ctrl-C (SIGINT) during `submit --wait` or `wait`
// says the application goes on, with its id and the command that stops
// it, and exits 130; the application does go on.
func TestCtrlCWhileWaiting(t *testing.T) {
	useCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	code, stdout, stderr := interrupt(t, ctx, "waiting for the Dask scheduler's address",
		"submit", "--wait", "--binary", spindleBinary(t), daskSpec(t, 1))
	app := strings.TrimSpace(stdout)
	if _, err := hadooprpc.ParseApplicationID(app); err != nil {
		t.Fatalf("submit --wait interrupted printed %q on stdout, want the id", stdout)
	}
	t.Cleanup(func() { spindle(t, context.Background(), "kill", app) })
	if code != 130 || !strings.Contains(stderr, "still running") || !strings.Contains(stderr, "spindle stop "+app) {
		t.Fatalf("submit --wait interrupted: exit %d, stderr %q; want 130, still running and `spindle stop %s`", code, stderr, app)
	}

	code, _, stderr = interrupt(t, ctx, app+": ", "wait", app, "--for", "finished")
	if code != 130 || !strings.Contains(stderr, "still running") || !strings.Contains(stderr, "spindle stop "+app) {
		t.Fatalf("wait interrupted: exit %d, stderr %q; want 130, still running and `spindle stop %s`", code, stderr, app)
	}
	// It was still running, and the command given stops it.
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop --wait after the interrupted waits: exit %d", r.code)
	}
}
