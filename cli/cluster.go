package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

func newClusterCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect the YARN cluster: NodeManagers, metrics, queues",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			return withCode(ExitUsage, errors.New("cluster needs a subcommand: nodes or info (see spindle cluster --help)"))
		},
	}
	cmd.AddCommand(newClusterNodesCmd(e), newClusterInfoCmd(e))
	return cmd
}
