package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

// runWithin runs spindle and fails the test if it has not returned within
// d: a command that hangs must fail the test, not block it.
func runWithin(t *testing.T, d time.Duration, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		c, o, e := run(args...)
		done <- result{c, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.out, r.err
	case <-time.After(d):
		t.Fatalf("spindle %s still running after %s", strings.Join(args, " "), d)
		return 0, "", ""
	}
}

// TestHDFSCommandsHonourTimeout: against a NameNode that accepts
// connections and never answers, every command that only needs HDFS ends
// with exit 6 saying what it waited for, rather than hanging (it was 11–16
// minutes before).
func TestHDFSCommandsHonourTimeout(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", cluster.SilentNameNode(t))
	t.Setenv("YARN_CONF_DIR", "")
	t.Setenv("SPINDLE_HOME", t.TempDir())
	for _, args := range [][]string{{"env", "ls"}, {"env", "rm", "0123abcd"}, {"gc"}} {
		args = append(args, "--timeout", "2s")
		code, _, errOut := runWithin(t, 3*time.Minute, args...)
		if code != ExitTimeout || !strings.Contains(errOut, "within --timeout 2s") {
			t.Errorf("spindle %s: exit %d, stderr %q; want exit 6 naming --timeout", strings.Join(args, " "), code, errOut)
		}
	}
}
