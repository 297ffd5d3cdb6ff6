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
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

// The commands that go through the AM's control API.

func newScaleCmd(e *env) *cobra.Command {
	var f appFlags
	var workers int
	var pool string
	cmd := &cobra.Command{
		Use:   "scale <app-id> --workers N",
		Short: "Set the number of workers; scaling down retires workers through Dask first",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("workers") {
				return withCode(ExitUsage, fmt.Errorf("--workers N (0 to %d) is required", spec.MaxInstances))
			}
			if _, err := parseAppID(args[0]); err != nil {
				return err
			}
			return f.withClient(cmd, e, "scale "+args[0], func(ctx context.Context, c *client.Client) error {
				ctl, err := c.Control(ctx, args[0])
				if err != nil {
					return alreadyEnded(err)
				}
				if err := ctl.Scale(ctx, pool, workers); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "%s: pool %s scaling to %d\n", args[0], pool, workers)
				return nil
			})
		},
	}
	f.register(cmd, 30*time.Second)
	cmd.Flags().Var(newCount(&workers, 0, spec.MaxInstances), "workers", fmt.Sprintf("number of workers wanted (0 to %d)", spec.MaxInstances))
	cmd.Flags().StringVar(&pool, "pool", "worker", "worker pool to scale")
	return cmd
}

func newContainersCmd(e *env) *cobra.Command {
	var f appFlags
	var all bool
	cmd := &cobra.Command{
		Use:   "containers <app-id>",
		Short: "List an application's containers (live ones; --all adds completed)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := parseAppID(args[0]); err != nil {
				return err
			}
			return f.withClient(cmd, e, "containers of "+args[0], func(ctx context.Context, c *client.Client) error {
				ctl, err := c.Control(ctx, args[0])
				if err != nil {
					return err
				}
				st, err := ctl.Status(ctx)
				if err != nil {
					return err
				}
				list := st.Containers[:0]
				for _, c := range st.Containers {
					if all || !c.Ended() {
						list = append(list, c)
					}
				}
				if f.json {
					out := make([]containerJSON, 0, len(list))
					for _, c := range list {
						out = append(out, toContainerJSON(c))
					}
					return writeJSON(e.stdout, out)
				}
				// Pools first: they show what is wanted but not placed.
				if err := printPools(e.stdout, st.Services); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout)
				t := newTable(e.stdout, "CONTAINER", "SERVICE", "STATE", "NODE", "ADDRESS", "EXIT")
				for _, c := range list {
					exit := ""
					if c.ExitStatus != nil {
						exit = fmt.Sprint(*c.ExitStatus)
					}
					t.row(c.ID, c.Service, c.State, c.Node, c.Address, exit)
				}
				return t.flush()
			})
		},
	}
	f.register(cmd, 30*time.Second)
	cmd.Flags().BoolVar(&all, "all", false, "include completed containers")
	return cmd
}

