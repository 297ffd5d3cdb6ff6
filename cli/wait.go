package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/client"
)

func newWaitCmd(e *env) *cobra.Command {
	var f appFlags
	var forWhat string
	cmd := &cobra.Command{
		Use:   "wait <app-id> --for running|address|finished",
		Short: "Wait until an application is running, has a scheduler address, or has finished",
		Long: `Exits 0 when the application reached the state, 7 when YARN failed it, 8 when it
was killed, 6 when --timeout passed first; YARN's diagnostics go to stderr.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			until, err := client.ParseUntil(forWhat)
			if err != nil {
				return withCode(ExitUsage, err)
			}
			if _, err := parseAppID(args[0]); err != nil {
				return err
			}
			return f.withClient(cmd, e, "wait", func(ctx context.Context, c *client.Client) error {
				w, err := c.Wait(ctx, args[0], until)
				if err != nil {
					return err
				}
				out := waitJSON{AppID: args[0], State: client.State(w.Report.GetYarnApplicationState()),
					FinalStatus: client.FinalStatus(w.Report.GetFinalApplicationStatus())}
				if w.Scheduler != nil {
					out.SchedulerAddress, out.DashboardAddress = w.Scheduler.Address, dashboardURL(w.Scheduler)
				}
				if f.json {
					return writeJSON(e.stdout, out)
				}
				if w.Scheduler != nil {
					fmt.Fprintln(e.stdout, w.Scheduler.Address)
				} else {
					fmt.Fprintln(e.stdout, out.State)
				}
				return nil
			})
		},
	}
	f.register(cmd, 10*time.Minute)
	cmd.Flags().StringVar(&forWhat, "for", "finished", "running, address or finished")
	return cmd
}

// waitJSON is `spindle wait --json`; every key is always there (the
// addresses are "" unless waiting --for address).
type waitJSON struct {
	AppID            string `json:"app_id"`
	State            string `json:"state"`
	FinalStatus      string `json:"final_status"`
	SchedulerAddress string `json:"scheduler_address"`
	DashboardAddress string `json:"dashboard_address"`
}
