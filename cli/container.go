package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/container"
)

// newContainerCmd is the runtime inside each YARN container the application
// master starts; people do not run it, so it is hidden.
func newContainerCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "container",
		Short:  "Run a Dask scheduler or worker inside a YARN container (started by the application master)",
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := container.ConfigFromEnv()
			if err != nil {
				return err
			}
			// The child writes straight to the container's log files; the
			// runtime logs beside it on stderr.
			if code := container.Run(cmd.Context(), cfg); code != 0 {
				return withCode(code, fmt.Errorf("container exits with code %d (see the log lines above)", code))
			}
			return nil
		},
	}
}
