package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

func newStatusCmd(e *env) *cobra.Command {
	var (
		rf     rmFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status <application id>",
		Short: "Show one application's report",
		Long:  "Show what the ResourceManager reports about one application, e.g.\n  spindle status application_1700000000000_0001",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseAppID(args[0])
			if err != nil {
				return err
			}
			var rep *yarnpb.ApplicationReportProto
			err = rf.withRM(cmd, "show "+hadooprpc.ApplicationID(id), func(ctx context.Context, rm *hadooprpc.ResourceManager) error {
				if rep, err = appReport(ctx, rm, id); err == nil {
					tidyReports(ctx, e, rep)
				}
				return err
			})
			if err != nil {
				return err
			}
			// The AM's view (pools, its diagnostics) is an addition:
			// without it the report is still worth printing.
			am, err := amStatus(cmd.Context(), rf.timeout, rep)
			if err != nil {
				fmt.Fprintf(e.stderr, "spindle: status: pools not shown: asking the application master: %v\n", err)
			}
			a := toAppJSON(rep, time.Now())
			if asJSON {
				return writeJSON(e.stdout, toStatusJSON(a, am))
			}
			printStatus(e.stdout, a, rep)
			if am != nil {
				printAMStatus(e.stdout, am)
			}
			return nil
		},
	}
	rf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (fields documented in the README)")
	return cmd
}

// count prints a resource count; the RM sends -1 while it has none.
func count(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

// printStatus writes the human form of a report: one "Field: value" line
// each, diagnostics last since they may span lines.
func printStatus(w io.Writer, a appJSON, r *yarnpb.ApplicationReportProto) {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	res := a.Resources
	am := "-"
	if a.AMHost != "" {
		am = fmt.Sprintf("%s, RPC port %d", a.AMHost, a.AMRPCPort)
	}
	attempts := fmt.Sprint(a.Attempts)
	if a.CurrentAttemptID != "" {
		attempts += " (current " + a.CurrentAttemptID + ")"
	}
	lines := [][2]string{
		{"ID", a.ID},
		{"Name", dash(a.Name)},
		{"Type", dash(a.Type)},
		{"User", dash(a.User)},
		{"Queue", dash(a.Queue)},
		{"State", a.State},
		{"Final status", a.FinalStatus},
		{"Progress", fmt.Sprintf("%.0f%%", a.ProgressPercent)},
		{"Submitted", humanTime(r.GetSubmitTime(), longTime)},
		{"Started", humanTime(r.GetStartTime(), longTime)},
		{"Launched", humanTime(r.GetLaunchTime(), longTime)},
		{"Finished", humanTime(r.GetFinishTime(), longTime)},
		{"Elapsed", (time.Duration(a.ElapsedSeconds) * time.Second).String()},
		{"Tracking URL", dash(a.TrackingURL)},
		{"AM", am},
		{"Attempts", attempts},
		{"Containers", fmt.Sprintf("%s running, %s reserved", count(int64(res.UsedContainers)), count(int64(res.ReservedContainers)))},
		{"Resources", fmt.Sprintf("%s MB, %s vcores in use; %s MB, %s vcores reserved",
			count(res.UsedMemoryMB), count(int64(res.UsedVcores)), count(res.ReservedMemoryMB), count(int64(res.ReservedVcores)))},
		{"Usage", fmt.Sprintf("%d MB-seconds, %d vcore-seconds", res.MemoryMBSeconds, res.VcoreSeconds)},
		{"Log aggregation", dash(a.LogAggregationStatus)},
		{"Tags", dash(strings.Join(a.Tags, ", "))},
		{"Priority", fmt.Sprint(a.Priority)},
	}
	if a.Unmanaged {
		lines = append(lines, [2]string{"Unmanaged AM", "yes"})
	}
	for _, t := range a.Timeouts {
		exp := "unlimited"
		if t.ExpiresAt != nil {
			exp = fmt.Sprintf("%s (%ds left)", *t.ExpiresAt, t.RemainingSeconds)
		}
		lines = append(lines, [2]string{"Timeout " + strings.ToLower(t.Type), exp})
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%-18s %s\n", l[0]+":", l[1])
	}
	if a.Diagnostics == "" {
		fmt.Fprintf(w, "%-18s -\n", "Diagnostics:")
		return
	}
	fmt.Fprintln(w, "Diagnostics:")
	for _, l := range strings.Split(strings.TrimRight(a.Diagnostics, "\n"), "\n") {
		fmt.Fprintln(w, "  "+l)
	}
}
