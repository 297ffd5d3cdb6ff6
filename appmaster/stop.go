package appmaster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// MaxStopDiagnostics bounds a stop's diagnostics (bytes): YARN keeps an
// application's diagnostics in the ResourceManager's memory and state store.
const MaxStopDiagnostics = 16 << 10

// FinalStatuses are the final statuses a stop may ask for (dask-yarn's
// shutdown(status=...)); the first is the default.
var FinalStatuses = []string{"SUCCEEDED", "FAILED", "KILLED"}

// ErrBadStop: a stop's final status or diagnostics are not acceptable.
var ErrBadStop = errors.New("bad stop request")

// ParseFinalStatus is YARN's final status for a stop's final_status ("" is
// SUCCEEDED).
func ParseFinalStatus(s string) (yarnpb.FinalApplicationStatusProto, error) {
	switch s {
	case "", "SUCCEEDED":
		return yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED, nil
	case "FAILED":
		return yarnpb.FinalApplicationStatusProto_APP_FAILED, nil
	case "KILLED":
		return yarnpb.FinalApplicationStatusProto_APP_KILLED, nil
	}
	return 0, fmt.Errorf("%w: final status %q: want one of %s", ErrBadStop, s, strings.Join(FinalStatuses, ", "))
}

// CheckStopDiagnostics refuses diagnostics YARN should not be handed: past
// MaxStopDiagnostics, or not UTF-8 text.
func CheckStopDiagnostics(d string) error {
	if len(d) > MaxStopDiagnostics {
		return fmt.Errorf("%w: diagnostics of %d bytes: at most %d", ErrBadStop, len(d), MaxStopDiagnostics)
	}
	if !utf8.ValidString(d) {
		return fmt.Errorf("%w: diagnostics are not UTF-8 text", ErrBadStop)
	}
	return nil
}

// decodeStop reads a POST /v1/stop body (may be empty: a SUCCEEDED stop).
func decodeStop(body io.Reader) (yarnpb.FinalApplicationStatusProto, string, error) {
	var req StopRequest
	if err := decodeJSON(body, &req, true); err != nil {
		return 0, "", err
	}
	status, err := ParseFinalStatus(req.FinalStatus)
	if err == nil {
		err = CheckStopDiagnostics(req.Diagnostics)
	}
	if err != nil {
		return 0, "", err
	}
	if req.Diagnostics == "" {
		req.Diagnostics = "stopped by the user"
	}
	return status, req.Diagnostics, nil
}

// handleStop ends the application with the final status and diagnostics asked.
func (am *AM) handleStop(w http.ResponseWriter, r *http.Request) {
	status, diag, err := decodeStop(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		badBody(w, err)
		return
	}
	am.endWith(status, diag)
	w.WriteHeader(http.StatusNoContent)
}

// StopWith ends the application with a final status (SUCCEEDED, FAILED or
// KILLED; "" is SUCCEEDED) and diagnostics.
func (c *Client) StopWith(ctx context.Context, finalStatus, diagnostics string) error {
	return c.do(ctx, http.MethodPost, "/v1/stop", StopRequest{FinalStatus: finalStatus, Diagnostics: diagnostics}, nil)
}
