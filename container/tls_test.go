package container_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// roleBundle is what the AM hands a container: the CA and its role's pair.
func roleBundle(t *testing.T, b *dasktls.Bundle, r dasktls.Role) *dasktls.Bundle {
	t.Helper()
	creds := credentials.New()
	b.AddTo(creds, r)
	got, ok := dasktls.FromCredentials(creds)
	if !ok {
		t.Fatal("no TLS material")
	}
	return got
}

// runTLSClient runs a Dask client with extra environment and returns its
// output and error.
func runTLSClient(t *testing.T, py, script string, env map[string]string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", script}, args...)...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// keyBody is the base64 body of a PEM private key: what would show if the
// key leaked into an environment, an argv or a log.
func keyBody(t *testing.T, key []byte) string {
	t.Helper()
	blk, _ := pem.Decode(key)
	if blk == nil {
		t.Fatal("key is not PEM")
	}
	lines := strings.Split(strings.TrimSpace(string(key)), "\n")
	return lines[1] // the first base64 line: unique to this key
}

// TestRealDaskOverTLS: with the application's TLS material, the runtime
// starts a scheduler that listens on tls:// and a worker that joins it
// (readiness through the scheduler's HTTP API still works); a client with
// the application's client pair computes; a client without it, or with
// another application's, is refused. The keys are files at 0600 and
// appear in no process's environment or argv, nor in the logs.
func TestRealDaskOverTLS(t *testing.T) {
	py := pyenv.DaskPython(t)
	envDir := filepath.Dir(filepath.Dir(py))
	am := newFakeAM(t, []byte("s3cret"))
	b, err := dasktls.New("application_1_0001", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	scfg, slogs := testConfig(t, am, container.RoleScheduler, "container_s1", "dask", "scheduler")
	scfg.EnvDir, scfg.TLS = envDir, roleBundle(t, b, dasktls.Scheduler)
	s := start(scfg)
	t.Cleanup(func() { s.stop(t, daskStop, slogs) })
	ready := am.waitReady(t, "container_s1", daskStart, slogs)
	if !strings.HasPrefix(ready.Address, "tls://127.0.0.1:") {
		t.Fatalf("scheduler ready at %q, want tls://127.0.0.1:port; log:\n%s", ready.Address, slogs)
	}
	am.setScheduler(ready.Address, ready.DashboardAddress, 1)

	wcfg, wlogs := testConfig(t, am, container.RoleWorker, "container_w1", "dask", "worker", "--nthreads", "1")
	wcfg.EnvDir, wcfg.TLS, wcfg.SchedulerAddress = envDir, roleBundle(t, b, dasktls.Worker), ready.Address
	w := start(wcfg)
	t.Cleanup(func() { w.stop(t, daskStop, wlogs) })
	wready := am.waitReady(t, "container_w1", daskStart, wlogs)
	if !strings.HasPrefix(wready.Address, "tls://127.0.0.1:") {
		t.Fatalf("worker ready at %q, want tls://; log:\n%s", wready.Address, wlogs)
	}

	for _, c := range []struct {
		dir  string
		role dasktls.Role
	}{{scfg.WorkDir, dasktls.Scheduler}, {wcfg.WorkDir, dasktls.Worker}} {
		d := filepath.Join(c.dir, ".spindle-tls")
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want a 0700 folder", d, fi, err)
		}
		if _, _, err := dasktls.Read(d, c.role); err != nil { // refuses any file not 0600
			t.Errorf("%s files: %v", c.role, err)
		}
	}

	clientDir := t.TempDir()
	f, err := b.Write(clientDir, dasktls.Client)
	if err != nil {
		t.Fatal(err)
	}
	const compute = `
import sys
from distributed import Client
with Client(sys.argv[1], timeout=60) as c:
    c.wait_for_workers(1, timeout=180)
    print(c.submit(lambda x: x + 1, 41).result(), sorted(str(w["name"]) for w in c.scheduler_info(n_workers=-1)["workers"].values()))
`
	out, err := runTLSClient(t, py, compute, dasktls.Env(f, dasktls.Client), ready.Address)
	if err != nil || !strings.Contains(out, "42 ['container_w1']") {
		t.Fatalf("client with the application's pair: %v\n%s", err, out)
	}

	// Refused: no TLS configuration at all; another application's pair;
	// plain tcp to the TLS port.
	other, _ := dasktls.New("application_1_0002", time.Now(), time.Hour)
	otherFiles, err := other.Write(t.TempDir(), dasktls.Client)
	if err != nil {
		t.Fatal(err)
	}
	const connect = `
import sys
from distributed import Client
try:
    Client(sys.argv[1], timeout=15)
except Exception as e:
    print("REFUSED", type(e).__name__, e)
    sys.exit(0)
print("CONNECTED")
sys.exit(1)
`
	for name, c := range map[string]struct {
		env  map[string]string
		addr string
	}{
		"no key":                  {nil, ready.Address},
		"another application key": {dasktls.Env(otherFiles, dasktls.Client), ready.Address},
		"plain tcp":               {nil, "tcp://" + strings.TrimPrefix(ready.Address, "tls://")},
	} {
		out, err := runTLSClient(t, py, connect, c.env, c.addr)
		if err != nil || !strings.Contains(out, "REFUSED") {
			t.Errorf("client with %s: not refused (%v)\n%s", name, err, out)
		}
	}
	// A script (submit --script) gets the client's pair: a plain Client()
	// connects.
	ccfg, clogs := testConfig(t, am, container.RoleClient, "container_c1", py, "-c",
		"from distributed import Client\nwith Client(timeout=60) as c:\n    print('SCRIPT', c.submit(lambda: 7).result())")
	ccfg.TLS = roleBundle(t, b, dasktls.Client)
	if code := start(ccfg).wait(t, daskStart, clogs); code != 0 || !strings.Contains(clogs.String(), "SCRIPT 7") {
		t.Errorf("script with the client's pair: exit %d; log:\n%s", code, clogs)
	}
	if _, got := am.readyN("container_w1"); got != 1 {
		t.Errorf("worker reported ready %d times, want 1", got)
	}

	// No key material in the Dask processes' environments or argv, nor in
	// the runtimes' logs and the Dask processes' output.
	secrets := []string{keyBody(t, b.Pairs[dasktls.Scheduler].Key), keyBody(t, b.Pairs[dasktls.Worker].Key)}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	seen := 0
	for _, p := range procs {
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		if cwd != scfg.WorkDir && cwd != wcfg.WorkDir {
			continue
		}
		seen++
		env, _ := os.ReadFile(filepath.Join(p, "environ"))
		argv, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		for _, sec := range secrets {
			if bytes.Contains(env, []byte(sec)) || bytes.Contains(argv, []byte(sec)) {
				t.Errorf("process %s holds a private key in its environment or argv", p)
			}
		}
		if !bytes.Contains(env, []byte(dasktls.EnvCAFile+"=")) {
			t.Errorf("process %s (%s) has no %s", p, bytes.ReplaceAll(argv, []byte{0}, []byte(" ")), dasktls.EnvCAFile)
		}
	}
	if seen < 2 {
		t.Errorf("found %d Dask processes in the containers' folders, want the scheduler and the worker", seen)
	}
	for who, l := range map[string]*syncBuffer{"scheduler": slogs, "worker": wlogs} {
		for _, sec := range secrets {
			if strings.Contains(l.String(), sec) {
				t.Errorf("the %s's log holds a private key", who)
			}
		}
	}
	if code := w.stop(t, daskStop, wlogs); code != 0 {
		t.Errorf("worker runtime exit %d", code)
	}
}

func TestChildArgsTLS(t *testing.T) {
	b, _ := dasktls.New("a", time.Now(), time.Hour)
	cfg := container.Config{Command: []string{"dask", "scheduler"}, Role: container.RoleScheduler,
		Host: "node1", WorkDir: "/c", ContainerID: "container_1", TLS: b}
	want := []string{"dask", "scheduler", "--protocol", "tls", "--host", "node1", "--port", "0",
		"--dashboard-address", "node1:0", "--scheduler-file", "/c/scheduler.json"}
	if got := container.ChildArgs(cfg, ""); !reflect.DeepEqual(got, want) {
		t.Errorf("scheduler with TLS: %q", got)
	}
}

// TestConfigReadsItsRolesTLS: the runtime takes its role's pair from the
// token file, and refuses a token file with the CA but not its pair.
func TestConfigReadsItsRolesTLS(t *testing.T) {
	b, _ := dasktls.New("a", time.Now(), time.Hour)
	write := func(roles ...dasktls.Role) string {
		c := credentials.New()
		c.AddSecret(container.SecretAlias, []byte("s"))
		b.AddTo(c, roles...)
		p := filepath.Join(t.TempDir(), "tokens")
		if err := c.WriteFile(p, credentials.FormatWritable); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for k, v := range map[string]string{"SPINDLE_AM_URL": "http://am:1", "SPINDLE_SERVICE": "worker", "SPINDLE_ROLE": "worker",
		"SPINDLE_COMMAND": `["dask","worker"]`, "CONTAINER_ID": "c1", "NM_HOST": "n", "PWD": "/c"} {
		t.Setenv(k, v)
	}
	t.Setenv("HADOOP_TOKEN_FILE_LOCATION", write(dasktls.Worker))
	cfg, err := container.ConfigFromEnv()
	if err != nil || cfg.TLS == nil || !bytes.Equal(cfg.TLS.Pairs[dasktls.Worker].Key, b.Pairs[dasktls.Worker].Key) {
		t.Fatalf("config %+v, err %v: want the worker's pair", cfg.TLS, err)
	}
	t.Setenv("HADOOP_TOKEN_FILE_LOCATION", write(dasktls.Scheduler))
	if _, err := container.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "no worker certificate") {
		t.Errorf("token file with another role's pair: %v", err)
	}
	t.Setenv("HADOOP_TOKEN_FILE_LOCATION", write())
	if _, err := container.ConfigFromEnv(); err == nil {
		t.Error("token file with the CA alone: no error")
	}
}

// TestExpiredTLSPairIsAClearError: a container started after the
// application's certificates expired says so and starts no Dask process.
func TestExpiredTLSPairIsAClearError(t *testing.T) {
	am := newFakeAM(t, []byte("s3cret"))
	am.setScheduler("tls://127.0.0.1:9", "127.0.0.1:10", 1)
	b, err := dasktls.New("application_1_0001", time.Now().Add(-3*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "started")
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_w9", "/bin/sh", "-c", `touch "$0"`, marker)
	cfg.TLS = roleBundle(t, b, dasktls.Worker)
	if code := start(cfg).wait(t, time.Minute, logs); code != container.ExitRuntimeError {
		t.Fatalf("exit %d, want %d; log:\n%s", code, container.ExitRuntimeError, logs)
	}
	if !strings.Contains(logs.String(), "worker certificate") || !strings.Contains(logs.String(), "expired") {
		t.Errorf("log does not say the worker certificate expired:\n%s", logs)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child ran with an expired certificate")
	}
}

// TestTokenFileIsRestricted: the runtime makes its token file (0644 as the
// NodeManager writes it) readable by its user only before anything runs.
func TestTokenFileIsRestricted(t *testing.T) {
	am := newFakeAM(t, []byte("s3cret"))
	am.setScheduler("tcp://127.0.0.1:9", "", 1)
	tf := writeTokenFile(t, []byte("s3cret"))
	if err := os.Chmod(tf, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, logs := testConfig(t, am, container.RoleClient, "container_c9", "/bin/sh", "-c", "true")
	cfg.TokenFile = tf
	if code := start(cfg).wait(t, time.Minute, logs); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, logs)
	}
	if fi, err := os.Stat(tf); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file after the runtime started: %v %v, want mode 0600", fi, err)
	}
}
