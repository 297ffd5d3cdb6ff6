package appmaster

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/spindle-yarn/spindle/spec"
)

// FuzzScaleRequest: a POST /v1/scale body comes from the network. Whatever
// it holds, the AM answers 204, 400, 404 or 413, never panics, and no pool
// is left wanting, nor asks the ResourceManager for, a count outside
// 0..MaxInstances.
func FuzzScaleRequest(f *testing.F) {
	for _, s := range []string{
		`{"pool":"worker","instances":3}`, `{"pool":"worker","instances":3000000000}`, `{"pool":"worker","instances":1e12}`,
		`{"pool":"worker","instances":-1}`, `{"pool":"worker","instances":2.5}`, `{"pool":"worker","instances":"7"}`,
		`{"pool":"worker","instances":0}`, `{"pool":"nope","instances":1}`, `{"pool":"worker"}`, `{}`, ``, `null`, `[]`,
		`{"pool":"worker","instances":1,"x":1}`, `{"pool":"worker","instances":1} {}`, `{"pool":"worker","instances":1e400}`,
	} {
		f.Add([]byte(s))
	}
	fuzzControlBody(f, "/v1/scale", func(t *testing.T, am *AM, body []byte) {
		for _, s := range am.services {
			if n := am.ask(s).GetNumContainers(); n < 0 || n > spec.MaxInstances {
				t.Fatalf("body %q: ask %d for %s", body, n, s.name)
			}
		}
		if r, err := decodeScale(bytes.NewReader(body)); err == nil && (r.Instances < 0 || r.Instances > spec.MaxInstances) {
			t.Fatalf("body %q decoded to %d instances", body, r.Instances)
		}
	})
}

// fuzzControlBody posts each fuzzed body to the control API's path: the AM
// answers 204, 400, 404 or 413, never panics, and leaves no pool wanting a
// count outside 0..MaxInstances; check adds the endpoint's own invariants.
func fuzzControlBody(f *testing.F, path string, check func(t *testing.T, am *AM, body []byte)) {
	am := testAM(f)
	am.scheduler.Address = "tcp://h:1"
	h := am.controlServer().Handler
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Authorization", bearer(am.secret))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusNoContent, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
		for _, s := range am.services {
			if s.desired < 0 || s.desired > spec.MaxInstances {
				t.Fatalf("body %q left %s wanting %d", body, s.name, s.desired)
			}
		}
		check(t, am, body)
	})
}
