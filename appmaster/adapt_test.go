package appmaster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

// fakeScheduler serves the Dask scheduler's /api/v1/adaptive_target with
// the body in answer.
func fakeScheduler(t *testing.T, answer *atomic.Value) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/api/v1/adaptive_target" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, answer.Load().(string))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// adaptAM is a test AM whose scheduler is a fakeScheduler answering first.
func adaptAM(t *testing.T, first string) (*AM, *atomic.Value) {
	am := testAM(t)
	answer := &atomic.Value{}
	answer.Store(first)
	am.scheduler.Address, am.scheduler.Dashboard = "tcp://h:1", fakeScheduler(t, answer)
	return am, answer
}

// The AM follows the scheduler's recommendation clamped to the bounds: up
// at once, down to the minimum only after adaptDownAfter idle answers; a
// bad answer changes nothing; status shows bounds, recommendation and
// target; a scale by hand turns adaptivity off.
func TestAdaptFollowsTheSchedulerWithinBounds(t *testing.T) {
	ctx := context.Background()
	am, answer := adaptAM(t, `{"workers": 50}`)
	pool := am.services[1]
	if err := am.scale(ctx, "worker", 1); err != nil {
		t.Fatal(err)
	}
	if err := am.setAdaptive(ctx, AdaptRequest{Pool: "worker", Minimum: 1, Maximum: 3}); err != nil {
		t.Fatal(err)
	}
	am.adaptOnce(ctx)
	if pool.desired != 3 {
		t.Fatalf("scheduler wants 50, bounds 1..3: desired %d, want 3", pool.desired)
	}
	a := am.status().Services[1].Adaptive
	if a == nil || *a != (AdaptiveStatus{Minimum: 1, Maximum: 3, Recommended: 50, Target: 3}) {
		t.Fatalf("status adaptive %+v", a)
	}
	answer.Store(`{"workers": 0}`)
	for i := 1; i < adaptDownAfter; i++ {
		am.adaptOnce(ctx)
		if pool.desired != 3 {
			t.Fatalf("after %d idle answers the pool went to %d: it must wait for %d", i, pool.desired, adaptDownAfter)
		}
	}
	am.adaptOnce(ctx)
	if pool.desired != 1 {
		t.Fatalf("idle: desired %d, want the minimum 1", pool.desired)
	}
	for _, bad := range []string{`{"workers": -4}`, `{"workers": 2.5}`, `{}`, `nonsense`} {
		answer.Store(bad)
		for i := 0; i < adaptDownAfter; i++ {
			am.adaptOnce(ctx)
		}
		if pool.desired != 1 {
			t.Fatalf("answer %s moved the pool to %d", bad, pool.desired)
		}
	}
	answer.Store(`{"workers": 1e30}`)
	am.adaptOnce(ctx)
	if pool.desired != 3 {
		t.Fatalf("huge answer: desired %d, want the maximum 3", pool.desired)
	}

	srv := httptest.NewServer(am.controlServer().Handler)
	defer srv.Close()
	c := &Client{Base: srv.URL, Secret: am.secret}
	if err := c.Scale(ctx, "worker", 2); err != nil {
		t.Fatal(err)
	}
	answer.Store(`{"workers": 50}`)
	am.adaptOnce(ctx)
	if pool.desired != 2 || am.status().Services[1].Adaptive != nil {
		t.Fatalf("after scale 2 adaptivity must be off: desired %d, adaptive %+v", pool.desired, am.status().Services[1].Adaptive)
	}
	// Turning it on brings the pool within the bounds at once; off keeps the size.
	if err := c.Adapt(ctx, "worker", 4, 6); err != nil || pool.desired != 4 {
		t.Fatalf("adapt 4..6: %v, desired %d", err, pool.desired)
	}
	if err := c.AdaptOff(ctx, "worker"); err != nil || pool.adapt != nil || pool.desired != 4 {
		t.Fatalf("adapt off: %v, adapt %+v, desired %d", err, pool.adapt, pool.desired)
	}
	if err := c.Adapt(ctx, "nope", 1, 2); err == nil || !strings.Contains(err.Error(), `no worker pool "nope"`) {
		t.Fatalf("unknown pool: %v", err)
	}
}

// A pool that gave up is not grown by adaptivity (that would restart the
// failures it gave up on) until a new adapt tries it again.
func TestAdaptLeavesAGivenUpPool(t *testing.T) {
	ctx := context.Background()
	am, _ := adaptAM(t, `{"workers": 8}`)
	pool := am.services[1]
	if err := am.setAdaptive(ctx, AdaptRequest{Pool: "worker", Minimum: 0, Maximum: 5}); err != nil {
		t.Fatal(err)
	}
	pool.gaveUp, pool.gaveUpReason = true, "gave up"
	am.adaptOnce(ctx)
	if pool.desired != 3 || !pool.gaveUp {
		t.Fatalf("a pool that gave up: desired %d (want 3), gave up %v", pool.desired, pool.gaveUp)
	}
	if err := am.setAdaptive(ctx, AdaptRequest{Pool: "worker", Minimum: 0, Maximum: 5}); err != nil {
		t.Fatal(err)
	}
	am.adaptOnce(ctx)
	if pool.desired != 5 || pool.gaveUp {
		t.Fatalf("adapt again: desired %d (want 5), gave up %v", pool.desired, pool.gaveUp)
	}
}

