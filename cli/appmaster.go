package cli

import (
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/appmaster"
)

// newAppMasterCmd is what YARN runs in the AM container.
func newAppMasterCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "appmaster",
		Short:  "Run as the YARN application master (started by YARN, not by hand)",
		Hidden: true,
		Args:   usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := logrus.New()
			log.SetOutput(e.stderr)
			log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
			return appmaster.Main(log)
		},
	}
}
