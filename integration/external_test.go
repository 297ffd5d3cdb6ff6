package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// outboundIP is this machine's address as other hosts reach it (Dask's
// get_ip does the same: the source address of a route to the Internet;
// nothing is sent).
func outboundIP(t *testing.T) string {
	t.Helper()
	c, err := net.Dial("udp", "8.8.8.8:80")
	if err != nil {
		t.Fatalf("find this machine's IP address: %v", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP.String()
}

// TestExternalScheduler: `spindle submit` of a spec with
// external_scheduler runs no scheduler container; its workers join the
// scheduler running outside YARN (here a `dask scheduler` process on this
// machine), report ready through its HTTP API, compute, and stopping the
// application leaves that scheduler running: it is not the application's.
func TestExternalScheduler(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	py := pyenv.DaskPython(t)
	ip := outboundIP(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "scheduler.json")
	routes, _ := json.Marshal(container.SchedulerRoutes)
	sched := exec.Command(filepath.Join(filepath.Dir(py), "dask"), "scheduler", "--host", ip, "--port", "0",
		"--dashboard-address", net.JoinHostPort(ip, "0"), "--scheduler-file", file)
	sched.Env = append(os.Environ(), container.EnvSchedulerRoutes+"="+string(routes))
	sched.Stdout, sched.Stderr = os.Stderr, os.Stderr
	sched.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sched.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- sched.Wait() }()
	defer func() {
		_ = syscall.Kill(-sched.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	var sf struct {
		Address  string         `json:"address"`
		Services map[string]int `json:"services"`
	}
	eventually(t, 2*time.Minute, "the local dask scheduler's file", func() (bool, string) {
		b, err := os.ReadFile(file)
		return err == nil && json.Unmarshal(b, &sf) == nil && sf.Address != "" && sf.Services["dashboard"] != 0, fmt.Sprint(err)
	})
	dashboard := net.JoinHostPort(ip, fmt.Sprint(sf.Services["dashboard"]))

	path := filepath.Dir(py) + ":/usr/local/bin:/usr/bin:/bin"
	spec := filepath.Join(dir, "spec.yaml")
	y := fmt.Sprintf("name: spindle-external\nexternal_scheduler: {address: %q, dashboard_address: %q}\n"+
		"workers:\n  - instances: 2\n    resources: {memory: 512MiB}\n    env: {PATH: %q}\n", sf.Address, dashboard, path)
	if err := os.WriteFile(spec, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	app := submitDask(t, ctx, bin, spec)
	defer spindle(t, context.Background(), "kill", app)
	if got := daskSum(t, ctx, sf.Address, 2); got != wantSum {
		t.Fatalf("dask sum = %s, want %s", got, wantSum)
	}
	eventually(t, 3*time.Minute, "2 ready workers", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 2, summary(cs)
	})
	if cs := containers(t, ctx, app); strings.Contains(summary(cs), "scheduler") {
		t.Fatalf("a scheduler container ran: %s", summary(cs))
	}
	if r := spindle(t, ctx, "address", app); r.code != 0 || strings.TrimSpace(r.stdout) != sf.Address {
		t.Fatalf("address: exit %d, %q; want %s", r.code, r.stdout, sf.Address)
	}
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop --wait: exit %d", r.code)
	}
	if r := spindle(t, ctx, "status", "--json", app); !strings.Contains(r.stdout, `"SUCCEEDED"`) {
		t.Fatalf("after stop: %s", r.stdout)
	}
	select {
	case err := <-exited:
		exited <- err
		t.Fatalf("stopping the application ended the external scheduler: %v", err)
	default:
	}

	// An address the NodeManagers cannot reach is refused before anything is submitted.
	bad := filepath.Join(dir, "loopback.yaml")
	_ = os.WriteFile(bad, []byte("external_scheduler: {address: tcp://127.0.0.1:8786, dashboard_address: "+dashboard+"}\nworkers: [{}]\n"), 0o644)
	if r := spindle(t, ctx, "submit", "--binary", bin, bad); r.code != 2 || !strings.Contains(r.stderr, "external_scheduler.address") || !strings.Contains(r.stderr, "loopback") {
		t.Fatalf("loopback external scheduler: exit %d, stderr %q; want 2 naming the key", r.code, r.stderr)
	}
}
