package container_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// fakeAM is the AM's control API as the runtime sees it.
type fakeAM struct {
	*httptest.Server
	secret []byte

	mu           sync.Mutex
	sched        container.SchedulerInfo
	readies      map[string]container.ReadyRequest
	unauthorized int
	readyCh      chan string // container IDs, as they report ready
}

func newFakeAM(t *testing.T, secret []byte) *fakeAM {
	a := &fakeAM{secret: secret, readies: map[string]container.ReadyRequest{}, readyCh: make(chan string, 16)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/containers/{id}/ready", func(w http.ResponseWriter, r *http.Request) {
		var req container.ReadyRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.readies[r.PathValue("id")] = req
		a.mu.Unlock()
		a.readyCh <- r.PathValue("id")
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/scheduler", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		_ = json.NewEncoder(w).Encode(a.sched)
	})
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+hex.EncodeToString(a.secret) {
			a.mu.Lock()
			a.unauthorized++
			a.mu.Unlock()
			http.Error(w, "bad control secret", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *fakeAM) setScheduler(addr string, gen int64) {
	a.mu.Lock()
	a.sched = container.SchedulerInfo{Address: addr, Generation: gen}
	a.mu.Unlock()
}

func (a *fakeAM) ready(id string) (container.ReadyRequest, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.readies[id]
	return r, ok
}

func (a *fakeAM) waitReady(t *testing.T, id string, within time.Duration, logs *syncBuffer) container.ReadyRequest {
	t.Helper()
	deadline := time.After(within)
	for {
		if r, ok := a.ready(id); ok {
			return r
		}
		select {
		case <-a.readyCh:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s never reported ready; runtime log:\n%s", id, logs)
		}
	}
}

func writeTokenFile(t *testing.T, secret []byte) string {
	t.Helper()
	c := credentials.New()
	c.AddSecret(container.SecretAlias, secret)
	p := filepath.Join(t.TempDir(), "container_tokens")
	if err := c.WriteFile(p, credentials.FormatWritable); err != nil {
		t.Fatal(err)
	}
	return p
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testConfig is a runtime config for an in-process Run; the child's output
// and the runtime's log go to buffers.
func testConfig(t *testing.T, am *fakeAM, role container.Role, id string, command ...string) (container.Config, *syncBuffer) {
	logs := &syncBuffer{}
	return container.Config{
		AMURL: am.URL, Secret: am.secret, AppID: "application_1_0001", Service: string(role),
		Role: role, Command: command, ContainerID: id, Host: "127.0.0.1", WorkDir: t.TempDir(),
		StopGrace: 3 * time.Second, PollInterval: 200 * time.Millisecond, AMRetryFor: 3 * time.Second,
		Stdout: logs, Stderr: logs, Log: slog.New(slog.NewTextHandler(logs, nil)),
	}, logs
}

type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	result int
}

func start(cfg container.Config) *running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		r.result = container.Run(ctx, cfg)
		close(r.done)
	}()
	return r
}

func (r *running) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *running) stop(t *testing.T, within time.Duration, logs *syncBuffer) int {
	t.Helper()
	r.cancel()
	return r.wait(t, within, logs)
}

func (r *running) wait(t *testing.T, within time.Duration, logs *syncBuffer) int {
	t.Helper()
	select {
	case <-r.done:
		return r.result
	case <-time.After(within):
		t.Fatalf("runtime did not exit within %s; log:\n%s", within, logs)
		return -1
	}
}

