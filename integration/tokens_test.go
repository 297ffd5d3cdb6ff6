package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/spindle-yarn/spindle/hadooprpc"
	hadoopconf "github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/integration/cluster"
	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// startSecure starts a Kerberized cluster of the test's own (the shared
// cluster is not Kerberized) with hadoop.rpc.protection (empty:
// authentication; SPINDLE_TEST_RPC_PROTECTION overrides) and extra server
// settings, points the
// environment at it as after kinit, and stops it when the test ends.
func startSecure(t *testing.T, protection string, extra map[string]string) *cluster.Cluster {
	t.Helper()
	hadoop.Get(t) // skips under -short like every cluster test
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Block transfers protected as the RPC (dfs.data.transfer.protection).
	opts := cluster.Options{Secure: true, Conf: extra, RPCProtection: protection}
	if p := os.Getenv("SPINDLE_TEST_RPC_PROTECTION"); p != "" {
		opts.RPCProtection = p
	}
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start the Kerberized cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	for _, kv := range c.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("SPINDLE_HOME", t.TempDir())
	t.Setenv("HADOOP_USER_NAME", "")
	return c
}

// kerberosHDFS is an HDFS client logged in from the user's ticket cache.
func kerberosHDFS(t *testing.T, c *cluster.Cluster, proxy string) *hdfs.Client {
	t.Helper()
	cfg, err := hadoopconf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := hadooprpc.NewHDFS(cfg, hadooprpc.Options{ProxyUser: proxy})
	if err != nil {
		t.Fatalf("HDFS client with the ticket cache: %v", err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

// useDaskEnv sets, for the Dask clients the test starts, what
// `eval "$(spindle address APP --env)"` exports: the scheduler address and
// Dask's TLS settings (TLS is on by default on a Kerberized cluster).
func useDaskEnv(t *testing.T, ctx context.Context, app string) {
	t.Helper()
	r := spindle(t, ctx, "address", app, "--env")
	if r.code != 0 {
		t.Fatalf("address --env: exit %d", r.code)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if names, ok := strings.CutPrefix(line, "unset "); ok {
			for _, k := range strings.Fields(names) {
				t.Setenv(k, "") // restored at the end
				os.Unsetenv(k)
			}
			continue
		}
		kv, ok := strings.CutPrefix(line, "export ")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 || len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' || strings.Contains(v[1:len(v)-1], "'") {
			t.Fatalf("address --env printed %q, not export K='V'", line)
		}
		t.Setenv(k, v[1:len(v)-1])
	}
}

// putHDFS writes a small file.
func putHDFS(t *testing.T, fs *hdfs.Client, path, content string) {
	t.Helper()
	_ = fs.MkdirAll(filepath.Dir(path), 0o755)
	_ = fs.Remove(path)
	w, err := fs.Create(path)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := hadooprpc.CloseHDFSFile(context.Background(), w); err != nil {
		t.Fatal(err)
	}
}

// workerReadsHDFS runs, on a Dask worker of the application, the Hadoop
// Java client (FsShell -cat) with no Kerberos ticket at all: it can only
// authenticate with the delegation token in the container's
// HADOOP_TOKEN_FILE_LOCATION. It returns what it read.
func workerReadsHDFS(t *testing.T, ctx context.Context, c *cluster.Cluster, address, path string) string {
	t.Helper()
	cp, err := os.ReadFile(filepath.Join(cluster.ProgramDir(), "target", "classpath.txt"))
	if err != nil {
		t.Fatal(err)
	}
	script := `
import json, sys
from distributed import Client
addr, java, cp, krb5, path = sys.argv[1:6]
def read():
    import os, subprocess
    env = dict(os.environ)
    env["KRB5CCNAME"] = "/nonexistent/no-ticket-cache"
    tf = env.get("HADOOP_TOKEN_FILE_LOCATION", "")
    p = subprocess.run([java, "-Djava.security.krb5.conf=" + krb5, "-cp", cp,
                        "org.apache.hadoop.fs.FsShell", "-cat", path],
                       capture_output=True, env=env, timeout=300)
    return {"rc": p.returncode, "out": p.stdout.decode(), "err": p.stderr.decode()[-4000:], "token_file": tf}
c = Client(addr, timeout=60)
c.wait_for_workers(1, timeout=180)
print(json.dumps(c.submit(read, pure=False).result(timeout=400)))
c.close()
`
	java := "java"
	if p, err := exec.LookPath("java"); err == nil {
		java = p
	}
	py := pyenv.DaskPython(t)
	cmd := exec.CommandContext(ctx, py, "-c", script, address, java,
		c.ConfDir+":"+strings.TrimSpace(string(cp)), c.Kerberos.Krb5Conf, path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dask client running FsShell on a worker: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var r struct {
		RC        int    `json:"rc"`
		Out       string `json:"out"`
		Err       string `json:"err"`
		TokenFile string `json:"token_file"`
	}
	mustJSON(t, lines[len(lines)-1], &r)
	if r.TokenFile == "" {
		t.Fatal("the Dask worker has no HADOOP_TOKEN_FILE_LOCATION")
	}
	if r.RC != 0 {
		t.Fatalf("FsShell -cat %s on a worker (token file %s): exit %d\n%s", path, r.TokenFile, r.RC, r.Err)
	}
	return r.Out
}

// secureSpec is daskSpec with the Java client reachable on the workers.
func secureSpec(t *testing.T, workers int, extra string) string {
	p := daskSpec(t, workers)
	if extra != "" {
		b, _ := os.ReadFile(p)
		if err := os.WriteFile(p, append(b, []byte(extra)...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// submitSecure submits with --wait and returns the app id and address.
func submitSecure(t *testing.T, ctx context.Context, args ...string) (string, string) {
	t.Helper()
	r := spindle(t, ctx, append([]string{"submit", "--wait", "--json", "--binary", spindleBinary(t)}, args...)...)
	if r.code != 0 {
		t.Fatalf("submit --wait on the Kerberized cluster: exit %d\n%s", r.code, r.stderr)
	}
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, r.stdout, &sub)
	t.Cleanup(func() { spindle(t, context.Background(), "kill", sub.AppID) })
	return sub.AppID, sub.Address
}

// TestSecureTokensAndNoLeaks: on a Kerberized cluster with
// hadoop.rpc.protection=privacy a submission
// carries an HDFS delegation token, with which alone the AM writes the
// scheduler file and a worker's Java client reads a user's HDFS file.
// After the run no token password, control secret or key appears in any
// log file, `spindle logs` output, launch script, process argument list or
// container environment.
func TestSecureTokensAndNoLeaks(t *testing.T) {
	// privacy: the NameNode connections lent to colinmarc/hdfs carry
	// SASL-wrapped, encrypted RPC.
	c := startSecure(t, "privacy", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	fs := kerberosHDFS(t, c, "")
	user := hadooprpc.ShortName(c.Kerberos.UserPrincipal)
	data := "/user/" + user + "/secure-input.txt"
	putHDFS(t, fs, data, "read through a delegation token\n")

	app, addr := submitSecure(t, ctx, secureSpec(t, 1, ""))
	useDaskEnv(t, ctx, app)
	if got := workerReadsHDFS(t, ctx, c, addr, data); !strings.Contains(got, "read through a delegation token") {
		t.Fatalf("the worker read %q", got)
	}
	if got := daskSum(t, ctx, addr, 1); got != wantSum {
		t.Fatalf("dask sum = %s, want %s", got, wantSum)
	}

	// While it runs: what every container was given, and what its
	// processes show.
	secrets := appSecrets(t, c, app)
	if len(secrets) < 2 {
		t.Fatalf("found only %d secrets of %s in the NodeManagers' token files", len(secrets), app)
	}
	var procs []string
	for _, p := range appProcesses(t, app) {
		procs = append(procs, p.pid)
		scanForSecrets(t, "argv of pid "+p.pid, p.cmdline, secrets)
		scanForSecrets(t, "environment of pid "+p.pid, p.environ, secrets)
	}
	if len(procs) < 3 { // AM, scheduler and worker runtimes at least
		t.Fatalf("found only processes %v of %s", procs, app)
	}

	// Live logs, from the NodeManagers' web services (SPNEGO, HTTPS).
	r := spindle(t, ctx, "logs", app)
	if r.code != 0 || !strings.Contains(r.stdout, "stderr") {
		t.Fatalf("spindle logs: exit %d", r.code)
	}
	scanForSecrets(t, "spindle logs", []byte(r.stdout+r.stderr), secrets)
	if r := spindle(t, ctx, "stop", "--wait", app); r.code != 0 {
		t.Fatalf("stop --wait: exit %d", r.code)
	}
	scanned := scanFiles(t, c.WorkDir, secrets)
	if scanned < 5 {
		t.Fatalf("scanned only %d log files and launch scripts", scanned)
	}
}

// appSecrets reads every token file the NodeManagers wrote for app's
// containers: each token's password and each secret (the control secret,
// keys), keyed by a description.
func appSecrets(t *testing.T, c *cluster.Cluster, app string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	_ = filepath.WalkDir(c.WorkDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "container_tokens" || !strings.Contains(p, app) {
			return nil
		}
		creds, err := credentials.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		for _, a := range creds.TokenAliases() {
			tok, _ := creds.Token(a)
			out["password of token "+tok.Kind] = tok.Password
		}
		for _, a := range creds.SecretAliases() {
			s, _ := creds.Secret(a)
			addSecret(out, "secret "+a, s)
		}
		return nil
	})
	return out
}

// addSecret adds s, and for keytabs and PEM keys the key material inside.
func addSecret(out map[string][]byte, name string, s []byte) {
	out[name] = s
	kt := keytab.New()
	if err := kt.Unmarshal(s); err == nil {
		for i, e := range kt.Entries {
			out[fmt.Sprintf("%s key %d", name, i)] = e.Key.KeyValue
		}
	}
	// Private keys (not certificates, which are public): their DER and
	// each line of their PEM text.
	rest := s
	for i := 0; ; i++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if !strings.Contains(b.Type, "PRIVATE KEY") {
			continue
		}
		out[fmt.Sprintf("%s private key %d", name, i)] = b.Bytes
		for j, line := range strings.Split(string(pem.EncodeToMemory(b)), "\n") {
			if len(line) >= 40 && !strings.HasPrefix(line, "-----") {
				out[fmt.Sprintf("%s private key %d line %d", name, i, j)] = []byte(line)
			}
		}
	}
}

// forms are how a secret could be written out.
func forms(s []byte) map[string][]byte {
	return map[string][]byte{
		"raw": s, "hex": []byte(hex.EncodeToString(s)), "HEX": []byte(strings.ToUpper(hex.EncodeToString(s))),
		"base64": []byte(base64.RawStdEncoding.EncodeToString(s)), "base64url": []byte(base64.RawURLEncoding.EncodeToString(s)),
	}
}

// scanForSecrets fails the test for every form of every secret found in data.
func scanForSecrets(t *testing.T, where string, data []byte, secrets map[string][]byte) {
	t.Helper()
	for _, hit := range findSecrets(data, secrets) {
		t.Errorf("%s: %s", where, hit)
	}
}

// findSecrets names every form of every secret found in data.
func findSecrets(data []byte, secrets map[string][]byte) []string {
	var hits []string
	for name, s := range secrets {
		if len(s) < 8 { // too short to tell from chance
			continue
		}
		for form, f := range forms(s) {
			if bytes.Contains(data, f) {
				hits = append(hits, fmt.Sprintf("%s appears in %s", name, form))
			}
		}
	}
	return hits
}

// The scanner itself: a secret written out in any of the forms is found,
// and a PEM private key is found by its lines, not its certificate's.
func TestLeakScannerFindsEncodings(t *testing.T) {
	secret := []byte("0123456789abcdef-token-password")
	secrets := map[string][]byte{"password": secret}
	for form, f := range forms(secret) {
		if hits := findSecrets(append([]byte("log line: "), f...), secrets); len(hits) == 0 {
			t.Errorf("%s form: hits %v", form, hits)
		}
	}
	if hits := findSecrets([]byte("nothing here"), secrets); len(hits) != 0 {
		t.Errorf("clean data: %v", hits)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: bytes.Repeat([]byte{7, 9, 11}, 40)})
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: bytes.Repeat([]byte{5}, 90)})
	keyed := map[string][]byte{}
	addSecret(keyed, "pair", append(cert, key...))
	if len(findSecrets(key, keyed)) == 0 {
		t.Error("a logged private key is not found")
	}
	if hits := findSecrets(cert, keyed); len(hits) != 0 {
		t.Errorf("a certificate counts as a secret: %v", hits)
	}
}

// scanFiles scans every log file and launch script under dir: what other
// users of a node, or anyone with the logs, could read. It returns how
// many it scanned.
func scanFiles(t *testing.T, dir string, secrets map[string][]byte) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		name := d.Name()
		logLike := name == "stdout" || name == "stderr" || name == "syslog" || strings.HasSuffix(name, ".log") ||
			strings.HasSuffix(name, ".out") || strings.HasSuffix(name, ".err") || strings.HasSuffix(name, ".sh") ||
			strings.Contains(p, "userlogs") || strings.Contains(p, "/logs/")
		if !logLike {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		n++
		scanForSecrets(t, p, b, secrets)
		return nil
	})
	return n
}

