// Package cli holds spindle's cobra commands, one file per subcommand. Data
// goes to stdout, progress and logs to stderr; exit codes are in exitcodes.go.
package cli

import (
	"context"
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
	return MainContext(context.Background(), args, stdin, stdout, stderr)
}

// MainContext is Main with a context whose cancellation (e.g. on SIGINT)
// stops the running command.
func MainContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "spindle:", err)
	if strings.HasPrefix(err.Error(), "unknown command") {
		return ExitUsage
	}
	return exitCode(err)
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:           "spindle",
		Short:         "Run Dask clusters on Hadoop YARN",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withCode(ExitUsage, err) })
	root.AddCommand(newVersionCmd(e), newClusterCmd(e), newListCmd(e), newStatusCmd(e), newKillCmd(e))
	root.AddCommand(newSubmitCmd(e), newWaitCmd(e), newScaleCmd(e), newAdaptCmd(e), newContainersCmd(e), newStopCmd(e), newAppMasterCmd(e))
	root.AddCommand(newEnvCmd(e))
	root.AddCommand(newContainerCmd(e))
	root.AddCommand(newAddressCmd(e))
	root.AddCommand(newLogsCmd(e))
	root.AddCommand(newGCCmd(e))
	for _, c := range root.Commands() {
		if c.HasSubCommands() {
			requireSubcommand(c)
		}
	}
	return root
}

// requireSubcommand makes a command group refuse what is not one of its
// subcommands (a typo like `spindle env unpakc`) with exit 2, as the top
// level does, instead of printing its help and exiting 0.
func requireSubcommand(group *cobra.Command) {
	group.Args = usageArgs(cobra.NoArgs) // "unknown command ... for ..."
	group.RunE = func(cmd *cobra.Command, _ []string) error {
		var names []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() {
				names = append(names, c.Name())
			}
		}
		return withCode(ExitUsage, fmt.Errorf("%s needs a subcommand: %s (see %s --help)",
			cmd.CommandPath(), strings.Join(names, ", "), cmd.CommandPath()))
	}
}