func TestConfigFromEnv(t *testing.T) {
	secret := []byte{0xde, 0xad, 0xbe, 0xef}
	tf := writeTokenFile(t, secret)
	for k, v := range map[string]string{
		"SPINDLE_AM_URL": "http://am:8080/", "SPINDLE_APP_ID": "application_1_0001", "SPINDLE_SERVICE": "gpu",
		"SPINDLE_ROLE": "worker", "SPINDLE_COMMAND": `["dask","worker","--nthreads","2"]`,
		"DASK_SCHEDULER_ADDRESS": "tcp://h:1", "SPINDLE_ENV": "env", "SPINDLE_STOP_GRACE": "7s",
		"CONTAINER_ID": "container_1_0001_01_000002", "NM_HOST": "node1", "PWD": "/work/c",
		"HADOOP_TOKEN_FILE_LOCATION": tf,
	} {
		t.Setenv(k, v)
	}
	cfg, err := container.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := container.Config{AMURL: "http://am:8080", Secret: secret, AppID: "application_1_0001", Service: "gpu",
		Role: container.RoleWorker, Command: []string{"dask", "worker", "--nthreads", "2"},
		ContainerID: "container_1_0001_01_000002", Host: "node1", WorkDir: "/work/c",
		SchedulerAddress: "tcp://h:1", EnvDir: "env", StopGrace: 7 * time.Second}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}

	t.Setenv("SPINDLE_ROLE", "boss")
	t.Setenv("SPINDLE_COMMAND", `"dask"`)
	t.Setenv("SPINDLE_STOP_GRACE", "soon")
	t.Setenv("HADOOP_TOKEN_FILE_LOCATION", writeTokenFile(t, nil))
	_, err = container.ConfigFromEnv()
	for _, part := range []string{"SPINDLE_ROLE", "SPINDLE_COMMAND", "SPINDLE_STOP_GRACE", container.SecretAlias} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("error %v does not name %s", err, part)
		}
	}
}

func TestChildArgs(t *testing.T) {
	cfg := container.Config{Command: []string{"dask", "scheduler", "--idle-timeout", "1h"}, Role: container.RoleScheduler,
		Host: "node1", WorkDir: "/c", ContainerID: "container_1"}
	got := container.ChildArgs(cfg, "")
	want := []string{"dask", "scheduler", "--idle-timeout", "1h", "--host", "node1", "--port", "0",
		"--dashboard-address", "node1:0", "--scheduler-file", "/c/scheduler.json"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scheduler: %q", got)
	}
	cfg.Role, cfg.Command = container.RoleWorker, []string{"dask", "worker", "--resources", "GPU=1"}
	got = container.ChildArgs(cfg, "tcp://h:9")
	want = []string{"dask", "worker", "--resources", "GPU=1", "tcp://h:9", "--name", "container_1", "--host", "node1",
		"--dashboard-address", "node1:0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("worker: %q", got)
	}
}

// TestSchedulerRoutesAreDaskDefaultsPlusAPI checks the routes against the
// installed distributed's own defaults.
func TestSchedulerRoutesAreDaskDefaultsPlusAPI(t *testing.T) {
	py := pyenv.DaskPython(t)
	cmd := exec.Command(py, "-c", "import json, dask, distributed; print(json.dumps(dask.config.get('distributed.scheduler.http.routes')))")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, container.EnvSchedulerRoutes+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var defaults []string
	if err := json.Unmarshal(out, &defaults); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if want := append(defaults, "distributed.http.scheduler.api"); !reflect.DeepEqual(container.SchedulerRoutes, want) {
		t.Fatalf("SchedulerRoutes = %q, want %q", container.SchedulerRoutes, want)
	}
}