type proc struct {
	pid              string
	cmdline, environ []byte
}

// appProcesses are the processes whose environment names one of app's
// containers: the AM, the container runtimes and their Dask children.
func appProcesses(t *testing.T, app string) []proc {
	t.Helper()
	suffix := strings.TrimPrefix(app, "application_")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, []byte("CONTAINER_ID=container_"+suffix)) {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out = append(out, proc{pid: e.Name(), cmdline: cmd, environ: env})
	}
	return out
}

// jsonString is v as JSON, for logs.
func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestSecureProxyUser: a spec's `user:` under Kerberos submits as that
// user through hadoop.proxyuser.*, as Hadoop's doAs: the application and
// its HDFS files are the proxied user's. A user the cluster does not let
// the principal impersonate is refused with the cluster's own message, and
// nothing is submitted.
func TestSecureProxyUser(t *testing.T) {
	me := osUser(t)
	c := startSecure(t, "", map[string]string{
		"hadoop.proxyuser." + me + ".users": "alice",
		"hadoop.proxyuser." + me + ".hosts": "*",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	app, _ := submitSecure(t, ctx, secureSpec(t, 1, "user: alice\n"))
	r := spindle(t, ctx, "status", "--json", app)
	if !strings.Contains(r.stdout, `"alice"`) {
		t.Fatalf("the application is not alice's:\n%s", r.stdout)
	}
	// The AM published the scheduler file as alice, with alice's token.
	fs := kerberosHDFS(t, c, "")
	fi, err := fs.Stat("/user/alice/.spindle/apps/" + app + "/scheduler.json")
	if err != nil {
		t.Fatalf("alice's scheduler file: %v", err)
	}
	if owner := fi.Sys().(*hdfs.FileStatus).GetOwner(); owner != "alice" {
		t.Fatalf("the scheduler file belongs to %s, want alice", owner)
	}
	spindle(t, ctx, "kill", app)

	before := spindle(t, ctx, "list", "--all", "--json").stdout
	r = spindle(t, ctx, "submit", "--binary", spindleBinary(t), secureSpec(t, 1, "user: bob\n"))
	if r.code == 0 || !strings.Contains(r.stderr, "is not allowed to impersonate bob") {
		t.Fatalf("submitting as bob: exit %d, want a refusal with the cluster's message\n%s", r.code, r.stderr)
	}
	if after := spindle(t, ctx, "list", "--all", "--json").stdout; strings.Count(after, "application_") != strings.Count(before, "application_") {
		t.Fatalf("a refused submission left an application:\nbefore %s\nafter %s", before, after)
	}
}

func osUser(t *testing.T) string {
	t.Helper()
	u, err := hadooprpc.DefaultUser()
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSecureTokenRefresh: with --keytab/--principal an application
// outlives its delegation tokens. The NameNode's tokens last 30 seconds
// unless renewed and 60 at most; after three minutes the AM still
// launches a new scheduler (YARN localizes its files with the tokens the
// AM refreshed) and publishes its scheduler file, and a worker started at
// submit reads HDFS with the tokens its runtime fetched since.
func TestSecureTokenRefresh(t *testing.T) {
	c := startSecure(t, "", map[string]string{
		"dfs.namenode.delegation.token.renew-interval": "30000",
		"dfs.namenode.delegation.token.max-lifetime":   "60000",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	fs := kerberosHDFS(t, c, "")
	user := hadooprpc.ShortName(c.Kerberos.UserPrincipal)
	data := "/user/" + user + "/refresh-input.txt"
	putHDFS(t, fs, data, "still readable\n")

	app, addr := submitSecure(t, ctx, "--principal", c.Kerberos.UserPrincipal, "--keytab", c.Kerberos.UserKeytab, secureSpec(t, 1, ""))
	submitted := time.Now()
	eventually(t, 4*time.Minute, "a ready worker", func() (bool, string) {
		cs := containers(t, ctx, app)
		return count(cs, "worker", "ready") == 1, summary(cs)
	})
	// Three renew intervals: the submitted token and two refreshed ones
	// have expired by then.
	time.Sleep(time.Until(submitted.Add(3 * time.Minute)))

	var sched string
	for _, cs := range containers(t, ctx, app) {
		if cs.Service == "scheduler" && cs.State == "ready" {
			sched = cs.ID
		}
	}
	killProcess(t, sched, "dask scheduler")
	var newAddr string
	eventually(t, 5*time.Minute, "a new scheduler's file on HDFS", func() (bool, string) {
		r := spindle(t, ctx, "address", app)
		newAddr = strings.TrimSpace(r.stdout)
		return r.code == 0 && newAddr != "" && newAddr != addr, fmt.Sprintf("exit %d %q", r.code, newAddr)
	})
	useDaskEnv(t, ctx, app)
	if got := workerReadsHDFS(t, ctx, c, newAddr, data); !strings.Contains(got, "still readable") {
		t.Fatalf("the worker read %q", got)
	}
	if d := time.Since(submitted); d < 3*time.Minute {
		t.Fatalf("checked after %s only", d)
	}

	// The keytab reached the AM only: its keys are in no process's argv
	// or environment, no launch script and no log.
	secrets := appSecrets(t, c, app)
	kt, err := os.ReadFile(c.Kerberos.UserKeytab)
	if err != nil {
		t.Fatal(err)
	}
	addSecret(secrets, "the user's keytab", kt)
	for _, p := range appProcesses(t, app) {
		scanForSecrets(t, "argv of pid "+p.pid, p.cmdline, secrets)
		scanForSecrets(t, "environment of pid "+p.pid, p.environ, secrets)
	}
	spindle(t, ctx, "kill", app)
	scanFiles(t, c.WorkDir, secrets)
}
