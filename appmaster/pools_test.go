package appmaster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

// A worker pool past max_restarts fails the application by default, naming
// the pool, the limit and its last exit statuses with the newest cause;
// with on_give_up: keep_running the application runs on and the pool's
// status says it gave up, and why.
func TestWorkerPoolGiveUp(t *testing.T) {
	for _, onGiveUp := range []string{"", spec.OnGiveUpFail, spec.OnGiveUpKeepRunning} {
		am := testAM(t)
		workers := am.services[1]
		*workers.spec.MaxRestarts = 1
		workers.pool.OnGiveUp = onGiveUp
		am.fail(&container{id: "container_1_0001_01_000002", service: workers}, "launch failed", "launch failed: no route")
		if workers.gaveUp || am.finishing != nil {
			t.Fatalf("%q: gave up after 1 failure of max_restarts 1", onGiveUp)
		}
		am.fail(&container{id: "container_1_0001_01_000003", service: workers}, "2", "exit status 2: Error: No such option: --bogus")
		reason := workers.gaveUpReason
		for _, want := range []string{`worker pool "worker"`, "2 failed containers", "max_restarts 1",
			"exit statuses, newest first: 2, launch failed", "container_1_0001_01_000003 exit status 2: Error: No such option: --bogus"} {
			if !strings.Contains(reason, want) {
				t.Fatalf("%q: reason %q lacks %q", onGiveUp, reason, want)
			}
		}
		st := am.status()
		pool := st.Services[1]
		if !pool.GaveUp || pool.GaveUpReason != reason || pool.Pending != 0 || pool.Failures != 2 || len(st.Diagnostics) != 1 || st.Diagnostics[0] != reason {
			t.Fatalf("%q: status %+v", onGiveUp, st)
		}
		if onGiveUp == spec.OnGiveUpKeepRunning {
			if am.finishing != nil || st.State != "running" {
				t.Fatalf("keep_running: the application must go on, finishing %+v", am.finishing)
			}
			continue
		}
		if am.finishing == nil || am.finishing.status.String() != "APP_FAILED" || am.finishing.diagnostics != reason {
			t.Fatalf("%q: want the application failed with %q, got %+v", onGiveUp, reason, am.finishing)
		}
	}
}

// The status counts each pool's containers by stage, pending included, and
// shows a ready worker's address.
func TestPoolCounts(t *testing.T) {
	am := testAM(t)
	workers := am.services[1] // desired 3
	st := am.status().Services[1]
	if st.Desired != 3 || st.Pending != 3 || st.Running != 0 || st.Ready != 0 {
		t.Fatalf("before any allocation: %+v", st)
	}
	for i, state := range []string{stateLaunching, stateRunning} {
		id := fmt.Sprintf("container_1_0001_01_00000%d", i+2)
		c := &container{id: id, service: workers, state: state, yarn: &yarnpb.ContainerProto{}}
		workers.live[id], am.containers[id] = c, c
	}
	if err := am.ready(context.Background(), "container_1_0001_01_000003", "tcp://10.0.0.7:40123", ""); err != nil {
		t.Fatal(err)
	}
	full := am.status()
	st = full.Services[1]
	if st.Pending != 1 || st.Running != 1 || st.Ready != 1 || st.Live != 2 {
		t.Fatalf("one pending, one launching, one ready: %+v", st)
	}
	for _, c := range full.Containers {
		if c.ID == "container_1_0001_01_000003" && (c.State != stateReady || c.Address != "tcp://10.0.0.7:40123") {
			t.Fatalf("ready worker: %+v", c)
		}
	}
}

// Scaling down retires workers: they end as "retired", with their exit
// status, and are not failures.
func TestScaleDownRetires(t *testing.T) {
	am := testAM(t)
	nms, err := hadooprpc.NewNodeManagers(conf.New())
	if err != nil {
		t.Fatal(err)
	}
	am.nms = nms
	workers := am.services[1]
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("container_1_0001_01_00000%d", i+2)
		cid, _ := hadooprpc.ParseContainerID(id)
		yc := &yarnpb.ContainerProto{Id: cid, NodeId: &yarnpb.NodeIdProto{Host: proto.String("127.0.0.1"), Port: proto.Int32(1)}}
		c := &container{id: id, service: workers, state: stateReady, yarn: yc, started: time.Now().Add(time.Duration(i) * time.Second)}
		workers.live[id], am.containers[id] = c, c
	}
	if err := am.scale(context.Background(), "worker", 1); err != nil {
		t.Fatal(err)
	}
	st := am.status().Services[1]
	if st.Retiring != 2 || st.Ready != 1 || st.Pending != 0 {
		t.Fatalf("after scale 3→1: %+v", st)
	}
	am.mu.Lock()
	for _, id := range []string{"container_1_0001_01_000003", "container_1_0001_01_000004"} {
		cid, _ := hadooprpc.ParseContainerID(id)
		am.completed(&yarnpb.ContainerStatusProto{ContainerId: cid, ExitStatus: proto.Int32(-105), Diagnostics: proto.String("Container killed by the ApplicationMaster.")})
	}
	am.mu.Unlock()
	full := am.status()
	if st := full.Services[1]; st.Failures != 0 || st.Ready != 1 || st.Retiring != 0 || st.GaveUp {
		t.Fatalf("retired workers counted as failures: %+v", st)
	}
	retired := 0
	for _, c := range full.Containers {
		if c.State == stateRetired && c.ExitStatus != nil && *c.ExitStatus == -105 && c.Ended() {
			retired++
		}
	}
	if retired != 2 {
		t.Fatalf("want 2 retired containers with exit -105, got %+v", full.Containers)
	}
	// A retired container stays retired: a late ready call is refused.
	if err := am.ready(context.Background(), "container_1_0001_01_000004", "tcp://h:1", ""); err == nil || am.containers["container_1_0001_01_000004"].state != stateRetired {
		t.Fatalf("a retired container's late ready call: %v, state %s", err, am.containers["container_1_0001_01_000004"].state)
	}
}

// A worker given a bad argument: dask says why on stderr, then the runtime
// logs that its child exited. The diagnostic starts with dask's words, not
// the runtime's progress line.
func TestDescribeExitSkipsRuntimeProgress(t *testing.T) {
	d := "[2026-12-02 12:56:30.760]Exception from container-launch.\nContainer id: c\nExit code: 2\n\n" +
		"[2026-12-02 12:56:30.761]Container exited with a non-zero exit code 2. Last 4096 bytes of stderr :\n" +
		"time=2026-12-02T12:56:28.472Z level=INFO msg=starting component=spindle-container\n" +
		"Usage: dask worker [OPTIONS] [SCHEDULER] [PRELOAD_ARGV]...\n" +
		"Error: No such option: --no-such-option\n" +
		`time=2026-12-02T12:56:30.747Z level=INFO msg="exiting: child exited on its own" component=spindle-container status="exit status 2" exit_code=2` + "\n" +
		"spindle: container exits with code 2 (see the log lines above)\n"
	got := describeExit(d)
	if !strings.HasPrefix(got, "Error: No such option: --no-such-option (its stderr: ") || !strings.Contains(got, "exiting: child exited on its own") {
		t.Fatalf("describeExit = %q", got)
	}
}
