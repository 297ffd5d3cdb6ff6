package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/spec"
)

func newSubmitCmd(e *env) *cobra.Command {
	var f appFlags
	var sf scriptFlags
	var o struct {
		name, queue, env, binary string
		tags                     []string
		workers, maxAttempts     int
		workerMemory             string
		workerVCores             int
		lifetime                 time.Duration
		wait                     bool
	}
	cmd := &cobra.Command{
		Use:   "submit [SPEC.yaml] [--script FILE [-- ARGS...]]",
		Short: "Start a Dask cluster on YARN; prints the application id",
		Long: `Stages what the application needs on HDFS, submits it and prints its id on stdout.
With --wait it returns once the Dask scheduler's address is published, or fails at
once with YARN's diagnostics when YARN has failed the application.
Flags override the spec file; without a file the default is a scheduler and two workers.
With --script, the Python script runs inside the application once the scheduler is up
(DASK_SCHEDULER_ADDRESS set, so Client() connects); the application ends when it ends,
SUCCEEDED on exit 0, else FAILED with its last stderr lines. Its arguments go after --,
byte for byte: spindle submit --script job.py -- --input data.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			specFile, scriptArgs, hasArgs, err := submitArgs(args, cmd.ArgsLenAtDash(), cmd.Flags().Changed("script"))
			if err != nil {
				return withCode(ExitUsage, err)
			}
			fl := cmd.Flags()
			script := func(sp *spec.Spec) error { return sf.apply(fl, sp, scriptArgs, hasArgs) }
			var sp *spec.Spec
			if specFile != "" {
				if sp, err = spec.ParseFileThen(specFile, script); err != nil {
					return withCode(ExitUsage, err)
				}
			} else {
				sp = spec.Default()
				if err := script(sp); err != nil {
					return withCode(ExitUsage, err)
				}
			}
			if fl.Changed("name") {
				sp.Name = o.name
			}
			if fl.Changed("queue") {
				sp.Queue = o.queue
			}
			if fl.Changed("tag") {
				sp.Tags = append(sp.Tags, o.tags...)
			}
			if fl.Changed("environment") {
				sp.Environment = o.env
			}
			if fl.Changed("max-attempts") {
				sp.MaxAttempts = o.maxAttempts
			}
			if fl.Changed("lifetime") {
				sp.Lifetime = spec.Duration(o.lifetime)
			}
			if fl.Changed("workers") {
				sp.Workers[0].Instances = o.workers
			}
			if fl.Changed("worker-memory") {
				m, err := spec.ParseByteSize(o.workerMemory)
				if err != nil {
					return withCode(ExitUsage, fmt.Errorf("--worker-memory: %w", err))
				}
				sp.Workers[0].Resources.Memory = m
			}
			if fl.Changed("worker-vcores") {
				sp.Workers[0].Resources.VCores = o.workerVCores
			}
			if err := sp.Validate(); err != nil {
				return withCode(ExitUsage, err)
			}
			f.user = sp.User
			if !fl.Changed("principal") && !fl.Changed("keytab") {
				f.krb.principal, f.krb.keytab = sp.Principal, sp.Keytab
			}
			return f.withClient(cmd, e, "submit", func(ctx context.Context, c *client.Client) error {
				id, err := c.Submit(ctx, sp, client.SubmitOptions{Binary: o.binary})
				if err != nil {
					return err
				}
				if !o.wait {
					if f.json {
						return writeJSON(e.stdout, submitJSON{AppID: id})
					}
					fmt.Fprintln(e.stdout, id)
					return nil
				}
				fmt.Fprintf(e.stderr, "submitted %s; waiting for the Dask scheduler's address\n", id)
				w, err := c.Wait(ctx, id, client.UntilAddress)
				if err != nil {
					// The id still goes to stdout: scripts may want to clean up.
					if !f.json {
						fmt.Fprintln(e.stdout, id)
					}
					return err
				}
				dash := dashboardURL(w.Scheduler)
				fmt.Fprintf(e.stderr, "scheduler %s, dashboard %s\n", w.Scheduler.Address, dash)
				if f.json {
					tls, err := clientTLS(c, id, w.Scheduler.Address)
					if err != nil {
						return err
					}
					return writeJSON(e.stdout, submitJSON{AppID: id, SchedulerAddress: w.Scheduler.Address, DashboardAddress: dash, TLS: tls})
				}
				fmt.Fprintln(e.stdout, id)
				return nil
			})
		},
	}
	f.register(cmd, 5*time.Minute)
	fl := cmd.Flags()
	fl.StringVar(&o.name, "name", "", "application name")
	fl.StringVar(&o.queue, "queue", "", "YARN queue")
	fl.StringSliceVar(&o.tags, "tag", nil, "application tag (repeatable)")
	fl.StringVar(&o.env, "environment", "", "Python environment: a local folder, a local archive, an hdfs:// archive, or one on every node: python:///path/to/python, conda:///path, conda://NAME, venv:///path")
	fl.Var(newCount(&o.workers, 0, spec.MaxInstances), "workers", "number of workers in the first pool")
	fl.StringVar(&o.workerMemory, "worker-memory", "", "memory of each worker in the first pool (e.g. 2GiB)")
	fl.Var(newCount(&o.workerVCores, 1, spec.MaxVCores), "worker-vcores", "vcores of each worker in the first pool")
	fl.Var(newCount(&o.maxAttempts, 1, spec.MaxAttempts), "max-attempts", "application master attempts")
	fl.DurationVar(&o.lifetime, "lifetime", 0, "stop the application after this long")
	fl.BoolVar(&o.wait, "wait", false, "wait until the Dask scheduler's address is published")
	fl.StringVar(&o.binary, "binary", "", "the spindle binary to ship (default: this one)")
	_ = fl.MarkHidden("binary")
	sf.register(fl)
	return cmd
}

// dashboardURL is the scheduler's dashboard in the one form every command
// prints (discovery.DashboardURL).
func dashboardURL(s *appmaster.SchedulerStatus) string {
	return discovery.DashboardURL(s.Address, s.DashboardAddress)
}

// submitJSON is `spindle submit --json`; the addresses are "" without
// --wait.
type submitJSON struct {
	AppID            string `json:"app_id"`
	SchedulerAddress string `json:"scheduler_address"`
	DashboardAddress string `json:"dashboard_address"`
	// TLS are the client's key files when the scheduler speaks TLS.
	TLS *dasktls.Files `json:"tls,omitempty"`
}
