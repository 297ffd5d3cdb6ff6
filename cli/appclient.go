package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// Exit codes of commands that wait on an application.
const (
	// ExitAppFailed: YARN reports the application FAILED (or FINISHED with
	// a final status other than SUCCEEDED); its diagnostics are on stderr.
	ExitAppFailed = 7
	// ExitAppKilled: the application was KILLED.
	ExitAppKilled = 8
)

// appFlags are the flags of commands that manage Spindle applications.
type appFlags struct {
	timeout time.Duration
	json    bool
	// user acts as this user (SIMPLE authentication), e.g. a spec's user.
	user string
	krb  kerberosFlags
}

func (f *appFlags) register(cmd *cobra.Command, timeout time.Duration) {
	cmd.Flags().DurationVar(&f.timeout, "timeout", timeout, "give up after this long, including any waiting (e.g. 30s, 5m)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON on stdout")
	f.krb.register(cmd)
}

// withClient runs fn with a Spindle client under the --timeout deadline and
// maps its errors to documented exit codes.
func (f *appFlags) withClient(cmd *cobra.Command, e *env, what string, fn func(context.Context, *client.Client) error) error {
	if f.timeout <= 0 {
		return withCode(ExitUsage, fmt.Errorf("--timeout must be positive, got %s", f.timeout))
	}
	cfg, err := conf.FromEnvironment()
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), f.timeout)
	defer cancel()
	ctx, auth, err := f.krb.auth(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if f.user != "" {
		auth.User = f.user
		if hadooprpc.Kerberized(cfg) {
			// Hadoop's doAs: the principal asks to act as f.user, and the
			// cluster's hadoop.proxyuser.* settings decide.
			auth.ProxyUser = f.user
		}
	}
	c, err := client.New(cfg, auth)
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	defer c.Close()
	c.Progress = e.stderr
	c.Context = ctx // HDFS calls end with it too
	return appError(what, timedOut(ctx, what, f.timeout, fn(ctx, c)))
}

// timedOut gives exit 6 to an error that came of --timeout passing, also
// from calls that do not report it as such (HDFS: a closed connection).
func timedOut(ctx context.Context, what string, timeout time.Duration, err error) error {
	var ce *codedError
	var ended *client.EndedError
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &ce) || errors.As(err, &ended) ||
		errors.Is(err, client.ErrWaitTimeout) {
		return err
	}
	return withCode(ExitTimeout, fmt.Errorf("%s: no answer within --timeout %s: %w", what, timeout, err))
}

// appError gives an application error its exit code.
func appError(what string, err error) error {
	var ended *client.EndedError
	var ce *codedError
	var intr *client.InterruptedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return err
	case errors.Is(err, hadooprpc.ErrKerberos):
		return withCode(ExitAuth, fmt.Errorf("%s: %w", what, err))
	case errors.As(err, &intr):
		return withCode(ExitInterrupted, err)
	case errors.As(err, &ended):
		if ended.Killed() {
			return withCode(ExitAppKilled, err)
		}
		return withCode(ExitAppFailed, err)
	case errors.Is(err, client.ErrInvalidSpec):
		return withCode(ExitUsage, err)
	case errors.Is(err, client.ErrWaitTimeout), errors.Is(err, context.DeadlineExceeded):
		return withCode(ExitTimeout, fmt.Errorf("%s: %w", what, err))
	case errors.Is(err, hadooprpc.ErrApplicationNotFound), errors.Is(err, appmaster.ErrNotFound):
		return withCode(ExitNotFound, fmt.Errorf("%s: %w", what, err))
	case errors.Is(err, hadooprpc.ErrUnavailable):
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}
