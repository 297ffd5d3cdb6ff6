package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

func TestParseNames(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
		bad  bool
	}{
		{in: nil, want: nil},
		{in: []string{"running"}, want: []string{"RUNNING"}},
		{in: []string{"Running, accepted", "RUNNING", ""}, want: []string{"RUNNING", "ACCEPTED"}},
		{in: []string{"new_saving,killed"}, want: []string{"NEW_SAVING", "KILLED"}},
		{in: []string{"running,sleeping"}, bad: true},
	} {
		got, err := parseNames("state", tc.in, appStateNames)
		if tc.bad {
			if exitCode(err) != ExitUsage || !strings.Contains(err.Error(), "want one of NEW, NEW_SAVING") {
				t.Errorf("%q: want a usage error listing the states, got %v", tc.in, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestEnumNamesAsYARNPrintsThem(t *testing.T) {
	if want := []string{"NEW", "NEW_SAVING", "SUBMITTED", "ACCEPTED", "RUNNING", "FINISHED", "FAILED", "KILLED"}; !slices.Equal(appStateNames, want) {
		t.Errorf("app states %v, want %v", appStateNames, want)
	}
	if nodeStateNames[1] != "RUNNING" || len(nodeStateNames) != 8 {
		t.Errorf("node states %v", nodeStateNames)
	}
	if nodeStateValue("DECOMMISSIONING") != yarnpb.NodeStateProto_NS_DECOMMISSIONING || appStateValue("NEW_SAVING") != yarnpb.YarnApplicationStateProto_NEW_SAVING {
		t.Error("state values do not round-trip")
	}
}

func TestListRequest(t *testing.T) {
	f := &listFilter{}
	req, err := f.request()
	if err != nil {
		t.Fatal(err)
	}
	want := []yarnpb.YarnApplicationStateProto{1, 2, 3, 4, 5}
	if !slices.Equal(req.GetApplicationStates(), want) || req.Limit != nil || req.Name != nil {
		t.Errorf("default request: %v", req)
	}

	f = &listFilter{all: true, users: []string{"alice", " "}, types: []string{"SPINDLE"}, tags: []string{"Dask", "x"}, limit: 3}
	if req, err = f.request(); err != nil {
		t.Fatal(err)
	}
	if len(req.GetApplicationStates()) != 0 || !slices.Equal(req.GetUsers(), []string{"alice"}) ||
		!slices.Equal(req.GetApplicationTypes(), []string{"SPINDLE"}) || !slices.Equal(req.GetApplicationTags(), []string{"Dask", "dask", "x"}) {
		t.Errorf("--all request: %v", req)
	}
	// limit is applied after sorting, not by the RM (which picks arbitrary ones).
	if req.Limit != nil {
		t.Errorf("limit sent to the RM: %v", req)
	}

	for _, bad := range []*listFilter{{all: true, states: []string{"RUNNING"}}, {limit: -1}, {states: []string{"DONE"}}} {
		if _, err := bad.request(); exitCode(err) != ExitUsage {
			t.Errorf("%+v: want a usage error, got %v", bad, err)
		}
	}
}

func report(id int32, name, queue string, start int64) *yarnpb.ApplicationReportProto {
	return &yarnpb.ApplicationReportProto{
		ApplicationId: &yarnpb.ApplicationIdProto{ClusterTimestamp: proto.Int64(1700000000000), Id: proto.Int32(id)},
		Name:          proto.String(name),
		Queue:         proto.String(queue),
		StartTime:     proto.Int64(start),
	}
}

func TestListKeepAndSort(t *testing.T) {
	f := &listFilter{name: "dask", queues: []string{"default"}}
	for _, tc := range []struct {
		r    *yarnpb.ApplicationReportProto
		keep bool
	}{
		{report(1, "dask", "default", 1), true},
		{report(2, "dask", "root.default", 1), true},
		{report(3, "Dask", "default", 1), false},
		{report(4, "dask", "root.other", 1), false},
		{report(5, "dask", "default2", 1), false},
	} {
		if got := f.keep(tc.r); got != tc.keep {
			t.Errorf("keep(%s in %s) = %v", tc.r.GetName(), tc.r.GetQueue(), got)
		}
	}
	if !sameQueue("default", "root.default") || sameQueue("a.default", "b.default") {
		t.Error("sameQueue")
	}

	apps := []*yarnpb.ApplicationReportProto{report(1, "a", "q", 100), report(3, "c", "q", 0), report(2, "b", "q", 300), report(4, "d", "q", 300)}
	var ids []int32
	for _, a := range sortAndLimit(apps, 3) {
		ids = append(ids, a.GetApplicationId().GetId())
	}
	if !slices.Equal(ids, []int32{4, 2, 1}) {
		t.Errorf("newest first, limit 3: got %v", ids)
	}
	if len(sortAndLimit(apps, 0)) != 4 {
		t.Error("limit 0 must keep all")
	}
}

func TestAppJSON(t *testing.T) {
	now := time.UnixMilli(1700000100000)
	r := report(7, "job", "root.default", 1700000000000)
	r.User = proto.String("alice")
	r.ApplicationType = proto.String("SPINDLE")
	r.YarnApplicationState = yarnpb.YarnApplicationStateProto_RUNNING.Enum()
	r.FinalApplicationStatus = yarnpb.FinalApplicationStatusProto_APP_UNDEFINED.Enum()
	r.Progress = proto.Float32(0.25)
	r.Host = proto.String("N/A")
	r.RpcPort = proto.Int32(-1)
	r.ApplicationTags = []string{"b", "a"}
	r.LogAggregationStatus = yarnpb.LogAggregationStatusProto_LOG_NOT_START.Enum()
	r.AppNodeLabelExpression = proto.String("<Not set>")
	r.AmNodeLabelExpression = proto.String("gpu")
	r.CurrentApplicationAttemptId = &yarnpb.ApplicationAttemptIdProto{ApplicationId: r.ApplicationId, AttemptId: proto.Int32(2)}
	r.AppResource_Usage = &yarnpb.ApplicationResourceUsageReportProto{
		NumUsedContainers: proto.Int32(3), UsedResources: &yarnpb.ResourceProto{Memory: proto.Int64(3072), VirtualCores: proto.Int32(3)},
		MemorySeconds: proto.Int64(99), QueueUsagePercentage: proto.Float32(12.3456),
	}
	r.AppTimeouts = []*yarnpb.AppTimeoutsMapProto{{
		ApplicationTimeoutType: yarnpb.ApplicationTimeoutTypeProto_APP_TIMEOUT_LIFETIME.Enum(),
		ApplicationTimeout: &yarnpb.ApplicationTimeoutProto{
			ApplicationTimeoutType: yarnpb.ApplicationTimeoutTypeProto_APP_TIMEOUT_LIFETIME.Enum(),
			ExpireTime:             proto.String("2023-11-14T23:13:20.000+0100"), RemainingTime: proto.Int64(60),
		},
	}}
	a := toAppJSON(r, now)
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	checks := []struct{ got, want any }{
		{a.ID, "application_1700000000000_0007"},
		{a.State, "RUNNING"}, {a.FinalStatus, "UNDEFINED"}, {a.ProgressPercent, 25.0},
		{str(a.StartedAt), "2023-11-14T22:13:20Z"}, {str(a.FinishedAt), "<nil>"}, {str(a.SubmittedAt), "<nil>"},
		{a.ElapsedSeconds, int64(100)},
		{a.AMHost, ""}, {a.AMRPCPort, int32(-1)}, {a.Diagnostics, ""},
		{a.Attempts, int32(2)}, {a.CurrentAttemptID, "appattempt_1700000000000_0007_000002"},
		{strings.Join(a.Tags, ","), "a,b"}, {a.LogAggregationStatus, "NOT_START"},
		{a.AppNodeLabelExpression, ""}, {a.AMNodeLabelExpression, "gpu"},
		{a.Resources.UsedContainers, int32(3)}, {a.Resources.UsedMemoryMB, int64(3072)}, {a.Resources.MemoryMBSeconds, int64(99)},
		{a.Resources.QueueUsagePercent, 12.35},
		{len(a.Timeouts), 1}, {a.Timeouts[0].Type, "LIFETIME"}, {str(a.Timeouts[0].ExpiresAt), "2023-11-14T22:13:20Z"},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %v (%T), want %v", i, c.got, c.got, c.want)
		}
	}
	if yarnExpiry("UNLIMITED") != nil {
		t.Error("UNLIMITED must have no expiry time")
	}

	var buf bytes.Buffer
	printStatus(&buf, a, r)
	flat := strings.Join(strings.Fields(buf.String()), " ")
	for _, want := range []string{"ID: application_1700000000000_0007", "Progress: 25%", "AM: - ", "Attempts: 2 (current appattempt_1700000000000_0007_000002)",
		"Containers: 3 running, 0 reserved", "Elapsed: 1m40s", "Tags: a, b", "Diagnostics: -"} {
		if !strings.Contains(flat, want) {
			t.Errorf("status text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestNodeAndQueueJSON(t *testing.T) {
	n := toNodeJSON(&yarnpb.NodeReportProto{
		NodeId:      &yarnpb.NodeIdProto{Host: proto.String("nm1"), Port: proto.Int32(45454)},
		HttpAddress: proto.String("nm1:8042"), RackName: proto.String("/r1"),
		Used:       &yarnpb.ResourceProto{Memory: proto.Int64(1024), VirtualCores: proto.Int32(1)},
		Capability: &yarnpb.ResourceProto{Memory: proto.Int64(8192), VirtualCores: proto.Int32(8)},
		NodeState:  yarnpb.NodeStateProto_NS_UNHEALTHY.Enum(), NodeLabels: []string{"y", "x"},
	})
	if n.ID != "nm1:45454" || n.State != "UNHEALTHY" || n.MemoryUsedMB != 1024 || n.VcoresTotal != 8 ||
		strings.Join(n.Labels, ",") != "x,y" || n.LastHealthReportAt != nil {
		t.Errorf("node: %+v", n)
	}
	if toNodeJSON(&yarnpb.NodeReportProto{}).Labels == nil {
		t.Error("labels must be [] in JSON, not null")
	}

	q := toQueueJSON(&yarnpb.QueueInfoProto{
		QueueName: proto.String("root"), Capacity: proto.Float32(1), MaximumCapacity: proto.Float32(1),
		State: yarnpb.QueueStateProto_Q_RUNNING.Enum(),
		ChildQueues: []*yarnpb.QueueInfoProto{{
			QueueName: proto.String("a"), Capacity: proto.Float32(0.3), CurrentCapacity: proto.Float32(1.5),
			State:           yarnpb.QueueStateProto_Q_DRAINING.Enum(),
			QueueStatistics: &yarnpb.QueueStatisticsProto{NumAppsRunning: proto.Int64(2), NumAppsPending: proto.Int64(1)},
		}},
	}, "")
	c := q.Children[0]
	if q.Path != "root" || q.CapacityPercent != 100 || c.Path != "root.a" || c.CapacityPercent != 30 ||
		c.UsedCapacityPercent != 150 || c.State != "DRAINING" || c.AppsRunning != 2 || c.AppsPending != 1 || c.Children == nil {
		t.Errorf("queues: %+v", q)
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	tb := newTable(&buf, "ID", "NAME", "URL")
	tb.row("a", "two\twords\nhere", "")
	tb.row("  child", "x", "u")
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	want := "ID       NAME            URL\na        two words here  -\n  child  x               u\n"
	if buf.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", buf.String(), want)
	}
	if truncate("abcdef", 4) != "abc…" || truncate("abc", 4) != "abc" {
		t.Error("truncate")
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitError},
		{withCode(ExitUsage, errors.New("x")), ExitUsage},
		{fmt.Errorf("report: %w", hadooprpc.ErrApplicationNotFound), ExitNotFound},
		{fmt.Errorf("call: %w", hadooprpc.ErrUnavailable), ExitUnavailable},
		{fmt.Errorf("call: %w", context.DeadlineExceeded), ExitTimeout},
		{notFound("application_1_0001", errors.New("remote")), ExitNotFound},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}
