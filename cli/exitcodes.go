package cli

import "github.com/spf13/cobra"

// Exit codes, documented in the README. Scripts may rely on them.
const (
	ExitOK    = 0
	ExitError = 1 // any failure without a more specific code
	ExitUsage = 2 // bad flags or arguments
)

// codedError carries an exit code out of a command.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// usageArgs makes a positional-argument check fail with ExitUsage.
func usageArgs(check func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		return withCode(ExitUsage, check(cmd, args))
	}
}

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}
