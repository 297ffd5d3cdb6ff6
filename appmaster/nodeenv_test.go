package appmaster

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/nodeenv"
)

// envDiag is what a NodeManager reports for a container whose runtime
// found the environment missing.
func envDiag(exit int) string {
	return fmt.Sprintf("[2026-12-02 12:56:30.760]Exception from container-launch.\nExit code: %d\n"+
		"[2026-12-02 12:56:30.761]Container exited with a non-zero exit code %d. Last 4096 bytes of stderr :\n"+
		"time=2026-12-02T12:56:28.472Z level=INFO msg=starting component=spindle-container\n"+
		`time=2026-12-02T12:56:28.480Z level=ERROR msg="exiting: the Python environment is not usable on this node" component=spindle-container env=venv:///no/such node=node7 err="environment not usable on this node: /no/such/bin/python: stat /no/such/bin/python: no such file or directory"`+"\n"+
		"spindle: container exits with code %d (see the log lines above)\n", exit, exit, exit)
}

func completeOn(am *AM, s *service, id string, exit int, diag string) {
	cid, _ := hadooprpc.ParseContainerID(id)
	yc := &yarnpb.ContainerProto{Id: cid, NodeId: &yarnpb.NodeIdProto{Host: proto.String("node7"), Port: proto.Int32(8041)}}
	c := &container{id: id, service: s, state: stateRunning, yarn: yc}
	s.live[id], am.containers[id] = c, c
	am.completed(&yarnpb.ContainerStatusProto{ContainerId: cid, ExitStatus: proto.Int32(int32(exit)), Diagnostics: proto.String(diag)})
}

// A scheduler whose environment is missing on its node fails the
// application at once (max_restarts is 3), naming the environment, the
// node and the path; exit 78 without the runtime's message is an ordinary
// failure.
func TestUnusableEnvironmentFailsAtOnce(t *testing.T) {
	am := testAM(t)
	am.plan.Spec.Environment = "venv:///no/such"
	sched := am.services[0]
	am.mu.Lock()
	completeOn(am, sched, "container_1_0001_01_000002", 78, strings.ReplaceAll(envDiag(78), "exiting: the Python", "exiting: a Python"))
	am.mu.Unlock()
	if sched.gaveUp || am.finishing != nil {
		t.Fatalf("exit 78 without the runtime's message gave up: %q", sched.gaveUpReason)
	}
	am.mu.Lock()
	completeOn(am, sched, "container_1_0001_01_000003", 78, envDiag(78))
	am.mu.Unlock()
	if am.finishing == nil || am.finishing.status.String() != "APP_FAILED" {
		t.Fatalf("the application goes on after its environment was found missing: %+v", am.finishing)
	}
	for _, want := range []string{"scheduler gave up without retrying", "venv:///no/such", "node node7:8041", "/no/such/bin/python: stat"} {
		if !strings.Contains(am.finishing.diagnostics, want) {
			t.Fatalf("diagnostics lack %q: %s", want, am.finishing.diagnostics)
		}
	}
}

// An environment on the nodes reaches the container encoded, whatever its
// path holds, and nothing is localized for it.
func TestLaunchContextEncodesNodeEnv(t *testing.T) {
	am := testAM(t)
	am.plan.Binary = Resource{URL: "hdfs://nn:8020/cache/spindle"}
	am.plan.Spec.Environment = `venv:///opt/"$(id)"/{{x}}`
	launch, err := am.launchContext(am.services[0])
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, kv := range launch.GetEnvironment() {
		if err := launchenv.CheckLiteral(kv.GetValue()); err != nil {
			t.Errorf("%s=%q reaches the launch script verbatim: %v", kv.GetKey(), kv.GetValue(), err)
		}
		if kv.GetKey() == rt.EnvNodeEnv {
			got = kv.GetValue()
		}
		if kv.GetKey() == rt.EnvEnvDir {
			t.Errorf("%s set for an environment on the nodes", rt.EnvEnvDir)
		}
	}
	if u, err := nodeenv.Decode(got); err != nil || u.String() != am.plan.Spec.Environment {
		t.Fatalf("%s = %q decodes to %v, %v", rt.EnvNodeEnv, got, u, err)
	}
	for _, lr := range launch.GetLocalResources() {
		if lr.GetKey() == EnvLink {
			t.Fatalf("an environment on the nodes is localized: %v", lr)
		}
	}
}