// With two pools, the adaptive pool's share is the scheduler's total less
// the other pools' ready workers.
func TestAdaptCountsOtherPools(t *testing.T) {
	ctx := context.Background()
	am, _ := adaptAM(t, `{"workers": 5}`)
	other := &service{name: "big", role: "worker", live: map[string]*container{}}
	for i := 0; i < 2; i++ {
		id := fmt.Sprintf("c%d", i)
		other.live[id] = &container{id: id, service: other, state: stateReady}
	}
	am.services = append(am.services, other)
	if err := am.setAdaptive(ctx, AdaptRequest{Pool: "worker", Minimum: 0, Maximum: 10}); err != nil {
		t.Fatal(err)
	}
	am.adaptOnce(ctx)
	if d := am.services[1].desired; d != 3 {
		t.Fatalf("5 wanted, 2 in another pool: desired %d, want 3", d)
	}
}

// POST /v1/adapt refuses, naming the problem, anything but a well-formed
// request within the limits; the pool keeps its size and stays manual.
func TestAdaptRequestBodies(t *testing.T) {
	am := testAM(t)
	h := am.controlServer().Handler
	for _, c := range []struct {
		body string
		code int
		want string
	}{
		{`{"pool":"worker","minimum":1,"maximum":3000000000}`, 400, "maximum: 3000000000 is outside spindle's limits: use 0 to 10000"},
		{`{"pool":"worker","minimum":-1,"maximum":3}`, 400, "minimum: -1 is outside"},
		{`{"pool":"worker","minimum":4,"maximum":3}`, 400, "minimum 4 is above maximum 3"},
		{`{"pool":"worker","minimum":1.5,"maximum":3}`, 400, "not a whole number"},
		{`{"pool":"worker","minimum":1}`, 400, "minimum and maximum are required"},
		{`{"minimum":1,"maximum":2}`, 400, "pool is required"},
		{`{"pool":"worker","off":true,"minimum":1}`, 400, "off takes no minimum"},
		{`{"pool":"worker","minimum":1,"maximum":2,"interval":1}`, 400, "unknown field"},
		{`{"pool":"worker","minimum":1,"maximum":2} {}`, 400, "more than one JSON value"},
		{``, 400, "empty"},
		{`{"pool":"nope","minimum":1,"maximum":2}`, 404, `no worker pool "nope"`},
	} {
		req := httptest.NewRequest(http.MethodPost, "/v1/adapt", strings.NewReader(c.body))
		req.Header.Set("Authorization", bearer(am.secret))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s: %d %q; want %d naming %q", c.body, rec.Code, rec.Body, c.code, c.want)
		}
	}
	if s := am.services[1]; s.desired != 3 || s.adapt != nil {
		t.Fatalf("refused requests changed the pool: desired %d, adapt %+v", s.desired, s.adapt)
	}
}

// FuzzAdaptRequest: a POST /v1/adapt body comes from the network. Whatever
// it holds, the AM answers 204, 400, 404 or 413, never panics, and no pool
// ends up with bounds or a size outside 0..MaxInstances or min > max.
func FuzzAdaptRequest(f *testing.F) {
	for _, s := range []string{
		`{"pool":"worker","minimum":1,"maximum":3}`, `{"pool":"worker","off":true}`, `{"pool":"worker","off":false,"minimum":0,"maximum":0}`,
		`{"pool":"worker","minimum":1,"maximum":3000000000}`, `{"pool":"worker","minimum":5,"maximum":1}`, `{"pool":"worker","minimum":-1,"maximum":1e400}`,
		`{"pool":"worker","minimum":"1","maximum":3}`, `{}`, ``, `null`, `[]`, `{"pool":"nope","minimum":1,"maximum":3}`,
	} {
		f.Add([]byte(s))
	}
	fuzzControlBody(f, "/v1/adapt", func(t *testing.T, am *AM, body []byte) {
		for _, s := range am.services {
			if a := s.adapt; a != nil && (a.min < 0 || a.max > spec.MaxInstances || a.min > a.max || s.desired < a.min || s.desired > a.max) {
				t.Fatalf("body %q left %s adaptive %+v with desired %d", body, s.name, a, s.desired)
			}
		}
		if r, err := decodeAdapt(bytes.NewReader(body)); err == nil && !r.Off && checkAdaptBounds(r.Minimum, r.Maximum) != nil {
			t.Fatalf("body %q decoded to bounds %d..%d", body, r.Minimum, r.Maximum)
		}
	})
}

