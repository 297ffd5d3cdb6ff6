// Package cli holds spindle's cobra commands, one file per subcommand. Data
// goes to stdout, progress and logs to stderr; exit codes are in exitcodes.go.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// env is what every command may use; no global state beyond it.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// Main runs spindle with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "spindle:", err)
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return ExitError
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "spindle",
		Short:         "Run Dask clusters on Hadoop YARN",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(ExitUsage, err) })
	root.AddCommand(newVersionCmd(e))
	return root
}
