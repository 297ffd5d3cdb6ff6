package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// defaultTimeout bounds a whole command that talks to YARN: connecting,
// failing over, every call and any waiting.
const defaultTimeout = 30 * time.Second

// rmFlags are the flags of every command that talks to the ResourceManager.
type rmFlags struct {
	timeout time.Duration
	krb     kerberosFlags
}

func (f *rmFlags) register(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.timeout, "timeout", defaultTimeout,
		"give up after this long, including any waiting (e.g. 10s, 2m)")
	f.krb.register(cmd)
}

// withRM loads the Hadoop configuration from HADOOP_CONF_DIR/YARN_CONF_DIR,
// makes a ResourceManager client and runs fn under the --timeout deadline.
// what says what the command was doing, for error messages.
func (f *rmFlags) withRM(cmd *cobra.Command, what string, fn func(context.Context, *hadooprpc.ResourceManager) error) error {
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
	rm, err := hadooprpc.NewResourceManager(cfg, auth)
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: configuring the ResourceManager client from %s: %w", what, confDirs(), err))
	}
	defer rm.Close()
	return f.describe(ctx, what, rm, fn(ctx, rm))
}

// describe turns an error from a ResourceManager call into one that says
// what was being done and what to check, with the right exit code.
func (f *rmFlags) describe(ctx context.Context, what string, rm *hadooprpc.ResourceManager, err error) error {
	var ce *codedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return err
	case errors.Is(err, hadooprpc.ErrKerberos):
		return withCode(ExitAuth, fmt.Errorf("%s: %w", what, err))
	case errors.Is(err, hadooprpc.ErrUnavailable):
		return withCode(ExitUnavailable, fmt.Errorf("%s: cannot reach the ResourceManager at %s (check that YARN is running and that %s holds this cluster's configuration): %w",
			what, strings.Join(rm.Addresses(), ", "), confDirs(), err))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return withCode(ExitTimeout, fmt.Errorf("%s: no result within --timeout %s from the ResourceManager at %s: %w",
			what, f.timeout, strings.Join(rm.Addresses(), ", "), err))
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: interrupted: %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// confDirs names the configuration directories in use, for messages.
func confDirs() string {
	var parts []string
	for _, v := range []string{"HADOOP_CONF_DIR", "YARN_CONF_DIR"} {
		if d := os.Getenv(v); d != "" {
			parts = append(parts, v+"="+d)
		}
	}
	if len(parts) == 0 {
		return "HADOOP_CONF_DIR"
	}
	return strings.Join(parts, ", ")
}

// parseAppID reads an application id argument; a malformed one is a usage
// error.
func parseAppID(s string) (*yarnpb.ApplicationIdProto, error) {
	id, err := hadooprpc.ParseApplicationID(strings.TrimSpace(s))
	if err != nil {
		return nil, withCode(ExitUsage, err)
	}
	return id, nil
}

// notFoundError is an application id the ResourceManager does not know. Its
// message stays short; the server's exception remains reachable by Unwrap.
type notFoundError struct {
	id    string
	cause error
}

func (e *notFoundError) Error() string {
	return fmt.Sprintf("application %s not found: the ResourceManager does not know it (wrong cluster, or already removed from its history)", e.id)
}
func (e *notFoundError) Unwrap() error { return e.cause }

func notFound(id string, err error) error {
	return withCode(ExitNotFound, &notFoundError{id: id, cause: err})
}

// appReport fetches one report, mapping an unknown id to ExitNotFound.
func appReport(ctx context.Context, rm *hadooprpc.ResourceManager, id *yarnpb.ApplicationIdProto) (*yarnpb.ApplicationReportProto, error) {
	rep, err := rm.ApplicationReport(ctx, id)
	if errors.Is(err, hadooprpc.ErrApplicationNotFound) {
		return nil, notFound(hadooprpc.ApplicationID(id), err)
	}
	return rep, err
}
