package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/appmaster"
)

var testServices = []appmaster.ServiceStatus{
	{Name: "scheduler", Role: "scheduler", Desired: 1, Ready: 1, Live: 1},
	{Name: "big", Role: "worker", Desired: 3, Pending: 1, Running: 1, Ready: 1, Retiring: 1, Live: 3, OnGiveUp: "fail"},
	{Name: "bad", Role: "worker", Desired: 2, Failures: 3, GaveUp: true, OnGiveUp: "keep_running",
		GaveUpReason: `worker pool "bad" gave up after 3 failed containers (max_restarts 2); last exit statuses, newest first: 2, 2, 2`},
}

// `spindle containers` starts with a line per pool: what is wanted, what
// waits for YARN, what runs, what failed, and why a pool gave up.
func TestPoolLines(t *testing.T) {
	var buf bytes.Buffer
	if err := printPools(&buf, testServices); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "POOL DESIRED PENDING RUNNING READY FAILED NOTE" {
		t.Fatalf("pool table:\n%s", buf.String())
	}
	if got := strings.Join(strings.Fields(lines[2]), " "); got != "big 3 1 1 1 0 retiring 1" {
		t.Errorf("big pool line %q", got)
	}
	if !strings.Contains(lines[3], "gave up after 3 failed containers") || !strings.HasPrefix(strings.Join(strings.Fields(lines[3]), " "), "bad 2 0 0 0 3 ") {
		t.Errorf("given-up pool line %q", lines[3])
	}

	buf.Reset()
	printAMStatus(&buf, &appmaster.Status{Services: testServices, Diagnostics: []string{testServices[2].GaveUpReason}})
	out := buf.String()
	for _, want := range []string{"Pools:\n", "  big              desired 3, pending 1, running 1, ready 1, failed 0; retiring 1\n",
		"AM diagnostics:\n  worker pool \"bad\" gave up"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lines lack %q:\n%s", want, out)
		}
	}
}

// `spindle status --json` has the pools when the AM answered, null when it
// was not asked.
func TestStatusJSONPools(t *testing.T) {
	b, _ := json.Marshal(toStatusJSON(appJSON{ID: "application_1_0001"}, nil))
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["id"] != "application_1_0001" || m["pools"] != nil || m["am_diagnostics"] == nil {
		t.Fatalf("without the AM: %s", b)
	}
	b, _ = json.Marshal(toStatusJSON(appJSON{}, &appmaster.Status{Services: testServices}))
	var s struct {
		Pools []map[string]any `json:"pools"`
	}
	json.Unmarshal(b, &s)
	if len(s.Pools) != 3 || s.Pools[1]["pending"] != 1.0 || s.Pools[2]["gave_up"] != true || s.Pools[2]["failures"] != 3.0 {
		t.Fatalf("pools: %s", b)
	}
}
