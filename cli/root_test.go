package cli

import (
	"bytes"
	"strings"
	"testing"
)

func run(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

func TestVersionPrintsOnStdout(t *testing.T) {
	code, out, errOut := run("version")
	if code != ExitOK || !strings.HasPrefix(out, "spindle ") || errOut != "" {
		t.Fatalf("version: code %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"version", "extra"}, {"version", "--no-such-flag"}, {"no-such-command"}} {
		code, out, errOut := run(args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut)
		}
		if out != "" {
			t.Errorf("%v: printed %q on stdout; errors belong on stderr", args, out)
		}
	}
}
