package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// killPoll is how often kill asks the ResourceManager whether it is done.
const killPoll = 250 * time.Millisecond

func newKillCmd(e *env) *cobra.Command {
	var (
		rf          rmFlags
		diagnostics string
		asJSON      bool
	)
	cmd := &cobra.Command{
		Use:   "kill <application id>",
		Short: "Kill an application and wait until YARN reports it KILLED",
		Long: "Ask the ResourceManager to kill an application, then wait (within --timeout) until it\n" +
			"reports the application KILLED. An application that has already ended is left alone\n" +
			"and the exit code is 5; if --timeout passes first the exit code is 6.",
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseAppID(args[0])
			if err != nil {
				return err
			}
			name := hadooprpc.ApplicationID(id)
			var final *yarnpb.ApplicationReportProto
			err = rf.withRM(cmd, "kill "+name, func(ctx context.Context, rm *hadooprpc.ResourceManager) error {
				var err error
				final, err = killAndWait(ctx, e, rm, id, diagnostics, rf.timeout)
				if err == nil && final.GetApplicationType() == client.ApplicationType {
					// A killed AM cannot clean up after itself.
					tidyReports(ctx, e, final)
				}
				return err
			})
			if final != nil && asJSON {
				if jerr := writeJSON(e.stdout, toAppJSON(final, time.Now())); jerr != nil && err == nil {
					err = jerr
				}
			}
			if err == nil && !asJSON {
				fmt.Fprintf(e.stdout, "Killed %s\n", name)
			}
			return err
		},
	}
	rf.register(cmd)
	cmd.Flags().StringVar(&diagnostics, "diagnostics", "", "why it is killed; the ResourceManager adds it to the application's diagnostics")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the application's final report as JSON (as status --json), also when it had already ended")
	return cmd
}

// killAndWait kills the application unless it has already ended, then polls
// until the ResourceManager reports KILLED. It returns the last report it
// saw, also with an error when there is one.
func killAndWait(ctx context.Context, e *env, rm *hadooprpc.ResourceManager, id *yarnpb.ApplicationIdProto, diagnostics string, timeout time.Duration) (*yarnpb.ApplicationReportProto, error) {
	name := hadooprpc.ApplicationID(id)
	rep, err := appReport(ctx, rm, id)
	if err != nil {
		return nil, err
	}
	if st := rep.GetYarnApplicationState(); appEnded(st) {
		return rep, withCode(ExitAlreadyFinished, fmt.Errorf("%s had already ended (state %s, final status %s): nothing to kill",
			name, st, enumName(rep.GetFinalApplicationStatus(), "APP_")))
	}
	if _, err := rm.KillApplication(ctx, id, diagnostics); err != nil {
		if errors.Is(err, hadooprpc.ErrApplicationNotFound) {
			return rep, notFound(name, err)
		}
		return rep, err
	}
	fmt.Fprintf(e.stderr, "Kill of %s requested; waiting for the ResourceManager to report it KILLED\n", name)
	stillRunning := func() error {
		return withCode(ExitTimeout, fmt.Errorf("kill of %s requested, but it was still %s after --timeout %s; it may still end: check with `spindle status %s`",
			name, rep.GetYarnApplicationState(), timeout, name))
	}
	for {
		rep2, err := appReport(ctx, rm, id)
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return rep, stillRunning()
			}
			return rep, err
		}
		rep = rep2
		switch st := rep.GetYarnApplicationState(); {
		case st == yarnpb.YarnApplicationStateProto_KILLED:
			return rep, nil
		case appEnded(st):
			return rep, withCode(ExitAlreadyFinished, fmt.Errorf("%s ended as %s (final status %s) before the kill took effect",
				name, st, enumName(rep.GetFinalApplicationStatus(), "APP_")))
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return rep, stillRunning()
			}
			return rep, ctx.Err()
		case <-time.After(killPoll):
		}
	}
}
