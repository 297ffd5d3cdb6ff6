package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// poolNote is what a pool's line adds to its counts: that it gave up, or
// that workers are being retired.
func poolNote(s appmaster.ServiceStatus) string {
	var notes []string
	if s.GaveUp {
		notes = append(notes, s.GaveUpReason)
	}
	if a := s.Adaptive; a != nil {
		notes = append(notes, fmt.Sprintf("adaptive %d..%d, target %d", a.Minimum, a.Maximum, a.Target))
	}
	if s.Retiring > 0 {
		notes = append(notes, fmt.Sprintf("retiring %d", s.Retiring))
	}
	return strings.Join(notes, "; ")
}

// printPools writes one line per service with its counts, as a table.
func printPools(w io.Writer, services []appmaster.ServiceStatus) error {
	t := newTable(w, "POOL", "DESIRED", "PENDING", "RUNNING", "READY", "FAILED", "NOTE")
	for _, s := range services {
		t.row(s.Name, fmt.Sprint(s.Desired), fmt.Sprint(s.Pending), fmt.Sprint(s.Running), fmt.Sprint(s.Ready), fmt.Sprint(s.Failures), poolNote(s))
	}
	return t.flush()
}

// statusJSON is `spindle status --json`: the application report, plus
// for a running Spindle application what its application master says
// (pools null and am_diagnostics empty when it could not be asked).
type statusJSON struct {
	appJSON
	Pools         []appmaster.ServiceStatus `json:"pools"`
	AMDiagnostics []string                  `json:"am_diagnostics"`
}

func toStatusJSON(a appJSON, st *appmaster.Status) statusJSON {
	out := statusJSON{appJSON: a, AMDiagnostics: []string{}}
	if st == nil {
		return out
	}
	out.Pools = append([]appmaster.ServiceStatus{}, st.Services...)
	out.AMDiagnostics = append(out.AMDiagnostics, st.Diagnostics...)
	return out
}

// printAMStatus adds the application master's view to `spindle status`:
// a line per pool, then its diagnostics (e.g. a pool that gave up).
func printAMStatus(w io.Writer, st *appmaster.Status) {
	fmt.Fprintln(w, "Pools:")
	for _, s := range st.Services {
		line := fmt.Sprintf("desired %d, pending %d, running %d, ready %d, failed %d", s.Desired, s.Pending, s.Running, s.Ready, s.Failures)
		if n := poolNote(s); n != "" {
			line += "; " + n
		}
		fmt.Fprintf(w, "  %-16s %s\n", s.Name, line)
	}
	if len(st.Diagnostics) == 0 {
		fmt.Fprintf(w, "%-18s -\n", "AM diagnostics:")
		return
	}
	fmt.Fprintln(w, "AM diagnostics:")
	for _, d := range st.Diagnostics {
		fmt.Fprintln(w, "  "+oneLine(d))
	}
}

// amStatusWait bounds asking the application master from `spindle status`
// (also within --timeout): its view is an addition to the ResourceManager's
// report, not worth spending the whole --timeout on.
const amStatusWait = 15 * time.Second

// amStatus asks a running Spindle application's master for its view. It
// returns nil, nil for an application that has none (not Spindle's, not
// running). Reading the control secret may fall back to HDFS, whose client
// takes no context, so the call runs aside and is abandoned at the deadline.
func amStatus(ctx context.Context, timeout time.Duration, rep *yarnpb.ApplicationReportProto) (*appmaster.Status, error) {
	if rep.GetApplicationType() != client.ApplicationType || rep.GetYarnApplicationState() != yarnpb.YarnApplicationStateProto_RUNNING || rep.GetRpcPort() <= 0 {
		return nil, nil
	}
	wait := min(timeout, amStatusWait)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	type answer struct {
		st  *appmaster.Status
		err error
	}
	done := make(chan answer, 1)
	appID := hadooprpc.ApplicationID(rep.GetApplicationId())
	go func() {
		st, err := askAM(ctx, appID, rep)
		done <- answer{st, err}
	}()
	select {
	case a := <-done:
		return a.st, a.err
	case <-ctx.Done():
		return nil, fmt.Errorf("no answer from the application master within %s: %w", wait, ctx.Err())
	}
}

func askAM(ctx context.Context, appID string, rep *yarnpb.ApplicationReportProto) (*appmaster.Status, error) {
	cfg, err := conf.FromEnvironment()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, authFrom(ctx))
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctl, err := c.ControlFor(appID, rep)
	if err != nil {
		return nil, err
	}
	return ctl.Status(ctx)
}
