package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeConf writes a yarn-site.xml naming rmAddr and points HADOOP_CONF_DIR
// at it.
func fakeConf(t *testing.T, rmAddr string) {
	t.Helper()
	dir := t.TempDir()
	site := `<?xml version="1.0"?><configuration>
<property><name>yarn.resourcemanager.address</name><value>` + rmAddr + `</value></property>
</configuration>`
	if err := os.WriteFile(filepath.Join(dir, "yarn-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HADOOP_CONF_DIR", dir)
	t.Setenv("YARN_CONF_DIR", "")
}

func TestNoConfigurationDirectory(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	for _, args := range [][]string{{"list"}, {"cluster", "nodes"}, {"cluster", "info"}, {"status", "application_1_0001"}, {"kill", "application_1_0001"}} {
		code, out, errOut := run(args...)
		if code != ExitUnavailable || out != "" || !strings.Contains(errOut, "set HADOOP_CONF_DIR") {
			t.Errorf("%v without HADOOP_CONF_DIR: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	t.Setenv("HADOOP_CONF_DIR", filepath.Join(t.TempDir(), "missing"))
	if code, _, errOut := run("list"); code != ExitUnavailable || !strings.Contains(errOut, "HADOOP_CONF_DIR") {
		t.Errorf("missing conf dir: exit %d, stderr %q", code, errOut)
	}
}

func TestUnreachableResourceManager(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens: connection refused
	fakeConf(t, addr)
	code, out, errOut := run("cluster", "nodes")
	if code != ExitUnavailable || out != "" || !strings.Contains(errOut, "list NodeManagers: cannot reach the ResourceManager at "+addr) {
		t.Errorf("refused: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A ResourceManager that accepts connections but never answers: the
// command gives up at --timeout with ExitTimeout.
func TestTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	fakeConf(t, l.Addr().String())
	start := time.Now()
	code, _, errOut := run("status", "application_1_0001", "--timeout", "300ms")
	if code != ExitTimeout || !strings.Contains(errOut, "show application_1_0001: no result within --timeout 300ms") {
		t.Errorf("silent RM: exit %d, stderr %q", code, errOut)
	}
	// Well before the 30s default, with room for a loaded machine.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %s despite --timeout 300ms", d)
	}
}

func TestCommandUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"status"}, {"status", "a", "b"}, {"status", "application_x_1"}, {"kill", "job_1_1"},
		{"list", "--all", "--state", "running"}, {"list", "--state", "done"}, {"list", "--limit", "-1"},
		{"list", "--timeout", "0s"}, {"cluster", "nodes", "--state", "up"}, {"cluster", "bogus"}, {"cluster"},
	} {
		code, out, errOut := run(args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut)
		}
		if strings.Contains(out, "spindle:") {
			t.Errorf("%v: error on stdout %q", args, out)
		}
	}
}

// stop --final-status and --diagnostics are checked before anything is
// asked of the cluster: exit 2 naming the fix.
func TestStopFinalStatusValidated(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--final-status", "DONE"}, "want one of SUCCEEDED, FAILED, KILLED"},
		{[]string{"--final-status", "failed"}, "want one of SUCCEEDED, FAILED, KILLED"},
		{[]string{"--diagnostics", strings.Repeat("x", 16<<10+1)}, "at most 16384"},
		{[]string{"--diagnostics", "\xff"}, "not UTF-8"},
	} {
		code, _, errOut := run(append([]string{"stop", "application_1_0001"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("stop %.40q: exit %d, stderr %.200q; want exit 2 with %q", tc.args, code, errOut, tc.want)
		}
	}
}
