package appmaster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"testing"

	"github.com/sirupsen/logrus"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/spec"
)

// With an external scheduler the AM asks for no scheduler container and
// for the workers at once, whose launch context names that scheduler; the
// status reports it published (submit --wait returns on it).
func TestExternalSchedulerRunsOnlyWorkers(t *testing.T) {
	sp := spec.Default()
	sp.ExternalScheduler = &spec.External{Address: "tcp://10.0.0.5:8786", DashboardAddress: "10.0.0.5:8787"}
	log := logrus.New()
	log.SetOutput(io.Discard)
	am := New(Config{Plan: &Plan{AppID: "application_1_0001", Spec: sp, Binary: Resource{URL: "hdfs://nn:8020/s/spindle"}}, Secret: []byte("0123456789abcdef0123456789abcdef"), Host: "h", Log: log})
	sched, workers := am.services[0], am.services[1]
	if got := am.ask(sched).GetNumContainers(); got != 0 {
		t.Fatalf("scheduler ask = %d, want 0", got)
	}
	if got := am.ask(workers).GetNumContainers(); got != 2 {
		t.Fatalf("worker ask = %d, want 2 at once", got)
	}
	lc, err := am.launchContext(workers)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range lc.GetEnvironment() {
		env[kv.GetKey()] = kv.GetValue()
	}
	if env[rt.EnvSchedulerAddress] != "tcp://10.0.0.5:8786" {
		t.Fatalf("%s = %q", rt.EnvSchedulerAddress, env[rt.EnvSchedulerAddress])
	}
	b, _ := base64.StdEncoding.DecodeString(env[rt.EnvCommand])
	var argv []string
	if err := json.Unmarshal(b, &argv); err != nil || argv[0] != "dask" || argv[1] != "worker" {
		t.Fatalf("worker command %q: %v", b, err)
	}
	am.publishExternal(context.Background()) // no HDFS here: nothing to write
	st := am.status().Scheduler
	if st.Address != "tcp://10.0.0.5:8786" || st.DashboardAddress != "10.0.0.5:8787" || !st.Published || am.finishing != nil {
		t.Fatalf("scheduler status %+v, finishing %+v", st, am.finishing)
	}
}
