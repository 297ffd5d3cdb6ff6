package appmaster

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
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

// A worker is ready only with the Dask address its scheduler lists, and
// only while that scheduler lives: when the scheduler's container ends,
// every worker is back to running until it reports joining the next one.
func TestWorkersAreReadyOnlyInTheirSchedulersCluster(t *testing.T) {
	am := testAM(t)
	sched, workers := am.services[0], am.services[1]
	cid := func(n int64) *yarnpb.ContainerIdProto {
		return &yarnpb.ContainerIdProto{Id: proto.Int64(n), AppAttemptId: &yarnpb.ApplicationAttemptIdProto{
			ApplicationId: &yarnpb.ApplicationIdProto{Id: proto.Int32(1), ClusterTimestamp: proto.Int64(1)}, AttemptId: proto.Int32(1)}}
	}
	add := func(s *service, n int64) *container {
		c := &container{id: hadooprpc.ContainerID(cid(n)), yarn: &yarnpb.ContainerProto{Id: cid(n)}, service: s, state: stateRunning}
		am.containers[c.id], s.live[c.id] = c, c
		return c
	}
	s, w := add(sched, 1), add(workers, 2)
	ctx := context.Background()
	if err := am.ready(ctx, s.id, "tcp://h:8786", "h:8787"); err != nil {
		t.Fatal(err)
	}
	if err := am.ready(ctx, w.id, "", ""); err == nil || w.state == stateReady {
		t.Fatalf("a worker's ready call without its Dask address: %v, state %s; want refused", err, w.state)
	}
	if err := am.ready(ctx, w.id, "tcp://h:4000", ""); err != nil || w.state != stateReady || w.address != "tcp://h:4000" {
		t.Fatalf("worker ready: %v, state %s, address %q", err, w.state, w.address)
	}
	am.completed(&yarnpb.ContainerStatusProto{ContainerId: cid(1), ExitStatus: proto.Int32(137)})
	if w.state != stateRunning || w.address != "" {
		t.Fatalf("after the scheduler's container ended the worker is %s at %q; want running with no address", w.state, w.address)
	}
	if st := am.status(); st.Services[1].Ready != 0 {
		t.Fatalf("status counts %d ready workers without a scheduler", st.Services[1].Ready)
	}
}
