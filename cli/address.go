package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/discovery"
)

// addressJSON is `spindle address --json`.
type addressJSON struct {
	ApplicationID    string `json:"app_id"`
	Address          string `json:"scheduler_address"`
	DashboardAddress string `json:"dashboard_address"`
	// Path is the scheduler file on HDFS the address was read from.
	Path string `json:"path"`
	// TLS are the client's key files when the scheduler speaks TLS.
	TLS *dasktls.Files `json:"tls,omitempty"`
}

// clientTLS is nil for a plain scheduler; for a tls:// one, the local
// files of the client's key (fetched from HDFS when not on this machine).
func clientTLS(c *client.Client, appID, address string) (*dasktls.Files, error) {
	if !strings.HasPrefix(address, "tls://") {
		return nil, nil
	}
	f, err := c.TLSFiles(appID)
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// shellEnv is `spindle address --env`: the scheduler's address and Dask's
// TLS settings (file paths) as shell exports, so that a plain Client() or
// `dask worker` in that shell connects. The client's pair also serves as
// a worker's, for workers started by hand. For a plain scheduler Dask's
// TLS variables are unset, so that a shell used for a TLS application
// before does not carry them over.
func shellEnv(address string, f *dasktls.Files) string {
	vars := map[string]string{"DASK_SCHEDULER_ADDRESS": address}
	if f != nil {
		maps.Copy(vars, dasktls.Env(*f, dasktls.Client, dasktls.Worker))
		return dasktls.Exports(vars, nil)
	}
	return dasktls.Exports(vars, dasktls.EnvNames())
}

func newAddressCmd(e *env) *cobra.Command {
	var f appFlags
	var schedulerFile string
	var shell bool
	cmd := &cobra.Command{
		Use:   "address APPLICATION_ID",
		Short: "Print the Dask scheduler address of a running application",
		Long: `Print the Dask scheduler address (tcp:// or tls://host:port) the application published
on HDFS, at /user/<you>/.spindle/apps/<application id>/scheduler.json.
--scheduler-file also writes Dask's scheduler file locally, for
Client(scheduler_file=...) or dask worker --scheduler-file.
--env prints shell exports instead: DASK_SCHEDULER_ADDRESS and, for an
application with TLS (tls://), Dask's TLS variables naming the client's key
files in ~/.spindle/apps/<id>/, so that a plain Client() or dask worker in
that shell connects: eval "$(spindle address <id> --env)".
The application's state comes first: one that has ended exits 5 (finished or
killed) or 7 (failed) with its state and diagnostics, and what it left on
HDFS is removed. Exits 3 when a running application has published no
address (yet), 6 when --timeout passes first.`,
		Example: `  spindle address application_1700000000000_0001
  python -c "from distributed import Client; Client('$(spindle address application_1700000000000_0001)')"`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if shell && f.json {
				return withCode(ExitUsage, errors.New("--env and --json print different things: give one"))
			}
			appID, err := parseAppID(args[0])
			if err != nil {
				return err
			}
			id := strings.TrimSpace(args[0])
			return f.withClient(cmd, e, "address of "+id, func(ctx context.Context, c *client.Client) error {
				rep, err := c.RM.ApplicationReport(ctx, appID)
				if err != nil {
					return err
				}
				if ended := client.EndedFrom(id, rep); ended != nil {
					c.TidyEnded(ctx, id)
					code := ExitAlreadyFinished
					if ended.Failed() {
						code = ExitAppFailed
					}
					return withCode(code, fmt.Errorf("no scheduler address: %w", ended))
				}
				fs, err := c.FS()
				if err != nil {
					return fmt.Errorf("connecting to HDFS as configured in %s: %w", confDirs(), err)
				}
				p := c.DiscoveryPath(id)
				sf, err := discovery.Read(fs, p)
				if errors.Is(err, discovery.ErrNotPublished) {
					return withCode(ExitNotFound, fmt.Errorf("application %s (%s) has published no scheduler address: %s does not exist on HDFS (it may still be starting, or belongs to another user)",
						id, client.State(rep.GetYarnApplicationState()), p))
				}
				if err != nil {
					return err
				}
				if schedulerFile != "" {
					if err := discovery.WriteLocal(schedulerFile, sf); err != nil {
						return err
					}
				}
				var tls *dasktls.Files
				if shell || f.json { // the bare address needs no key
					if tls, err = clientTLS(c, id, sf.Address); err != nil {
						return err
					}
				}
				if shell {
					_, err = fmt.Fprint(e.stdout, shellEnv(sf.Address, tls))
					return err
				}
				if f.json {
					return writeJSON(e.stdout, addressJSON{ApplicationID: id, Address: sf.Address,
						DashboardAddress: sf.DashboardURL(), Path: p, TLS: tls})
				}
				_, err = fmt.Fprintln(e.stdout, sf.Address)
				return err
			})
		},
	}
	f.register(cmd, defaultTimeout)
	cmd.Flags().StringVar(&schedulerFile, "scheduler-file", "", "also write Dask's scheduler file (JSON) to this local path")
	cmd.Flags().BoolVar(&shell, "env", false, `print shell exports (address and Dask's TLS settings) for eval "$(spindle address ID --env)"`)
	cmd.Flags().Lookup("json").Usage = "print application id, address, dashboard URL and HDFS path as JSON"
	return cmd
}