// daskWorkers lists the names of the workers connected to the scheduler
// at addr, waiting for at least one.
func daskWorkers(t *testing.T, py, addr string) []string {
	t.Helper()
	script := `
import sys, json
from distributed import Client
with Client(sys.argv[1], timeout=30) as c:
    c.wait_for_workers(1, timeout=60)
    print(json.dumps(sorted(str(w["name"]) for w in c.scheduler_info(n_workers=-1)["workers"].values())))
`
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", script, addr).Output()
	if err != nil {
		t.Fatalf("client of %s: %v %s", addr, err, out)
	}
	var names []string
	if err := json.Unmarshal(bytes.TrimSpace(lastLine(out)), &names); err != nil {
		t.Fatalf("client printed %q: %v", out, err)
	}
	return names
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// TestRealDaskSchedulerAndWorkerFollowTheScheduler runs real Dask under
// the runtime: a scheduler reports a working address and dashboard (with
// the REST API on), a worker joins it, and when the AM reports a new
// scheduler the worker restarts against it.
func TestRealDaskSchedulerAndWorkerFollowTheScheduler(t *testing.T) {
	py := pyenv.DaskPython(t)
	envDir := filepath.Dir(filepath.Dir(py))
	am := newFakeAM(t, []byte("s3cret"))

	scfg, slogs := testConfig(t, am, container.RoleScheduler, "container_s1", "dask", "scheduler")
	scfg.EnvDir = envDir
	s1 := start(scfg)
	defer s1.stop(t, 30*time.Second, slogs)
	ready := am.waitReady(t, "container_s1", 90*time.Second, slogs)
	if ready.Role != container.RoleScheduler || ready.Service != "scheduler" || !strings.HasPrefix(ready.Address, "tcp://127.0.0.1:") {
		t.Fatalf("scheduler ready = %+v", ready)
	}
	host, _, err := net.SplitHostPort(ready.DashboardAddress)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("dashboard address %q", ready.DashboardAddress)
	}
	resp, err := http.Get("http://" + ready.DashboardAddress + "/api/v1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "API V1" {
		t.Fatalf("scheduler REST API: %d %q (routes not applied?)", resp.StatusCode, body)
	}

	am.setScheduler(ready.Address, 1)
	wcfg, wlogs := testConfig(t, am, container.RoleWorker, "container_w1", "dask", "worker", "--nthreads", "1")
	wcfg.EnvDir = envDir
	wcfg.SchedulerAddress = ready.Address
	w := start(wcfg)
	defer w.stop(t, 30*time.Second, wlogs)
	if r := am.waitReady(t, "container_w1", 30*time.Second, wlogs); r.Role != container.RoleWorker {
		t.Fatalf("worker ready = %+v", r)
	}
	if names := daskWorkers(t, py, ready.Address); !reflect.DeepEqual(names, []string{"container_w1"}) {
		t.Fatalf("first scheduler sees workers %q; worker log:\n%s", names, wlogs)
	}

	// The AM restarted the scheduler elsewhere.
	scfg2, slogs2 := testConfig(t, am, container.RoleScheduler, "container_s2", "dask", "scheduler")
	scfg2.EnvDir = envDir
	s2 := start(scfg2)
	defer s2.stop(t, 30*time.Second, slogs2)
	ready2 := am.waitReady(t, "container_s2", 90*time.Second, slogs2)
	if ready2.Address == ready.Address {
		t.Fatalf("second scheduler has the first one's address %s", ready.Address)
	}
	am.setScheduler(ready2.Address, 2)
	if names := daskWorkers(t, py, ready2.Address); !reflect.DeepEqual(names, []string{"container_w1"}) {
		t.Fatalf("second scheduler sees workers %q; worker log:\n%s", names, wlogs)
	}
	if !strings.Contains(wlogs.String(), "scheduler moved; restarting the worker") {
		t.Errorf("worker log does not tell of the restart:\n%s", wlogs)
	}
	if w.exited() {
		t.Fatalf("worker runtime exited (%d) after the restart; log:\n%s", w.result, wlogs)
	}

	// Stopping: Dask exits cleanly on SIGTERM.
	if code := w.stop(t, 30*time.Second, wlogs); code != 0 {
		t.Errorf("worker runtime exit code %d, want 0; log:\n%s", code, wlogs)
	}
	if code := s2.stop(t, 30*time.Second, slogs2); code != 0 {
		t.Errorf("scheduler runtime exit code %d, want 0", code)
	}
}

