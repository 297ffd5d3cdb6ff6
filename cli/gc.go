package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// gcUnknownAge: the files of an application the ResourceManager does not
// know are removed only once they are this old, so that gc never races a
// submission in progress (its id exists before the ResourceManager lists it).
const gcUnknownAge = time.Hour

// gcEntryJSON is one application in `spindle gc --json`.
type gcEntryJSON struct {
	AppID string `json:"app_id"`
	// State is YARN's, or UNKNOWN when the ResourceManager does not know
	// the application (forgotten from its history, or of another cluster).
	State  string   `json:"state"`
	Paths  []string `json:"paths"`
	Reason string   `json:"reason,omitempty"` // why kept
}

type gcJSON struct {
	Removed []gcEntryJSON `json:"removed"`
	Kept    []gcEntryJSON `json:"kept"`
}

func newGCCmd(e *env) *cobra.Command {
	var f appFlags
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Remove what your ended applications left on HDFS and in ~/.spindle",
		Long: `Remove the files of your applications that have ended: on HDFS the staging folder
(which holds the application's control secret) and the folder of its published
scheduler address, and locally ~/.spindle/apps/<id>. Applications that run are
left alone; those the ResourceManager does not know (forgotten from its history)
are cleaned once their files are an hour old. list, status, wait and address do
the same for the ended applications they see.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.withClient(cmd, e, "gc", func(ctx context.Context, c *client.Client) error {
				out, err := gc(ctx, c, time.Now())
				if f.json {
					if jerr := writeJSON(e.stdout, out); jerr != nil && err == nil {
						err = jerr
					}
					return err
				}
				for _, r := range out.Removed {
					fmt.Fprintf(e.stdout, "removed %s (%s): %s\n", r.AppID, r.State, strings.Join(r.Paths, ", "))
				}
				for _, k := range out.Kept {
					if k.State == "UNKNOWN" {
						fmt.Fprintf(e.stderr, "kept %s: %s\n", k.AppID, k.Reason)
					}
				}
				if len(out.Removed) == 0 && err == nil {
					fmt.Fprintln(e.stderr, "nothing to clean up")
				}
				return err
			})
		},
	}
	f.register(cmd, defaultTimeout)
	return cmd
}

// gc removes the leftovers of ended applications and says what it did.
func gc(ctx context.Context, c *client.Client, now time.Time) (gcJSON, error) {
	out := gcJSON{Removed: []gcEntryJSON{}, Kept: []gcEntryJSON{}}
	all, err := c.Leftovers()
	if err != nil {
		return out, fmt.Errorf("listing what applications left: %w", err)
	}
	ids := make([]string, 0, len(all))
	for id := range all {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var errs []error
	for _, id := range ids {
		l := all[id]
		en := gcEntryJSON{AppID: id, Paths: l.Paths()}
		appID, _ := hadooprpc.ParseApplicationID(id) // Leftovers keeps valid ids only
		rep, err := c.RM.ApplicationReport(ctx, appID)
		switch {
		case errors.Is(err, hadooprpc.ErrApplicationNotFound):
			en.State = "UNKNOWN"
			if age := now.Sub(l.Changed); age < gcUnknownAge {
				en.Reason = fmt.Sprintf("the ResourceManager does not know it and its files changed %s ago, less than %s (a submission in progress?)",
					age.Round(time.Second), gcUnknownAge)
				out.Kept = append(out.Kept, en)
				continue
			}
		case err != nil:
			return out, fmt.Errorf("state of %s: %w", id, err)
		case !client.Ended(rep.GetYarnApplicationState()):
			en.State, en.Reason = client.State(rep.GetYarnApplicationState()), "still running"
			out.Kept = append(out.Kept, en)
			continue
		default:
			en.State = client.State(rep.GetYarnApplicationState())
		}
		if err := c.RemoveLeftover(l); err != nil {
			errs = append(errs, err)
			continue
		}
		out.Removed = append(out.Removed, en)
	}
	return out, errors.Join(errs...)
}

// tidyReports removes what the ended Spindle applications among reps, of
// this user, left behind: on the side of list and status, bounded, warning
// only (client.TidyEnded).
func tidyReports(ctx context.Context, e *env, reps ...*yarnpb.ApplicationReportProto) {
	user, err := hadooprpc.DefaultUser()
	if err != nil {
		return
	}
	var ids []string
	for _, r := range reps {
		if r.GetApplicationType() == client.ApplicationType && r.GetUser() == user && client.Ended(r.GetYarnApplicationState()) {
			ids = append(ids, hadooprpc.ApplicationID(r.GetApplicationId()))
		}
	}
	if len(ids) == 0 {
		return
	}
	cfg, err := conf.FromEnvironment()
	if err != nil {
		return
	}
	c, err := client.New(cfg, authFrom(ctx))
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: cleaning up after ended applications: %v\n", err)
		return
	}
	defer c.Close()
	c.Progress, c.Context = e.stderr, ctx
	c.TidyEnded(ctx, ids...)
}
