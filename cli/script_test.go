package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Positional arguments: the spec before --, the script's arguments after
// it, taken as they are; what looks misplaced is refused, saying where
// script arguments go.
func TestSubmitArgs(t *testing.T) {
	for _, c := range []struct {
		args       []string
		dash       int
		script     bool
		spec, want string
		err        string
	}{
		{args: nil, dash: -1},
		{args: []string{"s.yaml"}, dash: -1, spec: "s.yaml"},
		{args: []string{"s.yaml", "--n", "$(x) y"}, dash: 1, script: true, spec: "s.yaml", want: "--n|$(x) y"},
		{args: []string{"--", "a"}, dash: 0, script: true, want: "--|a"},
		{args: []string{"a"}, dash: 0, err: "give the script with --script"},
		{args: []string{"data.csv"}, dash: -1, script: true, err: `"data.csv": a spec file ends in .yaml`},
		{args: []string{"a", "b"}, dash: -1, script: true, err: "go after --"},
		{args: []string{"a.yaml", "b.yaml"}, dash: -1, err: "at most 1 arg"},
	} {
		sp, sa, _, err := submitArgs(c.args, c.dash, c.script)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v dash %d: error %v, want %q", c.args, c.dash, err, c.err)
			}
			continue
		}
		if err != nil || sp != c.spec || strings.Join(sa, "|") != c.want {
			t.Errorf("%v dash %d: spec %q args %q err %v; want %q %q", c.args, c.dash, sp, sa, err, c.spec, c.want)
		}
	}
}

// A script that cannot be shipped fails submit with exit 2 before any
// cluster is contacted, naming the problem.
func TestSubmitScriptValidation(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	dir := t.TempDir()
	ok := filepath.Join(dir, "job.py")
	os.WriteFile(ok, []byte("print(1)\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--script", filepath.Join(dir, "missing.py")}, "client.script: bad client script: stat"},
		{[]string{"submit", "--script", dir}, "is not a regular file"},
		{[]string{"submit", "--script", ""}, "--script: give the Python file to run"},
		{[]string{"submit", "--script", ok, "data.csv"}, "the script's arguments go after --"},
		{[]string{"submit", "--client-memory", "1GiB"}, "need a script"},
		{[]string{"submit", "--script", ok, "--client-memory", "lots"}, "--client-memory"},
		{[]string{"submit", "--script", ok, "--client-vcores", "0"}, "use 1 to 65536"},
		{[]string{"submit", "--", "x"}, "give the script with --script"},
	} {
		code, out, errOut := run(c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 naming %q", c.args, code, out, errOut, c.want)
		}
	}
	// A good script gets past validation: the missing cluster is next.
	if code, _, errOut := run("submit", "--script", ok, "--", "--x"); code != ExitUnavailable {
		t.Errorf("a valid script: exit %d (%s), want %d (no HADOOP_CONF_DIR)", code, errOut, ExitUnavailable)
	}
}
