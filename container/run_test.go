package container_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	schedGets    int                                 // GET /v1/scheduler calls answered
	readies      map[string][]container.ReadyRequest // every ready call, by container id
	unauthorized int
	readyCh      chan string // container IDs, as they report ready
	exits        map[string][]container.ExitedRequest
	tokens       container.TokensReply // GET /v1/tokens
}

func newFakeAM(t *testing.T, secret []byte) *fakeAM {
	a := &fakeAM{secret: secret, readies: map[string][]container.ReadyRequest{}, readyCh: make(chan string, 16),
		exits: map[string][]container.ExitedRequest{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/containers/{id}/ready", func(w http.ResponseWriter, r *http.Request) {
		var req container.ReadyRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.readies[r.PathValue("id")] = append(a.readies[r.PathValue("id")], req)
		a.mu.Unlock()
		select {
		case a.readyCh <- r.PathValue("id"):
		default: // waiters poll too
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/containers/{id}/exited", func(w http.ResponseWriter, r *http.Request) {
		var req container.ExitedRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.exits[r.PathValue("id")] = append(a.exits[r.PathValue("id")], req)
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/tokens", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		_ = json.NewEncoder(w).Encode(a.tokens)
	})
	mux.HandleFunc("GET /v1/scheduler", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.schedGets++
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

// setScheduler is what the AM answers on GET /v1/scheduler: the
// scheduler's Dask address and the host:port of its HTTP server.
func (a *fakeAM) setScheduler(addr, dashboard string, gen int64) {
	a.mu.Lock()
	a.sched = container.SchedulerInfo{Address: addr, DashboardAddress: dashboard, Generation: gen}
	a.mu.Unlock()
}

func (a *fakeAM) schedulerGets() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.schedGets
}

// ready is the container's last ready call.
func (a *fakeAM) ready(id string) (container.ReadyRequest, bool) {
	r, n := a.readyN(id)
	return r, n > 0
}

// readyN is the container's last ready call and how many it made.
func (a *fakeAM) readyN(id string) (container.ReadyRequest, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	rs := a.readies[id]
	if len(rs) == 0 {
		return container.ReadyRequest{}, 0
	}
	return rs[len(rs)-1], len(rs)
}

func (a *fakeAM) waitReady(t *testing.T, id string, within time.Duration, logs *syncBuffer) container.ReadyRequest {
	t.Helper()
	return a.waitReadyN(t, id, 1, within, logs)
}

// waitReadyN waits for the container's n-th ready call and returns it.
func (a *fakeAM) waitReadyN(t *testing.T, id string, n int, within time.Duration, logs *syncBuffer) container.ReadyRequest {
	t.Helper()
	deadline := time.After(within)
	for {
		if r, got := a.readyN(id); got >= n {
			return r
		}
		select {
		case <-a.readyCh:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s did not report ready %d times within %s; runtime log:\n%s", id, n, within, logs)
		}
	}
}

// fakeScheduler is the Dask scheduler's HTTP API as the worker runtime
// sees it: GET /api/v1/get_workers lists the workers that joined.
type fakeScheduler struct {
	*httptest.Server
	mu     sync.Mutex
	joined map[string]string // worker name → Dask address
	asked  int
}

func newFakeScheduler(t *testing.T) *fakeScheduler {
	s := &fakeScheduler{joined: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/get_workers" {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.asked++
		type entry struct {
			Name    string `json:"name"`
			Address string `json:"address"`
		}
		list := []entry{{Name: "someone-else", Address: "tcp://10.0.0.9:1234"}}
		for n, a := range s.joined {
			list = append(list, entry{n, a})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"num_workers": len(list), "workers": list})
	}))
	t.Cleanup(s.Close)
	return s
}

// hostPort is the fake's HTTP address as the AM reports a dashboard.
func (s *fakeScheduler) hostPort() string { return strings.TrimPrefix(s.URL, "http://") }

