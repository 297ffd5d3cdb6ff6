package appmaster

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/spec"
)

// A worker's launch context carries the spec's env only encoded: every
// value the NodeManager writes verbatim is a literal in its script, and
// the encoded one decodes to exactly the spec's env.
func TestLaunchContextEncodesUserEnv(t *testing.T) {
	am := testAM(t)
	am.plan.Binary = Resource{URL: "hdfs://nn:8020/cache/spindle"}
	am.scheduler.Address = "tcp://h:1"
	workers := am.services[1]
	env := map[string]string{"A": `"; touch /tmp/x; "`, "B": "$(id)\n`id`", "C": "{{HOME}} <LOG_DIR>", "PATH": "/x:/bin"}
	workers.spec.Env = env
	launch, err := am.launchContext(workers)
	if err != nil {
		t.Fatal(err)
	}
	var encoded string
	for _, kv := range launch.GetEnvironment() {
		if err := launchenv.CheckLiteral(kv.GetValue()); err != nil || !launchenv.IsName(kv.GetKey()) {
			t.Errorf("%s=%q reaches the launch script verbatim: %v", kv.GetKey(), kv.GetValue(), err)
		}
		if _, user := env[kv.GetKey()]; user {
			t.Errorf("user variable %s is in the launch context as it is", kv.GetKey())
		}
		if kv.GetKey() == launchenv.UserEnvVar {
			encoded = kv.GetValue()
		}
	}
	if got, err := launchenv.Decode(encoded); err != nil || !maps.Equal(got, env) {
		t.Fatalf("%s decodes to %q, %v; want %q", launchenv.UserEnvVar, got, err, env)
	}

	// A link name or source the script would interpret fails the launch.
	am.plan.Files = map[string]map[string]Resource{workers.name: {"a$(id)": {URL: "hdfs://nn/x"}}}
	if _, err := am.launchContext(workers); !errors.Is(err, launchenv.ErrLinkName) {
		t.Fatalf("hostile link name: %v, want ErrLinkName", err)
	}
	am.plan.Files = map[string]map[string]Resource{workers.name: {"x": {URL: "hdfs://nn/a%24%28id%29"}}}
	if _, err := am.launchContext(workers); !errors.Is(err, launchenv.ErrLiteral) {
		t.Fatalf("hostile source file name: %v, want ErrLiteral", err)
	}
}

// A scheduler address goes verbatim into every worker's launch context:
// one the script would interpret is refused when the scheduler reports it.
func TestReadyRefusesAHostileAddress(t *testing.T) {
	am := testAM(t)
	sched := am.services[0]
	c := &container{id: "c1", service: sched, state: stateRunning}
	am.containers["c1"] = c
	if err := am.ready(context.Background(), "c1", `tcp://h:1"; touch /tmp/x; "`, ""); !errors.Is(err, launchenv.ErrLiteral) {
		t.Fatalf("ready with a hostile address: %v, want ErrLiteral", err)
	}
	if am.scheduler.Address != "" || c.state != stateRunning {
		t.Fatalf("a refused address was recorded: %q, state %s", am.scheduler.Address, c.state)
	}
}

// A pool's scheduler_wait reaches its runtime (the spec's env does not: it
// is for the Dask process, and SPINDLE_ names are refused there).
func TestLaunchContextCarriesSchedulerWait(t *testing.T) {
	am := testAM(t)
	am.plan.Binary = Resource{URL: "hdfs://nn:8020/cache/spindle"}
	am.scheduler.Address = "tcp://h:1"
	workers := am.services[1]
	workers.pool.SchedulerWait = spec.Duration(90 * time.Second)
	launch, err := am.launchContext(workers)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, kv := range launch.GetEnvironment() {
		if kv.GetKey() == rt.EnvSchedulerWait {
			got = kv.GetValue()
		}
	}
	if d, err := time.ParseDuration(got); err != nil || d != 90*time.Second {
		t.Fatalf("%s = %q, want 1m30s", rt.EnvSchedulerWait, got)
	}
}