func newStopCmd(e *env) *cobra.Command {
	var f appFlags
	var wait bool
	var diag, finalStatus string
	cmd := &cobra.Command{
		Use:   "stop <app-id>",
		Short: "Stop an application gracefully: containers stop, final status SUCCEEDED (or --final-status)",
		Long: `Asks the application master to stop the containers and end the application with
final status SUCCEEDED, or the one --final-status names (FAILED, KILLED), and
--diagnostics (at most 16 KiB). An application whose application master is not
up yet (ACCEPTED, e.g. waiting for room in its queue) cannot stop gracefully and
would start later: it is killed with the diagnostic "stopped before start"
(exit 0). One that has already ended exits 5. With --wait, ending with the
final status asked for exits 0.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseAppID(args[0])
			if err != nil {
				return err
			}
			want, err := appmaster.ParseFinalStatus(finalStatus)
			if err == nil {
				err = appmaster.CheckStopDiagnostics(diag)
			}
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("stop %s: %w", args[0], err))
			}
			return f.withClient(cmd, e, "stop "+args[0], func(ctx context.Context, c *client.Client) error {
				rep, err := appReport(ctx, c.RM, id)
				if err != nil {
					return err
				}
				if rep.GetYarnApplicationState() != yarnpb.YarnApplicationStateProto_RUNNING && !client.Ended(rep.GetYarnApplicationState()) {
					return stopBeforeStart(ctx, e, c, rep, diag, f.timeout)
				}
				ctl, err := c.Control(ctx, args[0])
				if err != nil {
					return alreadyEnded(err)
				}
				if err := ctl.StopWith(ctx, finalStatus, diag); err != nil {
					return err
				}
				if !wait {
					fmt.Fprintf(e.stderr, "%s: stopping\n", args[0])
					return nil
				}
				_, err = c.Wait(ctx, args[0], client.UntilFinished)
				return endedAsAsked(err, want)
			})
		},
	}
	f.register(cmd, 2*time.Minute)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until YARN reports the application finished")
	cmd.Flags().StringVar(&diag, "diagnostics", "", "message recorded as the application's diagnostics (at most 16 KiB)")
	cmd.Flags().StringVar(&finalStatus, "final-status", "SUCCEEDED", "final status to end with: SUCCEEDED, FAILED or KILLED")
	return cmd
}

// endedAsAsked is nil for a wait that ended with the final status the stop
// asked for (FAILED is then what the user wanted, not an error).
func endedAsAsked(err error, want yarnpb.FinalApplicationStatusProto) error {
	var ended *client.EndedError
	if errors.As(err, &ended) && ended.State == yarnpb.YarnApplicationStateProto_FINISHED && ended.FinalStatus == want {
		return nil
	}
	return err
}

// stoppedBeforeStart is the diagnostic of an application stopped before its
// application master was up.
const stoppedBeforeStart = "stopped before start"

// stopBeforeStart stops an application whose application master is not up
// (ACCEPTED: waiting for room in its queue, or starting): there is no AM to
// stop it gracefully, and left alone it would start later, so it is killed
// with the diagnostic "stopped before start", and its files removed.
func stopBeforeStart(ctx context.Context, e *env, c *client.Client, rep *yarnpb.ApplicationReportProto, diag string, timeout time.Duration) error {
	id := hadooprpc.ApplicationID(rep.GetApplicationId())
	fmt.Fprintf(e.stderr, "%s is %s: its application master is not up, so it is killed before it starts\n", id, client.State(rep.GetYarnApplicationState()))
	why := stoppedBeforeStart
	if diag != "" {
		why += ": " + diag
	}
	if _, err := killAndWait(ctx, e, c.RM, rep.GetApplicationId(), why, timeout); err != nil {
		return err
	}
	c.TidyEnded(ctx, id)
	fmt.Fprintf(e.stderr, "%s: stopped before start (KILLED)\n", id)
	return nil
}

// alreadyEnded gives "the application had already ended, nothing to do"
// its own exit code (5, as `spindle kill` does) for scale and stop, rather
// than the failed/killed codes of commands that wait on an application.
func alreadyEnded(err error) error {
	var ended *client.EndedError
	if errors.As(err, &ended) {
		return withCode(ExitAlreadyFinished, fmt.Errorf("nothing to do: %w", err))
	}
	return err
}

// containerJSON is one element of `spindle containers --json`: every key is
// always there, times as in the other commands.
type containerJSON struct {
	ID          string  `json:"id"`
	Service     string  `json:"service"`
	State       string  `json:"state"`
	Node        string  `json:"node"`
	NodeHTTP    string  `json:"node_http_address"`
	Address     string  `json:"address"`
	StartedAt   *string `json:"started_at"`
	ExitStatus  *int32  `json:"exit_status"`
	Diagnostics string  `json:"diagnostics"`
}

func toContainerJSON(c appmaster.ContainerStatus) containerJSON {
	var started *string
	if !c.Started.IsZero() {
		started = jsonTime(c.Started.UnixMilli())
	}
	return containerJSON{ID: c.ID, Service: c.Service, State: c.State, Node: c.Node, NodeHTTP: c.NodeHTTP,
		Address: c.Address, StartedAt: started, ExitStatus: c.ExitStatus, Diagnostics: c.Diagnostics}
}