func (s *fakeScheduler) join(name, addr string) {
	s.mu.Lock()
	s.joined[name] = addr
	s.mu.Unlock()
}

func (s *fakeScheduler) timesAsked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asked
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool, logs *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s; log:\n%s", within, what, logs)
		}
		time.Sleep(50 * time.Millisecond)
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
		// A grace only bounds a stop (a Dask process ends it by exiting):
		// generous, so that a loaded machine never turns a clean stop into
		// a SIGKILL.
		StopGrace: 5 * time.Minute, PollInterval: 200 * time.Millisecond, AMRetryFor: 30 * time.Second,
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
		"DASK_SCHEDULER_ADDRESS": "tcp://h:1", "SPINDLE_ENV": "env", "SPINDLE_STOP_GRACE": "7s", "SPINDLE_SCHEDULER_WAIT": "90s",
		"SPINDLE_AM_EXPIRY": "90s", "CONTAINER_ID": "container_1_0001_01_000002", "NM_HOST": "node1", "PWD": "/work/c",
		"HADOOP_TOKEN_FILE_LOCATION": tf, "SPINDLE_TOKEN_POLL": "30s",
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
		SchedulerAddress: "tcp://h:1", EnvDir: "env", StopGrace: 7 * time.Second, SchedulerWait: 90 * time.Second,
		TokenFile: tf, TokenPoll: 30 * time.Second, AMExpiry: 90 * time.Second}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("got  %+v\nwant %+v", cfg, want)
	}

	t.Setenv("SPINDLE_ROLE", "boss")
	t.Setenv("SPINDLE_COMMAND", `"dask"`)
	t.Setenv("SPINDLE_STOP_GRACE", "soon")
	t.Setenv("SPINDLE_SCHEDULER_WAIT", "0s")
	t.Setenv("SPINDLE_TOKEN_POLL", "2ms")
	t.Setenv("SPINDLE_AM_EXPIRY", "1s")
	t.Setenv("HADOOP_TOKEN_FILE_LOCATION", writeTokenFile(t, nil))
	_, err = container.ConfigFromEnv()
	for _, part := range []string{"SPINDLE_ROLE", "SPINDLE_COMMAND", "SPINDLE_STOP_GRACE", "SPINDLE_SCHEDULER_WAIT", "SPINDLE_TOKEN_POLL", "SPINDLE_AM_EXPIRY", container.SecretAlias} {
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

// daskWorkers maps the names of the workers connected to the scheduler at
// addr to their Dask addresses, once at least one is connected.
func daskWorkers(t *testing.T, py, addr string) map[string]string {
	t.Helper()
	script := `
import sys, json
from distributed import Client
with Client(sys.argv[1], timeout=120) as c:
    c.wait_for_workers(1, timeout=180)
    print(json.dumps({str(w["name"]): a for a, w in c.scheduler_info(n_workers=-1)["workers"].items()}))
`
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", script, addr).Output()
	if err != nil {
		t.Fatalf("client of %s: %v %s", addr, err, out)
	}
	var names map[string]string
	if err := json.Unmarshal(bytes.TrimSpace(lastLine(out)), &names); err != nil {
		t.Fatalf("client printed %q: %v", out, err)
	}
	return names
}

func lastLine(b []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return lines[len(lines)-1]
}

// Deadlines for real Dask under the runtime: generous, because a loaded
// 2-core machine takes many seconds to start Python and import dask.
const (
	daskStart = 3 * time.Minute
	daskStop  = 3 * time.Minute
)

// startRealScheduler runs `dask scheduler` from the test venv under the
// runtime and returns it once it reported ready.
func startRealScheduler(t *testing.T, am *fakeAM, envDir, id string) (*running, container.Config, *syncBuffer, container.ReadyRequest) {
	t.Helper()
	cfg, logs := testConfig(t, am, container.RoleScheduler, id, "dask", "scheduler")
	cfg.EnvDir = envDir
	r := start(cfg)
	t.Cleanup(func() { r.stop(t, daskStop, logs) })
	ready := am.waitReady(t, id, daskStart, logs)
	if ready.Role != container.RoleScheduler || ready.Service != "scheduler" || !strings.HasPrefix(ready.Address, "tcp://127.0.0.1:") {
		t.Fatalf("scheduler ready = %+v", ready)
	}
	return r, cfg, logs, ready
}

// startRealWorker runs `dask worker` under the runtime against the
// scheduler the fake AM reports, and returns it once it reported ready.
func startRealWorker(t *testing.T, am *fakeAM, envDir, id, schedulerAddr string) (*running, *syncBuffer, container.ReadyRequest) {
	t.Helper()
	cfg, logs := testConfig(t, am, container.RoleWorker, id, "dask", "worker", "--nthreads", "1")
	cfg.EnvDir = envDir
	cfg.SchedulerAddress = schedulerAddr
	r := start(cfg)
	t.Cleanup(func() { r.stop(t, daskStop, logs) })
	ready := am.waitReady(t, id, daskStart, logs)
	if ready.Role != container.RoleWorker || !strings.HasPrefix(ready.Address, "tcp://127.0.0.1:") {
		t.Fatalf("worker ready = %+v, want the worker's tcp://127.0.0.1:port", ready)
	}
	return r, logs, ready
}

// TestRealDaskSchedulerAndWorkerFollowTheScheduler runs real Dask under
// the runtime: a scheduler reports a working address and dashboard (with
// the REST API on), a worker reports ready at the address the scheduler
// lists it under, and when the AM reports a new scheduler the worker
// restarts against it and reports ready again once that one lists it.
func TestRealDaskSchedulerAndWorkerFollowTheScheduler(t *testing.T) {
	py := pyenv.DaskPython(t)
	envDir := filepath.Dir(filepath.Dir(py))
	am := newFakeAM(t, []byte("s3cret"))

	_, _, _, ready := startRealScheduler(t, am, envDir, "container_s1")
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

	am.setScheduler(ready.Address, ready.DashboardAddress, 1)
	w, wlogs, wready := startRealWorker(t, am, envDir, "container_w1", ready.Address)
	if got := daskWorkers(t, py, ready.Address); !reflect.DeepEqual(got, map[string]string{"container_w1": wready.Address}) {
		t.Fatalf("first scheduler lists workers %v; the worker reported ready at %s; worker log:\n%s", got, wready.Address, wlogs)
	}

	// The AM restarted the scheduler elsewhere.
	s2, _, slogs2, ready2 := startRealScheduler(t, am, envDir, "container_s2")
	if ready2.Address == ready.Address {
		t.Fatalf("second scheduler has the first one's address %s", ready.Address)
	}
	am.setScheduler(ready2.Address, ready2.DashboardAddress, 2)
	wready2 := am.waitReadyN(t, "container_w1", 2, daskStart, wlogs)
	if got := daskWorkers(t, py, ready2.Address); !reflect.DeepEqual(got, map[string]string{"container_w1": wready2.Address}) {
		t.Fatalf("second scheduler lists workers %v; the worker reported ready at %s; worker log:\n%s", got, wready2.Address, wlogs)
	}
	if !strings.Contains(wlogs.String(), "scheduler moved; restarting the worker") {
		t.Errorf("worker log does not tell of the restart:\n%s", wlogs)
	}
	if w.exited() {
		t.Fatalf("worker runtime exited (%d) after the restart; log:\n%s", w.result, wlogs)
	}

	// Stopping: Dask exits cleanly on SIGTERM.
	if code := w.stop(t, daskStop, wlogs); code != 0 {
		t.Errorf("worker runtime exit code %d, want 0; log:\n%s", code, wlogs)
	}
	if code := s2.stop(t, daskStop, slogs2); code != 0 {
		t.Errorf("scheduler runtime exit code %d, want 0", code)
	}
}

// killChild SIGKILLs the process running program in dir (a runtime's
// child runs in the container's working directory).
func killChild(t *testing.T, dir, program string) {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		cmdline, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		if cwd != dir || !strings.Contains(string(cmdline), program) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(p))
		t.Logf("killing pid %d: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte(" ")))
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no %s process runs in %s", program, dir)
}

// TestRealDaskWorkerSurvivesItsSchedulerDying: the scheduler process dies
// and its replacement comes only after the Dask worker has exited (Dask's
// worker exits 0 when it loses its scheduler). The worker's runtime does
// not exit: it waits for the new scheduler, restarts the worker against it
// in the same container and reports ready again once it is listed.
func TestRealDaskWorkerSurvivesItsSchedulerDying(t *testing.T) {
	py := pyenv.DaskPython(t)
	envDir := filepath.Dir(filepath.Dir(py))
	am := newFakeAM(t, []byte("s3cret"))

	s1, s1cfg, s1logs, ready := startRealScheduler(t, am, envDir, "container_s1")
	am.setScheduler(ready.Address, ready.DashboardAddress, 1)
	w, wlogs, _ := startRealWorker(t, am, envDir, "container_w1", ready.Address)

	killChild(t, s1cfg.WorkDir, "scheduler")
	if code := s1.wait(t, daskStop, s1logs); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("scheduler runtime exit code %d, want 137", code)
	}
	am.setScheduler("", "", 1) // as the AM does once the scheduler's container ended
	waitFor(t, daskStart, "the worker runtime to wait for a new scheduler", func() bool {
		return strings.Contains(wlogs.String(), "scheduler went away; waiting") || w.exited()
	}, wlogs)
	if w.exited() {
		t.Fatalf("worker runtime exited (%d) when its scheduler died; log:\n%s", w.result, wlogs)
	}

	_, _, _, ready2 := startRealScheduler(t, am, envDir, "container_s2")
	am.setScheduler(ready2.Address, ready2.DashboardAddress, 2)
	wready2 := am.waitReadyN(t, "container_w1", 2, daskStart, wlogs)
	if got := daskWorkers(t, py, ready2.Address); !reflect.DeepEqual(got, map[string]string{"container_w1": wready2.Address}) {
		t.Fatalf("new scheduler lists workers %v; the worker reported ready at %s; worker log:\n%s", got, wready2.Address, wlogs)
	}
	if w.exited() {
		t.Fatalf("worker runtime exited (%d); log:\n%s", w.result, wlogs)
	}
	if code := w.stop(t, daskStop, wlogs); code != 0 {
		t.Errorf("worker runtime exit code %d, want 0; log:\n%s", code, wlogs)
	}
}

