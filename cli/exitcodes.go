package cli

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
)

// Exit codes, documented in the README. Scripts may rely on them.
const (
	ExitOK    = 0
	ExitError = 1 // any failure without a more specific code
	ExitUsage = 2 // bad flags or arguments
	// ExitNotFound: the ResourceManager does not know the application.
	ExitNotFound = 3
	// ExitUnavailable: no usable Hadoop configuration, or no
	// ResourceManager could be reached with it.
	ExitUnavailable = 4
	// ExitAlreadyFinished: the application had already ended (FINISHED,
	// FAILED or KILLED), so there was nothing to do, e.g. nothing to kill.
	ExitAlreadyFinished = 5
	// ExitTimeout: --timeout elapsed before the operation completed; it may
	// still complete on the cluster.
	ExitTimeout = 6
	// ExitInterrupted: Ctrl-C (SIGINT) ended a wait; the application goes
	// on. 128+2, as shells report a process ended by SIGINT.
	ExitInterrupted = 130
	// ExitLogsIncomplete: `spindle logs` printed what it could, but some of
	// the application's logs are missing: log aggregation disabled, FAILED
	// or TIME_OUT, a node file unreadable, or a container the application
	// master or the ResourceManager knows of whose logs were not printed
	// (its NodeManager unreachable, not serving it). stderr names each.
	ExitLogsIncomplete = 9
	// ExitAuth: no usable Kerberos credentials: no ticket cache (run
	// kinit), an expired ticket, a keytab or principal the KDC refuses, a
	// KDC that does not answer, or a server whose principal is not the one
	// the configuration names. Nothing was submitted or changed.
	ExitAuth = 10
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

// exitCode picks the documented exit code for an error a command returned:
// an explicit code first, then what the error is.
func exitCode(err error) int {
	var ce *codedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, hadooprpc.ErrKerberos):
		return ExitAuth
	case errors.Is(err, hadooprpc.ErrApplicationNotFound):
		return ExitNotFound
	case errors.Is(err, hadooprpc.ErrUnavailable):
		return ExitUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout
	}
	return ExitError
}
