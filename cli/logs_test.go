package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/logs"
)

// TestJSONSchemas pins the keys of the --json outputs the README documents:
// scripts rely on every key being there.
func TestJSONSchemas(t *testing.T) {
	cases := []struct {
		v    any
		keys string
	}{
		{submitJSON{}, "app_id dashboard_address scheduler_address"},
		{waitJSON{}, "app_id dashboard_address final_status scheduler_address state"},
		{addressJSON{}, "app_id dashboard_address path scheduler_address"},
		{containerJSON{}, "address diagnostics exit_status id node node_http_address service started_at state"},
		{appmaster.ServiceStatus{}, "desired failures gave_up gave_up_reason live name on_give_up pending ready retiring role running"},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if got := strings.Join(keys, " "); got != c.keys {
			t.Errorf("%s keys %q, want %q", reflect.TypeOf(c.v).Name(), got, c.keys)
		}
	}
}

func TestMissingNodes(t *testing.T) {
	alloc := map[string]logs.Allocation{
		"container_1_0001_01_000002": {Service: "scheduler", Node: "n1:8041"},
		"container_1_0001_01_000003": {Service: "worker", Node: "n2:8041"},
		"container_1_0001_01_000004": {Service: "worker", Node: "n2:8041"},
	}
	got := missingNodes("FAILED", []string{"n1_8041"}, alloc, true)
	if !strings.Contains(got, "no logs from NodeManager n2:8041 (containers container_1_0001_01_000003, container_1_0001_01_000004)") {
		t.Errorf("got %q", got)
	}
	// Rolling aggregation appends a timestamp to the node file name.
	got = missingNodes("TIME_OUT", []string{"n1_8041_1700000000000", "n2_8041"}, alloc, true)
	if !strings.Contains(got, "every NodeManager the application master used has a node file") {
		t.Errorf("got %q", got)
	}
	got = missingNodes("FAILED", nil, nil, false)
	if !strings.Contains(got, "node files read: none") || !strings.Contains(got, "cannot be told") {
		t.Errorf("got %q", got)
	}
}

func TestLogsUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"logs"},
		{"logs", "not-an-app"},
		{"logs", "application_1_0001", "--tail", "-1"},
		{"logs", "application_1_0001", "--head", "-1"},
		{"logs", "application_1_0001", "--tail", "2", "--size", "-10"},
		{"logs", "application_1_0001", "--head", "2", "--size", "10"},
		{"logs", "application_1_0001", "--size", "x"},
		{"logs", "application_1_0001", "--container", "c1"},
		{"logs", "application_1_0001", "--timeout", "0s"},
	} {
		if code, _, errOut := run(args...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, ExitUsage, errOut)
		}
	}
}

// TestLiveProblemsNameEachContainer: every container whose live logs were
// not printed gets a line naming it, its NodeManager and why; an unread
// ResourceManager list is said too.
func TestLiveProblemsNameEachContainer(t *testing.T) {
	ps := []logs.ContainerProblem{
		{Container: "container_1_0001_01_000002", NodeHTTP: "n2:8042", Err: fmt.Errorf("x: %w", logs.ErrNotOnNode), Completed: true},
		{Container: "container_1_0001_01_000003", Err: logs.ErrNoNodeAddress},
	}
	got := liveProblems(ps, errors.New("rpc failed"))
	if len(got) != 3 ||
		!strings.HasPrefix(got[0], "container_1_0001_01_000002 on n2:8042: it ended") ||
		!strings.HasPrefix(got[1], "container_1_0001_01_000003 on an unknown NodeManager: no NodeManager web address") ||
		!strings.Contains(got[2], "ResourceManager's list of containers could not be read") || !strings.Contains(got[2], "rpc failed") {
		t.Errorf("got %q", got)
	}
	if got := liveProblems(nil, nil); len(got) != 0 {
		t.Errorf("no problems: got %q", got)
	}
}
