package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
)

// evalEnv evals script in sh and returns the variables named, as set
// after it (unset ones as "<unset>").
func evalEnv(t *testing.T, script string, names ...string) map[string]string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString(script)
	for _, n := range names {
		sb.WriteString(`printf '%s\0' "${` + n + `-<unset>}"` + "\n")
	}
	cmd := exec.Command("sh", "-c", sb.String())
	cmd.Env = []string{"PATH=/usr/bin:/bin", dasktls.EnvCAFile + "=/stale/ca.pem"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, sb.String())
	}
	vals := strings.Split(string(out), "\x00")
	got := map[string]string{}
	for i, n := range names {
		got[n] = vals[i]
	}
	return got
}

// TestShellEnv: for a TLS scheduler, the exports name the client's files
// under the client and worker roles, whatever the path holds; for a plain
// one, Dask's TLS variables from an earlier eval are unset.
func TestShellEnv(t *testing.T) {
	dir := "/home/o'brien/$(touch x)/`id` d"
	f := dasktls.Files{CA: dir + "/ca.pem", Cert: dir + "/client.pem", Key: dir + "/client-key.pem"}
	names := append([]string{"DASK_SCHEDULER_ADDRESS"}, dasktls.EnvNames()...)
	got := evalEnv(t, shellEnv("tls://10.0.0.1:4000", &f), names...)
	want := map[string]string{
		"DASK_SCHEDULER_ADDRESS":                     "tls://10.0.0.1:4000",
		"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
		"DASK_DISTRIBUTED__COMM__TLS__CA_FILE":       f.CA,
		"DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT":  f.Cert,
		"DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY":   f.Key,
		"DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT":  f.Cert,
		"DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY":   f.Key,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("TLS: %s = %q after eval, want %q", k, got[k], v)
		}
	}
	got = evalEnv(t, shellEnv("tcp://10.0.0.1:4000", nil), names...)
	for _, k := range names {
		if want := "<unset>"; k != "DASK_SCHEDULER_ADDRESS" && got[k] != want {
			t.Errorf("plain: %s = %q after eval, want it unset", k, got[k])
		}
	}
	if got["DASK_SCHEDULER_ADDRESS"] != "tcp://10.0.0.1:4000" {
		t.Errorf("plain: address %q", got["DASK_SCHEDULER_ADDRESS"])
	}
	if code, _, errOut := run("address", "application_1_0001", "--env", "--json"); code != ExitUsage || !strings.Contains(errOut, "--env") {
		t.Errorf("--env --json: exit %d (%s), want %d", code, errOut, ExitUsage)
	}
}

// TestAddressEnvFetchesTheClientKey: on an edge node without the client's
// key (another machine of the same user), `address --env` fetches it from
// the application's staging folder into ~/.spindle/apps/<id>/ (0700, files
// 0600) and exports Dask's TLS variables naming those files.
func TestAddressEnvFetchesTheClientKey(t *testing.T) {
	confDir := useCluster(t)
	home := filepath.Join(t.TempDir(), "it's $(home)")
	t.Setenv("SPINDLE_HOME", home)
	fs := testHDFS(t, confDir)
	id, _ := submitSleeper(t, confDir, "address-env-test")
	p := discovery.Path(fs.User(), id)
	if err := discovery.Publish(context.Background(), fs, p,
		discovery.SchedulerFile{Type: "Scheduler", ID: "Scheduler-1", Address: "tls://node1:40123"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.RemoveAll(path.Dir(p)) })

	// The bare address needs no key.
	if out, _ := mustRun(t, ExitOK, "address", id); out != "tls://node1:40123\n" {
		t.Fatalf("address: %q", out)
	}
	// Without the key anywhere: an error naming both places, no exports.
	code, out, errOut := run("address", id, "--env")
	if code == ExitOK || out != "" || !strings.Contains(errOut, filepath.Join(home, "apps", id)) || !strings.Contains(errOut, "staging") {
		t.Fatalf("no key anywhere: exit %d, stdout %q, stderr %q; want an error naming where it looked", code, out, errOut)
	}

	b, err := dasktls.New(id, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	staging := path.Join("/user", fs.User(), ".spindle", "staging", id, "tls")
	if err := fs.MkdirAll(staging, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fs.RemoveAll(path.Dir(staging)) })
	for name, body := range map[string][]byte{"ca.pem": b.CA, "client.pem": b.Pairs[dasktls.Client].Cert, "client-key.pem": b.Pairs[dasktls.Client].Key} {
		w, err := fs.Create(path.Join(staging, name))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(body)
		// CloseHDFSFile retries the NameNode's "replication in progress".
		if err := hadooprpc.CloseHDFSFile(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}
	out, _ = mustRun(t, ExitOK, "address", id, "--env")
	got := evalEnv(t, out, "DASK_SCHEDULER_ADDRESS", dasktls.EnvCAFile, dasktls.EnvKey(dasktls.Client), dasktls.EnvCert(dasktls.Worker))
	local := filepath.Join(home, "apps", id)
	if got["DASK_SCHEDULER_ADDRESS"] != "tls://node1:40123" || got[dasktls.EnvCAFile] != filepath.Join(local, "ca.pem") ||
		got[dasktls.EnvKey(dasktls.Client)] != filepath.Join(local, "client-key.pem") || got[dasktls.EnvCert(dasktls.Worker)] != filepath.Join(local, "client.pem") {
		t.Fatalf("after eval of\n%s\ngot %v", out, got)
	}
	if fi, err := os.Stat(local); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v, %v; want a 0700 folder", local, fi, err)
	}
	back, _, err := dasktls.Read(local, dasktls.Client) // refuses files not 0600
	if err != nil || string(back.Pairs[dasktls.Client].Key) != string(b.Pairs[dasktls.Client].Key) {
		t.Fatalf("local client key: %v", err)
	}
	out, _ = mustRun(t, ExitOK, "address", id, "--json")
	var j addressJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.TLS == nil || j.TLS.Key != filepath.Join(local, "client-key.pem") {
		t.Fatalf("--json: %s (%v): want the tls files", out, err)
	}
}