// liveWorkers gives the AM's worker pool containers in the states given,
// started one second apart in that order (the last is the newest), with
// NodeManagers to stop them through (which fail here: nothing listens).
func liveWorkers(t *testing.T, am *AM, states ...string) []*container {
	t.Helper()
	nms, err := hadooprpc.NewNodeManagers(conf.New())
	if err != nil {
		t.Fatal(err)
	}
	am.nms = nms
	workers := am.services[1]
	var out []*container
	base := time.Now()
	for i, st := range states {
		id := fmt.Sprintf("container_1_0001_01_%06d", i+2)
		cid, _ := hadooprpc.ParseContainerID(id)
		yc := &yarnpb.ContainerProto{Id: cid, NodeId: &yarnpb.NodeIdProto{Host: proto.String("127.0.0.1"), Port: proto.Int32(1)}}
		c := &container{id: id, service: workers, state: st, yarn: yc, started: base.Add(time.Duration(i) * time.Second)}
		workers.live[id], am.containers[id] = c, c
		out = append(out, c)
	}
	return out
}

// retireScheduler is a Dask scheduler's HTTP API for the retire path: its
// workers are named by container id; a retire_workers call is recorded and
// answered with the workers named in retire (its own choice).
type retireScheduler struct {
	mu      sync.Mutex
	workers []string
	retire  []string
	bodies  []string
}

func (f *retireScheduler) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		switch r.URL.Path {
		case "/api/v1/get_workers":
			var ws []map[string]string
			for _, n := range f.workers {
				ws = append(ws, map[string]string{"name": n, "address": "tcp://w/" + n})
			}
			json.NewEncoder(w).Encode(map[string]any{"workers": ws})
		case "/api/v1/retire_workers":
			b, _ := io.ReadAll(r.Body)
			f.bodies = append(f.bodies, string(b))
			out := map[string]any{}
			for _, n := range f.retire {
				out["tcp://w/"+n] = map[string]any{"name": n, "status": "closing_gracefully"}
			}
			json.NewEncoder(w).Encode(out)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// An adaptive scale down stops what is not in the Dask cluster yet first,
// then retires the workers the scheduler chooses (not the AM's newest);
// one the scheduler does not retire (data it could not move) is kept, and
// the pool's size with it.
func TestAdaptDownRetiresTheSchedulersChoice(t *testing.T) {
	am := testAM(t)
	cs := liveWorkers(t, am, stateReady, stateReady, stateReady, stateRunning)
	f := &retireScheduler{workers: []string{cs[0].id, cs[1].id, cs[2].id}, retire: []string{cs[0].id}}
	am.scheduler.Address, am.scheduler.Dashboard = "tcp://h:1", f.serve(t)
	pool := am.services[1]
	pool.desired = 4
	pool.adapt = &adaptive{min: 1, max: 4, recommended: -1}

	if err := am.adaptDown("worker", 1); err != nil {
		t.Fatal(err)
	}
	var st ServiceStatus
	deadline := time.Now().Add(30 * time.Second)
	for {
		am.mu.Lock()
		choosing := pool.adapt.choosing
		am.mu.Unlock()
		st = am.status().Services[1]
		if choosing == 0 && st.Retiring == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for the scheduler's answer to be applied: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.mu.Lock()
	bodies := f.bodies
	f.mu.Unlock()
	// The running container went without asking; the scheduler chose among the ready ones.
	if len(bodies) != 1 || bodies[0] != `{"n":2}` {
		t.Fatalf("retire_workers calls: %q, want one asking the scheduler to choose 2", bodies)
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	if !cs[3].retired || !cs[0].retired || cs[1].retired || cs[2].retired {
		t.Fatalf("retired: running %v, scheduler's choice %v, others %v %v; want the running one and the scheduler's choice only",
			cs[3].retired, cs[0].retired, cs[1].retired, cs[2].retired)
	}
	// It asked for 2 and retired 1: the other stays, and the pool counts it.
	if pool.desired != 2 || st.Ready != 2 {
		t.Fatalf("after a partial retire: desired %d, status %+v; want 2 kept", pool.desired, st)
	}
}

// With another pool's workers in the same scheduler, whose API would choose
// among all of them, the AM names this pool's newest ready workers.
func TestAdaptDownNamesThePoolsWorkersAmongOthers(t *testing.T) {
	am := testAM(t)
	cs := liveWorkers(t, am, stateReady, stateReady)
	f := &retireScheduler{workers: []string{cs[0].id, cs[1].id, "container_1_0001_01_000099"}, retire: []string{cs[1].id}}
	am.scheduler.Address, am.scheduler.Dashboard = "tcp://h:1", f.serve(t)
	am.services[1].desired = 2
	am.services[1].adapt = &adaptive{min: 1, max: 4, recommended: -1}
	names, err := am.schedulerRetires(context.Background(), am.services[1], am.scheduler.Dashboard, 1)
	if err != nil || len(names) != 1 || names[0] != cs[1].id {
		t.Fatalf("retired %v, %v", names, err)
	}
	want := fmt.Sprintf(`{"workers":["tcp://w/%s"]}`, cs[1].id)
	if f.bodies[0] != want {
		t.Fatalf("retire_workers body %s, want %s", f.bodies[0], want)
	}
}
