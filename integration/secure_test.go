package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

// TestKerberizedCluster runs every spindle command on a Kerberized local
// cluster (a KDC, Kerberos RPC, SPNEGO web servers, SASL DataNode
// transfers) as a user after kinit, then with a keytab; and the ways to get
// Kerberos wrong, each refused before anything is submitted. The same set
// runs again with hadoop.rpc.protection=privacy (encrypted RPC and block
// transfers). One secure cluster at a time, started here: the package's
// shared cluster is not Kerberized.
func TestKerberizedCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Kerberized local Hadoop cluster; run without -short")
	}
	bin := spindleBinary(t)
	for _, protection := range []string{"authentication", "privacy"} {
		t.Run(protection, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			// The privacy cluster encrypts everything: RPC, block
			// transfers (dfs.data.transfer.protection follows the RPC's)
			// and YARN's web (live logs over HTTPS).
			opts := cluster.Options{Secure: true, RPCProtection: protection, HTTPS: protection == "privacy"}
			c, err := cluster.Start(ctx, opts)
			if err != nil {
				t.Fatalf("start the Kerberized cluster: %v", err)
			}
			defer func() {
				if err := c.Stop(); err != nil {
					t.Error(err)
				}
			}()
			useSecureCluster(t, c)
			secureCommands(t, ctx, c, bin)
			if protection == "authentication" {
				t.Run("bad credentials", func(t *testing.T) { badCredentials(t, ctx, c, bin) })
			}
		})
	}
}

// useSecureCluster points the environment at c as `eval $(make
// dev-cluster-secure)` would: its configuration, krb5.conf and the ticket
// cache kinit would have written.
func useSecureCluster(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	for _, kv := range c.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("YARN_CONF_DIR", "")
	t.Setenv("HADOOP_USER_NAME", "")
	t.Setenv("SPINDLE_HOME", t.TempDir())
}

