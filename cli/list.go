package cli

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// listFilter is what `spindle list` asks for. States, users, types and tags
// go to the ResourceManager; name and queue are matched here because the
// RM ignores the name filter before Hadoop 3.4 and only sees the queues of
// applications that are still running.
type listFilter struct {
	states []string
	all    bool
	name   string
	users  []string
	queues []string
	tags   []string
	types  []string
	limit  int
}

// request builds the getApplications request for f.
func (f *listFilter) request() (*yarnpb.GetApplicationsRequestProto, error) {
	if f.all && len(f.states) > 0 {
		return nil, withCode(ExitUsage, fmt.Errorf("--all and --state cannot be combined: --all already means every state"))
	}
	if f.limit < 0 {
		return nil, withCode(ExitUsage, fmt.Errorf("--limit must be 0 (no limit) or more, got %d", f.limit))
	}
	states, err := parseNames("state", f.states, appStateNames)
	if err != nil {
		return nil, err
	}
	if len(states) == 0 && !f.all {
		states = activeAppStates
	}
	req := &yarnpb.GetApplicationsRequestProto{
		Users:            nonEmpty(f.users),
		ApplicationTypes: nonEmpty(f.types),
	}
	for _, s := range states {
		req.ApplicationStates = append(req.ApplicationStates, appStateValue(s))
	}
	// YARN's Java client lower-cases tags when submitting and filtering;
	// ask for both spellings so applications tagged either way match.
	for _, t := range nonEmpty(f.tags) {
		for _, v := range []string{t, strings.ToLower(t)} {
			if !slices.Contains(req.ApplicationTags, v) {
				req.ApplicationTags = append(req.ApplicationTags, v)
			}
		}
	}
	return req, nil
}

// keep applies the filters the ResourceManager does not.
func (f *listFilter) keep(r *yarnpb.ApplicationReportProto) bool {
	if f.name != "" && r.GetName() != f.name {
		return false
	}
	qs := nonEmpty(f.queues)
	return len(qs) == 0 || slices.ContainsFunc(qs, func(q string) bool { return sameQueue(r.GetQueue(), q) })
}

// sameQueue matches a queue by leaf name or full path: "default" and
// "root.default" name the same CapacityScheduler queue.
func sameQueue(a, b string) bool {
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

// sortAndLimit orders applications newest first (by start time, then id)
// and keeps at most limit (0: all).
func sortAndLimit(apps []*yarnpb.ApplicationReportProto, limit int) []*yarnpb.ApplicationReportProto {
	slices.SortFunc(apps, func(a, b *yarnpb.ApplicationReportProto) int {
		return cmp.Or(
			cmp.Compare(b.GetStartTime(), a.GetStartTime()),
			cmp.Compare(b.GetApplicationId().GetClusterTimestamp(), a.GetApplicationId().GetClusterTimestamp()),
			cmp.Compare(b.GetApplicationId().GetId(), a.GetApplicationId().GetId()),
		)
	})
	if limit > 0 && len(apps) > limit {
		apps = apps[:limit]
	}
	return apps
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func newListCmd(e *env) *cobra.Command {
	var (
		rf     rmFlags
		f      listFilter
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List YARN applications, newest first",
		Long: "List YARN applications, newest first. Without --state or --all only active applications\n" +
			"(" + strings.Join(activeAppStates, ", ") + ") are listed.\n" +
			"States: " + strings.Join(appStateNames, ", ") + ".",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := f.request()
			if err != nil {
				return err
			}
			var apps []*yarnpb.ApplicationReportProto
			err = rf.withRM(cmd, "list applications", func(ctx context.Context, rm *hadooprpc.ResourceManager) error {
				all, err := rm.Applications(ctx, req)
				for _, a := range all {
					if f.keep(a) {
						apps = append(apps, a)
					}
				}
				if err == nil {
					tidyReports(ctx, e, apps...)
				}
				return err
			})
			if err != nil {
				return err
			}
			apps = sortAndLimit(apps, f.limit)
			now := time.Now()
			out := make([]appJSON, 0, len(apps))
			for _, a := range apps {
				out = append(out, toAppJSON(a, now))
			}
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stderr, "no applications match")
				return nil
			}
			t := newTable(e.stdout, "ID", "NAME", "USER", "QUEUE", "STATE", "FINAL STATUS", "PROGRESS", "STARTED", "TRACKING URL")
			for i, a := range out {
				t.row(a.ID, truncate(a.Name, 40), a.User, a.Queue, a.State, a.FinalStatus,
					fmt.Sprintf("%.0f%%", a.ProgressPercent), humanTime(apps[i].GetStartTime(), shortTime), a.TrackingURL)
			}
			return t.flush()
		},
	}
	rf.register(cmd)
	fl := cmd.Flags()
	fl.StringSliceVar(&f.states, "state", nil, "only applications in these states (repeatable or comma-separated; default: "+strings.Join(activeAppStates, ",")+")")
	fl.BoolVar(&f.all, "all", false, "applications in every state, including ended ones")
	fl.StringVar(&f.name, "name", "", "only applications with exactly this name")
	fl.StringSliceVar(&f.users, "user", nil, "only applications of these users (repeatable or comma-separated)")
	fl.StringSliceVar(&f.queues, "queue", nil, "only applications in these queues, by leaf name or full path (repeatable or comma-separated)")
	fl.StringSliceVar(&f.tags, "tag", nil, "only applications carrying any of these tags (repeatable or comma-separated)")
	fl.StringSliceVar(&f.types, "type", nil, "only applications of these types, exact match, e.g. SPINDLE (repeatable or comma-separated)")
	fl.IntVar(&f.limit, "limit", 0, "print at most this many applications, newest first (0: no limit)")
	fl.BoolVar(&asJSON, "json", false, "print JSON (fields documented in the README)")
	return cmd
}