func TestMissingEnvPythonIsAClearError(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cfg, logs := testConfig(t, am, container.RoleScheduler, "container_e", "dask", "scheduler")
	cfg.EnvDir = "env" // relative to the work dir, and empty
	if err := os.MkdirAll(filepath.Join(cfg.WorkDir, "env", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code := start(cfg).wait(t, 30*time.Second, logs); code != container.ExitRuntimeError {
		t.Fatalf("exit code %d", code)
	}
	if l := logs.String(); !strings.Contains(l, "cannot start Python") || !strings.Contains(l, "no bin/python") ||
		!strings.Contains(l, filepath.Join(cfg.WorkDir, "env")) {
		t.Fatalf("log does not explain the missing python:\n%s", l)
	}

	// A python that exists but cannot start.
	bad := filepath.Join(cfg.WorkDir, "env", "bin", "python")
	if err := os.WriteFile(bad, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg2, logs2 := testConfig(t, am, container.RoleScheduler, "container_e2", "dask", "scheduler")
	cfg2.EnvDir = filepath.Join(cfg.WorkDir, "env")
	if code := start(cfg2).wait(t, 30*time.Second, logs2); code != container.ExitRuntimeError {
		t.Fatalf("exit code %d", code)
	}
	if l := logs2.String(); !strings.Contains(l, "cannot activate the Python environment") || !strings.Contains(l, bad) {
		t.Fatalf("log does not explain the broken python:\n%s", l)
	}
	if _, ok := am.ready("container_e"); ok {
		t.Fatal("a container without an environment reported ready")
	}
}

func TestWrongSecretIsRefusedAndReported(t *testing.T) {
	am := newFakeAM(t, []byte("right"))
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_x", "sh", "-c", "sleep 30")
	cfg.Secret = []byte("wrong")
	cfg.SchedulerAddress = "tcp://127.0.0.1:1"
	if code := start(cfg).wait(t, 30*time.Second, logs); code != container.ExitRuntimeError {
		t.Fatalf("exit code %d; log:\n%s", code, logs)
	}
	am.mu.Lock()
	n := am.unauthorized
	am.mu.Unlock()
	if n == 0 {
		t.Fatal("the fake AM saw no call")
	}
	l := logs.String()
	if !strings.Contains(l, "HTTP 401") || !strings.Contains(l, container.SecretAlias) {
		t.Fatalf("log does not report the refusal:\n%s", l)
	}
	if strings.Contains(l, "running") && strings.Contains(l, "sleep 30") {
		t.Fatalf("the child was started despite the refusal:\n%s", l)
	}
}

func TestUnreachableAMDoesNotKillTheChild(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	am := &fakeAM{Server: &httptest.Server{URL: dead}, secret: []byte("k")}
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_u", "sh", "-c", "sleep 3; exit 5")
	cfg.SchedulerAddress = "tcp://127.0.0.1:1"
	cfg.AMRetryFor = time.Second
	if code := start(cfg).wait(t, 30*time.Second, logs); code != 5 {
		t.Fatalf("exit code %d, want the child's 5; log:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "it keeps running") {
		t.Fatalf("log does not say the AM was unreachable:\n%s", logs)
	}
}

func TestSchedulerExitingEarlyIsAnError(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cfg, logs := testConfig(t, am, container.RoleScheduler, "container_early", "sh", "-c", "exit 3")
	if code := start(cfg).wait(t, 30*time.Second, logs); code != 3 {
		t.Fatalf("exit code %d, want 3; log:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "exited before it was ready") {
		t.Fatalf("log:\n%s", logs)
	}
}

func TestWorkerWaitsForASchedulerAddress(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_wait", "sh", "-c", `echo "started with $0" ; exit 4`)
	r := start(cfg)
	time.Sleep(600 * time.Millisecond)
	if strings.Contains(logs.String(), "started with") {
		t.Fatalf("worker started without an address:\n%s", logs)
	}
	am.setScheduler("tcp://127.0.0.1:7", 1)
	if code := r.wait(t, 10*time.Second, logs); code != 4 {
		t.Fatalf("exit %d; log:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "started with tcp://127.0.0.1:7") {
		t.Fatalf("log:\n%s", logs)
	}
}

// runtimeProcess starts the test binary as a real `spindle container`.
func runtimeProcess(t *testing.T, am *fakeAM, grace string, command ...string) (*exec.Cmd, *syncBuffer, string) {
	t.Helper()
	return runtimeProcessEnv(t, am, nil, grace, command...)
}

// runtimeProcessEnv is runtimeProcess with more environment for the runtime.
func runtimeProcessEnv(t *testing.T, am *fakeAM, extra []string, grace string, command ...string) (*exec.Cmd, *syncBuffer, string) {
	t.Helper()
	wd := t.TempDir()
	cmdJSON, _ := json.Marshal(command)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), runtimeEnv+"=1",
		"SPINDLE_AM_URL="+am.URL, "SPINDLE_APP_ID=application_1_0001", "SPINDLE_SERVICE=default",
		"SPINDLE_ROLE=worker", "SPINDLE_COMMAND="+string(cmdJSON), "DASK_SCHEDULER_ADDRESS=tcp://127.0.0.1:1",
		"SPINDLE_ENV=", "SPINDLE_STOP_GRACE="+grace, "CONTAINER_ID=container_sig", "NM_HOST=127.0.0.1",
		"PWD="+wd, "HADOOP_TOKEN_FILE_LOCATION="+writeTokenFile(t, am.secret))
	cmd.Env = append(cmd.Env, extra...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, out, wd
}

func readPid(t *testing.T, file string, out *syncBuffer) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(file)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("child wrote no pid file; output:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func exitCodeOf(t *testing.T, cmd *exec.Cmd, within time.Duration, out *syncBuffer) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode(), time.Since(start)
	case <-time.After(within):
		t.Fatalf("runtime did not exit within %s; output:\n%s", within, out)
		return -1, 0
	}
}

func TestSIGTERMIsForwardedToTheChildGroup(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	// The trap runs once the group's sleep dies of the same SIGTERM.
	cmd, out, wd := runtimeProcess(t, am, "10s", "sh", "-c", `echo $$ > child.pid; trap 'exit 7' TERM; while :; do sleep 0.1; done`)
	readPid(t, filepath.Join(wd, "child.pid"), out)
	am.waitReady(t, "container_sig", 10*time.Second, out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, took := exitCodeOf(t, cmd, 8*time.Second, out)
	if code != 7 || took > 5*time.Second {
		t.Fatalf("exit %d after %s, want the child's 7 well before the grace; output:\n%s", code, took, out)
	}
	if !strings.Contains(out.String(), "signal=terminated") {
		t.Errorf("output does not log the forwarded signal:\n%s", out)
	}
}

func TestGracePeriodEndsWithSIGKILL(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cmd, out, wd := runtimeProcess(t, am, "1s", "sh", "-c", `echo $$ > child.pid; trap '' TERM; sleep 100`)
	pgid := readPid(t, filepath.Join(wd, "child.pid"), out)
	am.waitReady(t, "container_sig", 10*time.Second, out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, took := exitCodeOf(t, cmd, 10*time.Second, out)
	if code != 128+int(syscall.SIGKILL) || took < 900*time.Millisecond {
		t.Fatalf("exit %d after %s, want 137 after the 1s grace; output:\n%s", code, took, out)
	}
	if !strings.Contains(out.String(), "SIGKILL") {
		t.Errorf("output does not log the kill:\n%s", out)
	}
	// Nothing of the child's group is left: the sleep died too.
	deadline := time.Now().Add(5 * time.Second)
	for groupAlive(pgid) {
		if time.Now().After(deadline) {
			t.Fatalf("process group %d still has live members", pgid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// groupAlive says whether a process of group pgid is still running; a
// zombie waiting for its new parent to reap it does not count.
func groupAlive(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) >= 3 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" {
			return true
		}
	}
	return false
}