func secureCommands(t *testing.T, ctx context.Context, c *cluster.Cluster, bin string) {
	k := c.Kerberos
	mustRun := func(args ...string) result {
		t.Helper()
		r := spindle(t, ctx, args...)
		if r.code != 0 {
			t.Fatalf("spindle %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
		return r
	}
	if r := mustRun("cluster", "nodes"); strings.Count(r.stdout, "RUNNING") != len(c.NodeManagers) {
		t.Fatalf("cluster nodes: want %d RUNNING NodeManagers:\n%s", len(c.NodeManagers), r.stdout)
	}
	mustRun("cluster", "info")

	// kinit's ticket cache: a whole Dask computation.
	r := mustRun("submit", "--wait", "--json", "--binary", bin, daskSpec(t, 1))
	var sub struct {
		AppID   string `json:"app_id"`
		Address string `json:"scheduler_address"`
	}
	mustJSON(t, r.stdout, &sub)
	app := sub.AppID
	defer spindle(t, context.Background(), "kill", app)
	if r := mustRun("list"); !strings.Contains(r.stdout, app) {
		t.Fatalf("list does not show %s:\n%s", app, r.stdout)
	}
	if r := mustRun("status", app); !strings.Contains(r.stdout, "RUNNING") {
		t.Fatalf("status: want RUNNING:\n%s", r.stdout)
	}
	if r := mustRun("address", app); strings.TrimSpace(r.stdout) != sub.Address {
		t.Fatalf("address %q, submit said %q", r.stdout, sub.Address)
	}
	mustRun("wait", app, "--for", "address", "--timeout", "2m")
	// scale reaches the application master's control API: it now wants
	// two workers. (Whether YARN grants the second container is the
	// scheduler's business, tested on the plain cluster.)
	mustRun("scale", app, "--workers", "2")
	if r := mustRun("status", app); !strings.Contains(r.stdout, "desired 2") {
		t.Fatalf("after scale --workers 2, status shows no pool desiring 2:\n%s", r.stdout)
	}
	useDaskEnv(t, ctx, app) // TLS is on by default on a Kerberized cluster
	if got := daskSum(t, ctx, sub.Address, 1); got != wantSum {
		t.Fatalf("sum on the Kerberized cluster = %s, want %s", got, wantSum)
	}
	// Live logs: the NodeManagers' web services ask for SPNEGO.
	if r := mustRun("logs", app, "--service", "scheduler"); !strings.Contains(r.stdout, "Scheduler at") {
		t.Fatalf("live scheduler log has no \"Scheduler at\":\n%s", r.stdout)
	}
	mustRun("env", "ls")
	// env rm reaches the cache on HDFS: nothing cached under this hash.
	if r := spindle(t, ctx, "env", "rm", "0123456789abcdef"); r.code == 0 || !strings.Contains(r.stderr, "no such environment in the HDFS cache") ||
		strings.Contains(r.stderr, "kerberos") {
		t.Fatalf("env rm of an uncached hash: exit %d, stderr %q; want it refused as not cached", r.code, r.stderr)
	}
	mustRun("stop", "--wait", app)
	if r := mustRun("status", "--json", app); !strings.Contains(r.stdout, `"SUCCEEDED"`) {
		t.Fatalf("after stop: %s", r.stdout)
	}
	// Aggregated logs, written to HDFS by the NodeManagers with the
	// application's delegation token.
	if r := mustRun("logs", app, "--service", "scheduler"); !strings.Contains(r.stdout, "Scheduler at") {
		t.Fatalf("aggregated scheduler log has no \"Scheduler at\":\n%s", r.stdout)
	}

	// A keytab instead of the ticket cache, which is gone.
	t.Setenv("KRB5CCNAME", filepath.Join(t.TempDir(), "none"))
	withKeytab := func(args ...string) []string {
		return append(args, "--principal", k.UserPrincipal, "--keytab", k.UserKeytab)
	}
	// submit takes them from the spec's principal and keytab keys.
	specPath := daskSpec(t, 1)
	y, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	y = append(y, fmt.Sprintf("principal: %q\nkeytab: %q\n", k.UserPrincipal, k.UserKeytab)...)
	if err := os.WriteFile(specPath, y, 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustRun("submit", "--binary", bin, specPath)
	second := strings.TrimSpace(r.stdout)
	mustRun(withKeytab("wait", second, "--for", "address", "--timeout", "4m")...)
	mustRun(withKeytab("containers", second)...)
	mustRun(withKeytab("kill", second)...)
	if r := mustRun(withKeytab("status", "--json", second)...); !strings.Contains(r.stdout, `"KILLED"`) {
		t.Fatalf("after kill: %s", r.stdout)
	}
}

// badCredentials: each way of getting Kerberos wrong gets exit 10 (or 6
// for --timeout) and a message saying what to do, and submits nothing.
func badCredentials(t *testing.T, ctx context.Context, c *cluster.Cluster, bin string) {
	k := c.Kerberos
	spec := daskSpec(t, 1)
	good := map[string]string{"KRB5CCNAME": k.UserCCache, "KRB5_CONFIG": k.Krb5Conf, "YARN_CONF_DIR": ""}
	setEnv := func(t *testing.T, env map[string]string) {
		for key, v := range env {
			t.Setenv(key, v)
		}
	}
	apps := func(t *testing.T) int {
		t.Helper()
		setEnv(t, good)
		r := spindle(t, ctx, "list", "--all", "--json")
		if r.code != 0 {
			t.Fatalf("list: exit %d", r.code)
		}
		return strings.Count(r.stdout, `"application_`)
	}
	// refused runs submit in the environment bad (over the good one).
	refused := func(t *testing.T, bad map[string]string, wantCode int, wantMsg string, args ...string) {
		t.Helper()
		before := apps(t)
		setEnv(t, bad)
		start := time.Now()
		r := spindle(t, ctx, append([]string{"submit", "--binary", bin, "--timeout", "40s"}, args...)...)
		took := time.Since(start)
		if r.code != wantCode || !strings.Contains(r.stderr, wantMsg) {
			t.Fatalf("exit %d, stderr %q; want exit %d saying %q", r.code, r.stderr, wantCode, wantMsg)
		}
		if took > time.Minute {
			t.Fatalf("took %s with --timeout 40s", took)
		}
		if after := apps(t); after != before {
			t.Fatalf("%d applications before, %d after: something was submitted", before, after)
		}
	}
	ccache := func(p string) map[string]string { return map[string]string{"KRB5CCNAME": p} }
	t.Run("no ticket cache", func(t *testing.T) {
		refused(t, ccache(filepath.Join(t.TempDir(), "krb5cc_none")), 10, "run kinit", spec)
	})
	t.Run("expired ticket", func(t *testing.T) {
		refused(t, ccache(k.ExpiredCCache), 10, "expired", spec)
	})
	t.Run("keytab without the principal", func(t *testing.T) {
		refused(t, nil, 10, "has no key for", spec, "--principal", k.UserPrincipal,
			"--keytab", k.Keytabs["HTTP/localhost@"+k.Realm])
	})
	t.Run("outdated keytab", func(t *testing.T) {
		name, realm, _ := strings.Cut(k.UserPrincipal, "@")
		kt := keytab.New()
		if err := kt.AddEntry(name, realm, "not the password", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
			t.Fatal(err)
		}
		b, err := kt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "old.keytab")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		refused(t, nil, 10, "wrong or outdated keytab", spec, "--principal", k.UserPrincipal, "--keytab", p)
	})
	t.Run("ticket cache of another principal", func(t *testing.T) {
		refused(t, nil, 10, "not of nobody@"+k.Realm, spec, "--principal", "nobody@"+k.Realm)
	})
	t.Run("KDC does not answer", func(t *testing.T) {
		silent := map[string]string{"KRB5_CONFIG": silentKDC(t, k)}
		// With a keytab, logging in needs the KDC; with the ticket cache,
		// the first service ticket does.
		refused(t, silent, 10, "no answer from the KDC", spec, "--principal", k.UserPrincipal, "--keytab", k.UserKeytab)
		refused(t, silent, 10, "no answer from the KDC", spec)
		// A --timeout shorter than gokrb5's own: exit 6 when it passes.
		setEnv(t, silent)
		start := time.Now()
		r := spindle(t, ctx, "list", "--timeout", "2s")
		if took := time.Since(start); r.code != 6 || !strings.Contains(r.stderr, "no answer from the KDC") || took > 30*time.Second {
			t.Fatalf("list --timeout 2s with a silent KDC: exit %d after %s, stderr %q; want 6 soon", r.code, took, r.stderr)
		}
		setEnv(t, good)
	})
	t.Run("principal not the configured one", func(t *testing.T) {
		// The ResourceManager is hadoop/localhost; this configuration
		// expects HTTP/_HOST, a principal the KDC does know.
		dir := t.TempDir()
		site := `<configuration><property><name>yarn.resourcemanager.principal</name><value>HTTP/_HOST@` + k.Realm + `</value></property></configuration>`
		if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte(site), 0o644); err != nil {
			t.Fatal(err)
		}
		refused(t, map[string]string{"YARN_CONF_DIR": dir}, 10,
			"has Kerberos principal hadoop/localhost, but the configuration expects HTTP/localhost", spec)
	})
}

// silentKDC writes a krb5.conf whose realm's KDC accepts connections and
// never answers; the test's cleanup closes it.
func silentKDC(t *testing.T, k *cluster.Kerberos) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	b, err := os.ReadFile(k.Krb5Conf)
	if err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(string(b), "kdc = "+k.KDC, "kdc = "+l.Addr().String())
	if conf == string(b) {
		t.Fatalf("krb5.conf %s does not name kdc = %s", k.Krb5Conf, k.KDC)
	}
	p := filepath.Join(t.TempDir(), "krb5.conf")
	if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
