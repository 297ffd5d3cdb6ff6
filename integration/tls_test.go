package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// tlsSpec is daskSpec with tls: true.
func tlsSpec(t *testing.T, workers int) string {
	p := daskSpec(t, workers)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append([]byte("tls: true\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pemLine is the first base64 line of a PEM key: unique to the key, what
// a leak would show.
func pemLine(t *testing.T, key []byte) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(string(key)), "\n")
	if len(lines) < 3 || !strings.Contains(lines[0], "PRIVATE KEY") {
		t.Fatalf("not a PEM private key: %.40q", key)
	}
	return lines[1]
}

// inShell runs script in bash with env added, in its own process group
// (killed when ctx ends or the script returns), and returns its output.
func inShell(t *testing.T, ctx context.Context, script string, env map[string]string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // a worker left behind
	}
	return string(out), err
}

// outsideScript: in a shell that ran `eval "$(spindle address ID --env)"`,
// a `dask worker` started by hand joins and a plain Client() computes, on
// the YARN workers and on the hand-started one.
const outsideScript = `
set -e
eval "$("$SPINDLE" address "$APP" --env)"
case "$DASK_SCHEDULER_ADDRESS" in tls://*) ;; *) echo "address $DASK_SCHEDULER_ADDRESS is not tls://"; exit 1;; esac
"$DASKBIN" worker --name outside-worker --nthreads 1 --no-dashboard > "$WLOG" 2>&1 &
wpid=$!
trap 'kill $wpid 2>/dev/null; wait $wpid 2>/dev/null || true' EXIT
"$PY" -c '
import dask.array as da
from distributed import Client
c = Client(timeout=60)
c.wait_for_workers(3, timeout=180)
names = {str(w["name"]): a for a, w in c.scheduler_info(n_workers=-1)["workers"].items()}
on_outside = c.submit(lambda x: x * 2, 21, workers=[names["outside-worker"]], pure=False).result()
print("RESULT", int(da.arange(1_000_000, chunks=100_000).sum().compute()), on_outside, "outside-worker" in names)
c.close()
'
`

// refusedScript tries to connect and prints REFUSED when it cannot.
const refusedScript = `
import sys
from distributed import Client
try:
    Client(sys.argv[1], timeout=20)
except Exception as e:
    print("REFUSED", type(e).__name__, e)
    sys.exit(0)
print("CONNECTED")
`

