package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/spec"
)

func newAdaptCmd(e *env) *cobra.Command {
	var f appFlags
	var minimum, maximum int
	var pool string
	var off bool
	cmd := &cobra.Command{
		Use:   "adapt <app-id> --min N --max M | --off",
		Short: "Let the application master size a worker pool from the Dask scheduler's recommendation",
		Long: `Hands a worker pool's size to the application master, which asks the Dask
scheduler every 5 seconds how many workers it wants (its adaptive_target) and
scales the pool within [--min, --max]: up at once, down after 3 answers in a row
(15 seconds) asked for fewer, retiring workers through the scheduler so their
data moves first. It goes on after this command (or the client) ends; --off,
or spindle scale, turns it off and keeps the pool's current size.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			switch {
			case off && (fl.Changed("min") || fl.Changed("max")):
				return withCode(ExitUsage, fmt.Errorf("--off takes no --min or --max"))
			case !off && (!fl.Changed("min") || !fl.Changed("max")):
				return withCode(ExitUsage, fmt.Errorf("--min N and --max M (0 to %d) are required, or --off", spec.MaxInstances))
			case !off && minimum > maximum:
				return withCode(ExitUsage, fmt.Errorf("--min %d is above --max %d: use --min <= --max", minimum, maximum))
			}
			if _, err := parseAppID(args[0]); err != nil {
				return err
			}
			return f.withClient(cmd, e, "adapt "+args[0], func(ctx context.Context, c *client.Client) error {
				ctl, err := c.Control(ctx, args[0])
				if err != nil {
					return alreadyEnded(err)
				}
				if off {
					if err := ctl.AdaptOff(ctx, pool); err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "%s: pool %s adaptive scaling off\n", args[0], pool)
					return nil
				}
				if err := ctl.Adapt(ctx, pool, minimum, maximum); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "%s: pool %s adapts between %d and %d workers\n", args[0], pool, minimum, maximum)
				return nil
			})
		},
	}
	f.register(cmd, 30*time.Second)
	cmd.Flags().Var(newCount(&minimum, 0, spec.MaxInstances), "min", fmt.Sprintf("fewest workers (0 to %d)", spec.MaxInstances))
	cmd.Flags().Var(newCount(&maximum, 0, spec.MaxInstances), "max", fmt.Sprintf("most workers (0 to %d)", spec.MaxInstances))
	cmd.Flags().StringVar(&pool, "pool", "worker", "worker pool to adapt")
	cmd.Flags().BoolVar(&off, "off", false, "turn adaptive scaling off, keeping the current size")
	return cmd
}
