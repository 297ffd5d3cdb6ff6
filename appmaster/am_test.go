package appmaster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

func testAM(t testing.TB) *AM {
	t.Helper()
	sp := spec.Default()
	sp.Workers[0].Instances = 3
	sp.Workers[0].Resources.GPUs = 1
	sp.Workers[0].DaskResources = map[string]float64{"GPU": 1}
	log := logrus.New()
	log.SetOutput(io.Discard)
	return New(Config{Plan: &Plan{AppID: "application_1_0001", Spec: sp}, Secret: []byte("0123456789abcdef0123456789abcdef"), Host: "h", Log: log})
}

// Workers are asked for only once the scheduler's address is known, and
// every ask is an absolute total keyed by its service's allocation id.
func TestAsksWaitForTheScheduler(t *testing.T) {
	am := testAM(t)
	sched, workers := am.services[0], am.services[1]
	if got := am.ask(sched).GetNumContainers(); got != 1 {
		t.Fatalf("scheduler ask = %d, want 1", got)
	}
	if got := am.ask(workers).GetNumContainers(); got != 0 {
		t.Fatalf("workers asked for before the scheduler is up: %d", got)
	}
	am.scheduler.Address = "tcp://h:1"
	a := am.ask(workers)
	if a.GetNumContainers() != 3 || a.GetAllocationRequestId() != workers.reqID || a.GetCapability().GetMemory() != 1024 {
		t.Fatalf("worker ask: %v", a)
	}
	if rv := a.GetCapability().GetResourceValueMap(); len(rv) != 1 || rv[0].GetKey() != spec.GPUResource || rv[0].GetValue() != 1 {
		t.Fatalf("GPU not in the ask: %v", rv)
	}
	workers.live["c1"] = &container{id: "c1", service: workers}
	if got := am.ask(workers).GetNumContainers(); got != 2 {
		t.Fatalf("ask with one live worker = %d, want 2 (absolute)", got)
	}
}

// A scheduler failing past max_restarts ends the application FAILED with
// the reason; a worker pool past its limit stops being replaced.
func TestRestartLimits(t *testing.T) {
	am := testAM(t)
	sched, workers := am.services[0], am.services[1]
	*workers.spec.MaxRestarts = 1
	workers.pool.OnGiveUp = spec.OnGiveUpKeepRunning
	for i := 0; i < 2; i++ {
		am.fail(&container{id: "w", service: workers}, "1", "exit 1")
	}
	if !workers.gaveUp || am.finishing != nil {
		t.Fatalf("worker pool: gaveUp %v, finishing %v", workers.gaveUp, am.finishing)
	}
	for i := 0; i <= sched.maxRestarts(); i++ {
		am.fail(&container{id: "s", service: sched}, "2", "exit 2: boom")
	}
	if am.finishing == nil || !strings.Contains(am.finishing.diagnostics, "boom") {
		t.Fatalf("scheduler past its restarts must fail the app with the reason, got %+v", am.finishing)
	}
}

func TestControlAPIRefusesWithoutSecret(t *testing.T) {
	am := testAM(t)
	srv := httptest.NewServer(am.controlServer().Handler)
	defer srv.Close()
	ctx := context.Background()
	for _, secret := range [][]byte{nil, []byte("wrong-secret-wrong-secret-wrong!")} {
		c := &Client{Base: srv.URL, Secret: secret}
		if _, err := c.Status(ctx); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("secret %q: %v, want ErrUnauthorized", secret, err)
		}
	}
	c := &Client{Base: srv.URL, Secret: am.secret}
	st, err := c.Status(ctx)
	if err != nil || st.AppID != "application_1_0001" || len(st.Services) != 2 {
		t.Fatalf("status with the secret: %+v, %v", st, err)
	}
	if err := c.Scale(ctx, "nope", 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("scale of an unknown pool: %v", err)
	}
	if err := c.Kill(ctx, "container_1_0001_01_000009"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("kill of an unknown container: %v", err)
	}
	if err := c.Stop(ctx, ""); err != nil || am.finishing == nil || am.finishing.diagnostics != "stopped by the user" {
		t.Fatalf("stop: %v %+v", err, am.finishing)
	}
}

func TestResourceProto(t *testing.T) {
	lr, err := Resource{URL: "hdfs://nn:8020/user/a/spindle", Size: 10, Timestamp: 42, Visibility: "PRIVATE"}.Proto()
	if err != nil || lr.GetResource().GetHost() != "nn" || lr.GetResource().GetPort() != 8020 || lr.GetResource().GetFile() != "/user/a/spindle" ||
		lr.GetTimestamp() != 42 || lr.GetVisibility().String() != "PRIVATE" || lr.GetType().String() != "FILE" {
		t.Fatalf("proto: %v %v", lr, err)
	}
	if _, err := (Resource{URL: "/no/scheme"}).Proto(); err == nil {
		t.Fatal("a resource without a scheme must be refused")
	}
}

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
}