func TestMissingEnvPythonIsAClearError(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cfg, logs := testConfig(t, am, container.RoleScheduler, "container_e", "dask", "scheduler")
	cfg.EnvDir = "env" // relative to the work dir, and empty
	if err := os.MkdirAll(filepath.Join(cfg.WorkDir, "env", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code := start(cfg).wait(t, time.Minute, logs); code != container.ExitRuntimeError {
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
	if code := start(cfg2).wait(t, time.Minute, logs2); code != container.ExitRuntimeError {
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
	if code := start(cfg).wait(t, time.Minute, logs); code != container.ExitRuntimeError {
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

// liveScheduler is an address where something accepts connections, as a
// running scheduler does; the listener lives until the test ends.
func liveScheduler(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return "tcp://" + l.Addr().String()
}

// deadAddress is a host:port where nothing listens.
func deadAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

// waitOnFile is a child that runs until the file "stop" appears in its
// working directory, then exits with code.
func waitOnFile(code int) []string {
	return []string{"sh", "-c", fmt.Sprintf("while [ ! -e stop ]; do sleep 0.1; done; exit %d", code)}
}

func TestUnreachableAMDoesNotKillTheChild(t *testing.T) {
	am := &fakeAM{Server: &httptest.Server{URL: "http://" + deadAddress(t)}, secret: []byte("k")}
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_u", waitOnFile(5)...)
	cfg.SchedulerAddress = liveScheduler(t)
	cfg.AMRetryFor = time.Second
	r := start(cfg)
	waitFor(t, time.Minute, "the runtime to say the AM is unreachable", func() bool {
		return strings.Contains(logs.String(), "the process keeps running")
	}, logs)
	if err := os.WriteFile(filepath.Join(cfg.WorkDir, "stop"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code := r.wait(t, time.Minute, logs); code != 5 {
		t.Fatalf("exit code %d, want the child's 5; log:\n%s", code, logs)
	}
}

func TestSchedulerExitingEarlyIsAnError(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cfg, logs := testConfig(t, am, container.RoleScheduler, "container_early", "sh", "-c", "exit 3")
	if code := start(cfg).wait(t, time.Minute, logs); code != 3 {
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
	// The runtime asked the AM several times and heard of no scheduler.
	waitFor(t, time.Minute, "3 scheduler polls", func() bool { return am.schedulerGets() >= 3 }, logs)
	if strings.Contains(logs.String(), "started with") {
		t.Fatalf("worker started without an address:\n%s", logs)
	}
	sched := liveScheduler(t)
	am.setScheduler(sched, "", 1)
	// The worker exits 4 with its scheduler still there: the container ends.
	if code := r.wait(t, time.Minute, logs); code != 4 {
		t.Fatalf("exit %d; log:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "started with "+sched) {
		t.Fatalf("log:\n%s", logs)
	}
}

// TestWorkerIsReadyOnlyOnceItsSchedulerListsIt: a worker process that runs
// but is not in its scheduler's worker list is not reported ready; once
// listed, it is, with the address the scheduler lists.
func TestWorkerIsReadyOnlyOnceItsSchedulerListsIt(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	sch := newFakeScheduler(t)
	sched := liveScheduler(t)
	am.setScheduler(sched, sch.hostPort(), 1)
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_join", waitOnFile(0)...)
	cfg.SchedulerAddress = sched
	r := start(cfg)
	defer r.stop(t, time.Minute, logs)
	waitFor(t, time.Minute, "the runtime to ask the scheduler for its workers 3 times", func() bool {
		_, readied := am.ready("container_join")
		return sch.timesAsked() >= 3 || readied
	}, logs)
	if got, ok := am.ready("container_join"); ok {
		t.Fatalf("reported ready (%+v) before the scheduler listed the worker; log:\n%s", got, logs)
	}
	sch.join("container_join", "tcp://127.0.0.1:4242")
	got := am.waitReady(t, "container_join", time.Minute, logs)
	if got.Address != "tcp://127.0.0.1:4242" || got.Role != container.RoleWorker || got.Service != "worker" {
		t.Fatalf("ready = %+v, want the worker at the address its scheduler lists", got)
	}
}

// TestWorkerWaitsForANewSchedulerAfterLosingIt: the worker process exits
// on its own (Dask's worker exits 0 when its scheduler's connection
// breaks) and nothing answers at its scheduler's address: the runtime does
// not exit but waits, and starts the worker again against the next
// scheduler the AM reports.
func TestWorkerWaitsForANewSchedulerAfterLosingIt(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	old, next := "tcp://"+deadAddress(t), liveScheduler(t)
	am.setScheduler(old, "", 1)
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_lost", "sh", "-c",
		`echo "started against $0"; if [ "$0" = "$NEXT" ]; then while :; do sleep 0.1; done; fi; exit 0`)
	cfg.Environ = append(os.Environ(), "NEXT="+next)
	cfg.SchedulerAddress = old
	r := start(cfg)
	defer r.stop(t, time.Minute, logs)
	waitFor(t, time.Minute, "the runtime to wait for a new scheduler", func() bool {
		return strings.Contains(logs.String(), "scheduler went away; waiting") || r.exited()
	}, logs)
	// A few more polls of an AM that still reports the dead scheduler.
	for n := am.schedulerGets(); am.schedulerGets() < n+3 && !r.exited(); {
		time.Sleep(50 * time.Millisecond)
	}
	if r.exited() {
		t.Fatalf("the runtime exited (%d) when its worker lost the scheduler; log:\n%s", r.result, logs)
	}
	am.setScheduler(next, "", 2)
	waitFor(t, time.Minute, "the worker started against the new scheduler", func() bool {
		return strings.Contains(logs.String(), "started against "+next) || r.exited()
	}, logs)
	if r.exited() {
		t.Fatalf("the runtime exited (%d); log:\n%s", r.result, logs)
	}
}

// TestWorkerGivesUpWhenNoNewSchedulerComes: the wait for a new scheduler
// is bounded, and its end says why.
func TestWorkerGivesUpWhenNoNewSchedulerComes(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	old := "tcp://" + deadAddress(t)
	am.setScheduler(old, "", 1)
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_gone", "sh", "-c", "exit 0")
	cfg.SchedulerAddress = old
	cfg.SchedulerWait = time.Second
	if code := start(cfg).wait(t, time.Minute, logs); code != container.ExitRuntimeError {
		t.Fatalf("exit %d, want %d; log:\n%s", code, container.ExitRuntimeError, logs)
	}
	if !strings.Contains(logs.String(), "no new scheduler came") {
		t.Fatalf("log does not say why:\n%s", logs)
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
	deadline := time.Now().Add(time.Minute)
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
	// A grace far beyond the test's deadline: only the child's own exit
	// on the forwarded SIGTERM can end the runtime in time.
	cmd, out, wd := runtimeProcess(t, am, "1h", "sh", "-c", `echo $$ > child.pid; trap 'exit 7' TERM; while :; do sleep 0.1; done`)
	readPid(t, filepath.Join(wd, "child.pid"), out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, took := exitCodeOf(t, cmd, 2*time.Minute, out); code != 7 {
		t.Fatalf("exit %d after %s, want the child's 7; output:\n%s", code, took, out)
	}
	if !strings.Contains(out.String(), "signal=terminated") {
		t.Errorf("output does not log the forwarded signal:\n%s", out)
	}
}

func TestGracePeriodEndsWithSIGKILL(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cmd, out, wd := runtimeProcess(t, am, "1s", "sh", "-c", `echo $$ > child.pid; trap '' TERM; sleep 100`)
	pgid := readPid(t, filepath.Join(wd, "child.pid"), out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, took := exitCodeOf(t, cmd, 2*time.Minute, out)
	if code != 128+int(syscall.SIGKILL) || took < 900*time.Millisecond {
		t.Fatalf("exit %d after %s, want 137 after the 1s grace; output:\n%s", code, took, out)
	}
	if !strings.Contains(out.String(), "SIGKILL") {
		t.Errorf("output does not log the kill:\n%s", out)
	}
	// Nothing of the child's group is left: the sleep died too.
	deadline := time.Now().Add(time.Minute)
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

// TestFailedWorkerEndsItsContainerEvenWithoutScheduler: only Dask's clean
// exit on a lost scheduler keeps the container; a worker that crashes or is
// killed while its scheduler is away ends the container with its code, so
// the AM counts and replaces it.
func TestFailedWorkerEndsItsContainerEvenWithoutScheduler(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	old := "tcp://" + deadAddress(t)
	am.setScheduler(old, "", 1)
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_crash", "sh", "-c", "exit 3")
	cfg.SchedulerAddress = old
	if code := start(cfg).wait(t, time.Minute, logs); code != 3 {
		t.Fatalf("exit %d, want the worker's own 3; log:\n%s", code, logs)
	}
}
