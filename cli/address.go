package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// addressJSON is `spindle address --json`.
type addressJSON struct {
	ApplicationID    string `json:"app_id"`
	Address          string `json:"scheduler_address"`
	DashboardAddress string `json:"dashboard_address"`
	// Path is the scheduler file on HDFS the address was read from.
	Path string `json:"path"`
}

func newAddressCmd(e *env) *cobra.Command {
	var schedulerFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "address APPLICATION_ID",
		Short: "Print the Dask scheduler address of a running application",
		Long: `Print the Dask scheduler address (tcp://host:port) the application published
on HDFS, at /user/<you>/.spindle/apps/<application id>/scheduler.json.
--scheduler-file also writes Dask's scheduler file locally, for
Client(scheduler_file=...) or dask worker --scheduler-file.
Exits 3 when the application has published no address (yet).`,
		Example: `  spindle address application_1700000000000_0001
  python -c "from distributed import Client; Client('$(spindle address application_1700000000000_0001)')"`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := strings.TrimSpace(args[0])
			if _, err := hadooprpc.ParseApplicationID(id); err != nil {
				return withCode(ExitUsage, err)
			}
			cfg, err := conf.FromEnvironment()
			if err != nil {
				return withCode(ExitUnavailable, fmt.Errorf("reading the scheduler address: %w", err))
			}
			fs, err := hadooprpc.NewHDFS(cfg, hadooprpc.Options{})
			if err != nil {
				return withCode(ExitUnavailable, fmt.Errorf("reading the scheduler address: connecting to HDFS as configured in %s: %w", confDirs(), err))
			}
			defer fs.Close()
			p := discovery.Path(fs.User(), id)
			sf, err := discovery.Read(fs, p)
			if errors.Is(err, discovery.ErrNotPublished) {
				return withCode(ExitNotFound, fmt.Errorf("application %s has published no scheduler address: %s does not exist on HDFS (the application may still be starting, may have ended, or belongs to another user)", id, p))
			}
			if err != nil {
				return err
			}
			if schedulerFile != "" {
				if err := discovery.WriteLocal(schedulerFile, sf); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSON(e.stdout, addressJSON{ApplicationID: id, Address: sf.Address,
					DashboardAddress: sf.DashboardAddress(), Path: p})
			}
			_, err = fmt.Fprintln(e.stdout, sf.Address)
			return err
		},
	}
	cmd.Flags().StringVar(&schedulerFile, "scheduler-file", "", "also write Dask's scheduler file (JSON) to this local path")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print application id, address, dashboard address and HDFS path as JSON")
	return cmd
}