// TestTLSApplication: an application with tls: true runs its Dask cluster
// on tls:// with a CA of its own. After eval "$(spindle address ID --env)"
// a plain Client() computes and a `dask worker` started by hand joins;
// a client without the key, with another CA's key, or in plain tcp is
// refused. The AM still sees workers ready and retires them through the
// scheduler's HTTP API, and the dashboard stays plain HTTP. The key files
// are 0600, and no private key shows in any container's launch script,
// its processes' environment or argv, or `spindle logs`.
func TestTLSApplication(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	sub := submitWait(t, ctx, "--binary", bin, tlsSpec(t, 2))
	if !strings.HasPrefix(sub.Address, "tls://") {
		t.Fatalf("submit --wait: scheduler address %q, want tls://", sub.Address)
	}
	app := sub.AppID
	local := filepath.Join(os.Getenv("SPINDLE_HOME"), "apps", app)
	if fi, err := os.Stat(local); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v %v, want a 0700 folder", local, fi, err)
	}
	client, files, err := dasktls.Read(local, dasktls.Client) // refuses files not 0600
	if err != nil {
		t.Fatalf("the client's key after submit: %v", err)
	}
	if r := spindle(t, ctx, "address", app); strings.TrimSpace(r.stdout) != sub.Address {
		t.Fatalf("address: %q, want %s", r.stdout, sub.Address)
	}
	eventually(t, 3*time.Minute, "2 ready workers (readiness through the scheduler's HTTP API)", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 2, summary(cs)
	})
	checkDashboard(t, ctx, sub.Dashboard)

	out, err := inShell(t, ctx, outsideScript, map[string]string{"SPINDLE": bin, "APP": app, "PY": py,
		"DASKBIN": filepath.Join(filepath.Dir(py), "dask"), "WLOG": filepath.Join(t.TempDir(), "worker.log")})
	if err != nil || !strings.Contains(out, "RESULT "+wantSum+" 42 True") {
		t.Fatalf("Client() and a hand-started worker after eval of spindle address --env: %v\n%s", err, out)
	}

	other, err := dasktls.New("application_0_0000", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherFiles, err := other.Write(t.TempDir(), dasktls.Client)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		env  map[string]string
		addr string
	}{
		"no key":             {nil, sub.Address},
		"another CA's key":   {dasktls.Env(otherFiles, dasktls.Client), sub.Address},
		"plain tcp":          {nil, "tcp://" + strings.TrimPrefix(sub.Address, "tls://")},
		"the CA but no pair": {map[string]string{dasktls.EnvCAFile: files.CA, dasktls.EnvRequireEncryption: "True"}, sub.Address},
	} {
		env := map[string]string{"PY": py, "SCRIPT": refusedScript, "ADDR": c.addr}
		for k, v := range c.env {
			env[k] = v
		}
		out, err := inShell(t, ctx, `"$PY" -c "$SCRIPT" "$ADDR"`, env)
		if err != nil || !strings.Contains(out, "REFUSED") {
			t.Errorf("client with %s: not refused (%v)\n%s", name, err, out)
		}
	}

	// Scale down: the AM retires a worker through the scheduler's HTTP API.
	if r := spindle(t, ctx, "scale", app, "--workers", "1"); r.code != 0 {
		t.Fatalf("scale 1: exit %d", r.code)
	}
	eventually(t, 3*time.Minute, "1 worker left, 1 retired", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 1 && count(cs, "worker", "retired") == 1, summary(cs)
	})

	// The containers' keys: 0600 files in a 0700 folder of their working
	// dir. No key in launch scripts, environments, argv.
	keys := map[string]string{"client": pemLine(t, client.Pairs[dasktls.Client].Key)}
	seen := map[string]bool{}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		if !strings.Contains(cwd, app) || !strings.Contains(filepath.Base(cwd), "container_") {
			continue
		}
		if !seen[cwd] {
			seen[cwd] = true
			for _, role := range dasktls.Roles {
				b, _, err := dasktls.Read(filepath.Join(cwd, ".spindle-tls"), role)
				if err == nil {
					keys[string(role)+" in "+filepath.Base(cwd)] = pemLine(t, b.Pairs[role].Key)
				}
			}
		}
	}
	if len(keys) < 3 {
		t.Fatalf("found the keys of %d containers' TLS folders (%v), want the scheduler's and a worker's", len(keys)-1, keys)
	}
	var where []string
	for cwd := range seen {
		// The NodeManager writes the YARN credentials (TLS pairs included)
		// 0644; the runtime and the AM make them 0600.
		if fi, err := os.Stat(filepath.Join(cwd, "container_tokens")); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: container_tokens %v %v, want mode 0600", filepath.Base(cwd), fi, err)
		}
		script, err := os.ReadFile(filepath.Join(cwd, "launch_container.sh"))
		if err != nil {
			t.Errorf("launch script of %s: %v", cwd, err)
		}
		where = append(where, string(script))
	}
	for _, p := range procs {
		cwd, _ := os.Readlink(filepath.Join(p, "cwd"))
		if !seen[cwd] {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(p, "environ"))
		argv, _ := os.ReadFile(filepath.Join(p, "cmdline"))
		where = append(where, string(env), string(argv))
	}
	r := spindle(t, ctx, "logs", app)
	where = append(where, r.stdout, r.stderr)
	if !strings.Contains(r.stdout, "tls://") {
		t.Errorf("spindle logs shows no tls:// address: the scan read no Dask logs?\n%.2000s", r.stdout)
	}
	for who, k := range keys {
		for _, w := range where {
			if strings.Contains(w, k) {
				t.Errorf("the %s key shows in a launch script, a process's environment or argv, or spindle logs", who)
			}
		}
	}
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
	eventually(t, 3*time.Minute, "the application's logs aggregated", func() (bool, string) {
		r = spindle(t, ctx, "logs", app)
		return r.code == 0 && strings.Contains(r.stdout, "tls://"), fmt.Sprintf("logs: exit %d: %.500s", r.code, r.stderr)
	})
	for who, k := range keys {
		if strings.Contains(r.stdout, k) || strings.Contains(r.stderr, k) {
			t.Errorf("the %s key shows in the aggregated logs", who)
		}
	}
}
