package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// replay makes a client whose Wait sees these reports in turn (the last
// one again and again).
func replay(reps ...*yarnpb.ApplicationReportProto) (*Client, *strings.Builder) {
	var progress strings.Builder
	i := 0
	c := &Client{Progress: &progress, reports: func(context.Context, *yarnpb.ApplicationIdProto) (*yarnpb.ApplicationReportProto, error) {
		r := reps[min(i, len(reps)-1)]
		i++
		return r, nil
	}}
	return c, &progress
}

func accepted(diag string) *yarnpb.ApplicationReportProto {
	return &yarnpb.ApplicationReportProto{YarnApplicationState: yarnpb.YarnApplicationStateProto_ACCEPTED.Enum(), Diagnostics: proto.String(diag)}
}

// TestWaitSaysWhatIsPendingAndWhy: while it waits, Wait prints the
// ResourceManager's diagnostics each time they change, whole (several
// lines too), and not again when only their time stamp changes.
func TestWaitSaysWhatIsPendingAndWhy(t *testing.T) {
	limit := "Application is added to the scheduler and is not yet activated. Queue's AM resource limit exceeded.  Details : AM Partition = <DEFAULT_PARTITION>; AM Resource Request = <memory:4096, vCores:1>; Queue Resource Limit for AM = <memory:2048, vCores:1>; User AM Resource Limit of the queue = <memory:2048, vCores:1>; Queue AM Resource Usage = <memory:2048, vCores:1>;"
	multi := "[Wed Nov 26 01:17:40 +0000 2026] Application is Activated, waiting for resources to be assigned for AM.\nDetails : AM Partition = <DEFAULT_PARTITION> ; Partition Resource = <memory:8192, vCores:16> ; Queue's Absolute capacity = 100.0 %"
	c, progress := replay(
		accepted(""),
		accepted("[Wed Nov 26 01:17:30 +0000 2026] "+limit),
		accepted("[Wed Nov 26 01:17:31 +0000 2026] "+limit),
		accepted(multi),
		&yarnpb.ApplicationReportProto{YarnApplicationState: yarnpb.YarnApplicationStateProto_RUNNING.Enum(), RpcPort: proto.Int32(4000)},
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Wait(ctx, "application_1764000000000_0007", UntilRunning); err != nil {
		t.Fatal(err)
	}
	out := progress.String()
	if n := strings.Count(out, limit); n != 1 {
		t.Errorf("the queue limit diagnostics were printed %d times, want once, whole:\n%s", n, out)
	}
	for _, l := range strings.Split(multi, "\n") {
		if !strings.Contains(out, "  "+l+"\n") {
			t.Errorf("line %q of the diagnostics missing:\n%s", l, out)
		}
	}
	if !strings.Contains(out, "application_1764000000000_0007: RUNNING") {
		t.Errorf("no RUNNING line:\n%s", out)
	}
}

// TestWaitInterrupted: an interrupted wait (Ctrl-C cancels the context)
// says the application goes on and how to stop it, and is not a timeout.
func TestWaitInterrupted(t *testing.T) {
	c, _ := replay(accepted(""))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	_, err := c.Wait(ctx, "application_1764000000000_0007", UntilAddress)
	var intr *InterruptedError
	if !errors.As(err, &intr) || errors.Is(err, ErrWaitTimeout) {
		t.Fatalf("Wait after cancel: %v; want an InterruptedError", err)
	}
	for _, want := range []string{"still running", "ACCEPTED", "spindle stop application_1764000000000_0007"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
