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

// TestGroupsRefuseUnknownSubcommands: a typo in a subcommand of any command
// group exits 2 with "unknown command", as at the top level, rather than
// printing the group's help with exit 0.
func TestGroupsRefuseUnknownSubcommands(t *testing.T) {
	groups := 0
	for _, c := range newRoot(&env{}).Commands() {
		if !c.HasSubCommands() {
			continue
		}
		groups++
		for _, args := range [][]string{{c.Name(), "unpakc", "x", "y"}, {c.Name(), "unpakc"}} {
			code, out, errOut := run(args...)
			if code != ExitUsage || !strings.Contains(errOut, "unknown command") || !strings.Contains(errOut, `"unpakc"`) || out != "" {
				t.Errorf("spindle %s: exit %d, stdout %q, stderr %q; want exit 2 and unknown command", strings.Join(args, " "), code, out, errOut)
			}
		}
		// The bare group names its subcommands, exit 2.
		code, _, errOut := run(c.Name())
		if code != ExitUsage || !strings.Contains(errOut, "needs a subcommand") {
			t.Errorf("spindle %s: exit %d, stderr %q; want exit 2 naming the subcommands", c.Name(), code, errOut)
		}
		// Help stays help.
		if code, out, _ := run(c.Name(), "--help"); code != ExitOK || !strings.Contains(out, "Available Commands") {
			t.Errorf("spindle %s --help: exit %d, stdout %q", c.Name(), code, out)
		}
	}
	if groups < 2 {
		t.Fatalf("found %d command groups, want at least env and cluster", groups)
	}
}
