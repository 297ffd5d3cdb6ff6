package cli

import (
	"github.com/spf13/cobra"
)

func newClusterCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect the YARN cluster: NodeManagers, metrics, queues",
	}
	cmd.AddCommand(newClusterNodesCmd(e), newClusterInfoCmd(e))
	return cmd
}
