package appmaster

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// POST /v1/stop ends the application with the final status and diagnostics
// asked for (shutdown(status, diagnostics) in dask_spindle); a status YARN
// would not take, or diagnostics past the bound, are refused with 400 and
// end nothing.
func TestStopFinalStatusAndDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		body   string
		code   int
		status yarnpb.FinalApplicationStatusProto
		diag   string
	}{
		{``, http.StatusNoContent, yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED, "stopped by the user"},
		{`{"diagnostics":"done"}`, http.StatusNoContent, yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED, "done"},
		{`{"final_status":"FAILED","diagnostics":"bad input"}`, http.StatusNoContent, yarnpb.FinalApplicationStatusProto_APP_FAILED, "bad input"},
		{`{"final_status":"KILLED"}`, http.StatusNoContent, yarnpb.FinalApplicationStatusProto_APP_KILLED, "stopped by the user"},
		{`{"final_status":"failed"}`, http.StatusBadRequest, 0, ""},
		{`{"final_status":"UNDEFINED"}`, http.StatusBadRequest, 0, ""},
		{`{"final_status":"ENDED"}`, http.StatusBadRequest, 0, ""},
		{`{"diagnostics":"` + strings.Repeat("x", MaxStopDiagnostics+1) + `"}`, http.StatusBadRequest, 0, ""},
		{`{"final_status":1}`, http.StatusBadRequest, 0, ""},
	} {
		am := testAM(t)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/v1/stop", strings.NewReader(tc.body))
		req.Header.Set("Authorization", bearer(am.secret))
		am.controlServer().Handler.ServeHTTP(rec, req)
		name := tc.body
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		if rec.Code != tc.code {
			t.Errorf("%s: status %d, want %d: %s", name, rec.Code, tc.code, rec.Body)
			continue
		}
		if tc.code != http.StatusNoContent {
			if am.finishing != nil {
				t.Errorf("%s: refused, yet the application is finishing: %+v", name, am.finishing)
			}
			continue
		}
		if am.finishing == nil || am.finishing.status != tc.status || am.finishing.diagnostics != tc.diag {
			t.Errorf("%s: finishing %+v, want %v %q", name, am.finishing, tc.status, tc.diag)
		}
	}
	if _, err := ParseFinalStatus("DONE"); !errors.Is(err, ErrBadStop) || !strings.Contains(err.Error(), "SUCCEEDED, FAILED, KILLED") {
		t.Errorf("ParseFinalStatus(DONE): %v", err)
	}
}

// FuzzStopRequest: a POST /v1/stop body comes from the network. The AM
// answers 204 or 400/413, never panics, and a stop it accepts asks YARN for
// SUCCEEDED, FAILED or KILLED with diagnostics within the bound.
func FuzzStopRequest(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"final_status":"FAILED","diagnostics":"x"}`, `{"final_status":"KILLED"}`,
		`{"final_status":"nope"}`, `{"diagnostics":1}`, `{"x":1}`, `null`, `{} {}`} {
		f.Add([]byte(s))
	}
	fuzzControlBody(f, "/v1/stop", func(t *testing.T, am *AM, body []byte) {
		status, diag, err := decodeStop(bytes.NewReader(body))
		if err != nil {
			return
		}
		switch status {
		case yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED, yarnpb.FinalApplicationStatusProto_APP_FAILED, yarnpb.FinalApplicationStatusProto_APP_KILLED:
		default:
			t.Fatalf("body %q decoded to final status %v", body, status)
		}
		if len(diag) > MaxStopDiagnostics {
			t.Fatalf("body %q decoded to %d bytes of diagnostics", body, len(diag))
		}
	})
}
