package appmaster

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/spec"
)

// Whatever the AM's state, an ask's count is 0..MaxInstances: a desired
// count past int32 was sent wrapped negative, and the ResourceManager then
// allocated nothing more to anyone in the queue.
func TestAskNeverWraps(t *testing.T) {
	am := testAM(t)
	workers := am.services[1]
	am.scheduler.Address = "tcp://h:1"
	for _, desired := range []int{math.MaxInt32 + 1, math.MaxInt32 + 5, 1 << 40, math.MaxInt, spec.MaxInstances + 1} {
		workers.desired = desired
		if got := am.ask(workers).GetNumContainers(); got != spec.MaxInstances {
			t.Errorf("desired %d: ask %d, want %d", desired, got, spec.MaxInstances)
		}
	}
	workers.desired = math.MinInt
	if got := am.ask(workers).GetNumContainers(); got != 0 {
		t.Errorf("desired MinInt: ask %d, want 0", got)
	}
	workers.desired = 2
	workers.spec.Resources.VCores = 1<<32 + 1
	workers.spec.Resources.Memory = math.MaxInt64
	c := am.ask(workers).GetCapability()
	if c.GetVirtualCores() != spec.MaxVCores || c.GetMemory() != spec.MaxMemoryMiB {
		t.Errorf("capability of an impossible spec: %d vcores, %d MiB; want %d and %d", c.GetVirtualCores(), c.GetMemory(), spec.MaxVCores, spec.MaxMemoryMiB)
	}
}

// POST /v1/scale refuses, with the limit named, what the CLI would refuse,
// and any body that is not exactly a scale request; the pool keeps its size.
func TestScaleRequestBodies(t *testing.T) {
	am := testAM(t)
	srv := httptest.NewServer(am.controlServer().Handler)
	defer srv.Close()
	post := func(body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/scale", strings.NewReader(body))
		req.Header.Set("Authorization", bearer(am.secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, c := range []struct {
		body string
		code int
		want string
	}{
		{`{"pool":"worker","instances":3000000000}`, 400, "instances: 3000000000 is outside spindle's limits: use 0 to 10000"},
		{`{"pool":"worker","instances":2147483648}`, 400, "use 0 to 10000"},
		{`{"pool":"worker","instances":1e12}`, 400, "use 0 to 10000"},
		{`{"pool":"worker","instances":1e400}`, 400, "far outside spindle's limits"},
		{`{"pool":"worker","instances":-1}`, 400, "use 0 to 10000"},
		{`{"pool":"worker","instances":2.5}`, 400, "not a whole number"},
		{`{"pool":"worker"}`, 400, "pool and instances are required"},
		{`{"instances":1}`, 400, "pool and instances are required"},
		{``, 400, "empty"},
		{`null`, 400, "required"},
		{`{"pool":"worker","instances":1,"force":true}`, 400, "unknown field"},
		{`{"pool":"worker","instances":1}{"pool":"worker","instances":0}`, 400, "more than one JSON value"},
		{`{"pool":"worker","instances":1,"pad":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "larger than 65536 bytes"},
	} {
		code, msg := post(c.body)
		if code != c.code || !strings.Contains(msg, c.want) {
			t.Errorf("%.80s: %d %q; want %d naming %q", c.body, code, msg, c.code, c.want)
		}
	}
	if d := am.services[1].desired; d != 3 {
		t.Fatalf("refused requests changed the pool to %d, want 3", d)
	}
	if code, msg := post(`{"pool":"worker","instances":10000}`); code != http.StatusNoContent || am.services[1].desired != 10000 {
		t.Fatalf("scale to the limit: %d %q, desired %d", code, msg, am.services[1].desired)
	}
	// The Go client names the limit too, and the AM refuses past it.
	c := &Client{Base: srv.URL, Secret: am.secret}
	if err := c.Scale(context.Background(), "worker", 3_000_000_000); err == nil || !strings.Contains(err.Error(), "use 0 to 10000") {
		t.Fatalf("client scale 3e9: %v", err)
	}
	if err := am.scale(context.Background(), "worker", math.MaxInt32+1); !errors.Is(err, spec.ErrLimit) {
		t.Fatalf("am.scale past the limit: %v", err)
	}
}
