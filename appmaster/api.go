package appmaster

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/spec"
	"io"
	"net/http"
	"strings"
	"time"
)

// The control API: HTTP+JSON on the host and port the AM registered with
// the RM (ApplicationReport host and rpc_port). Every call carries
// "Authorization: Bearer <hex secret>"; the secret is the application's,
// generated at submit.

// Status is GET /v1/status.
type Status struct {
	AppID       string            `json:"app_id"`
	State       string            `json:"state"` // running, finishing
	Scheduler   SchedulerStatus   `json:"scheduler"`
	Services    []ServiceStatus   `json:"services"`
	Containers  []ContainerStatus `json:"containers"`
	Diagnostics []string          `json:"diagnostics,omitempty"`
}

// SchedulerStatus is GET /v1/scheduler: where the Dask scheduler is now.
// Generation grows each time the scheduler moves. The runtime polls it, so
// its package owns the type.
type SchedulerStatus = rt.SchedulerInfo

// ServiceStatus is one service (the scheduler or a worker pool) and how
// many of its containers are in each stage. `spindle status --json` prints
// it as it is (documented in the README): keys are added, never renamed.
type ServiceStatus struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Desired int    `json:"desired"`
	// Pending are wanted but not allocated: asked of YARN, or waiting for
	// the scheduler's address (workers); 0 once given up.
	Pending int `json:"pending"`
	// Running are held but not ready yet (allocated, launching, started).
	Running int `json:"running"`
	Ready   int `json:"ready"`
	// Retiring are being stopped by a scale down.
	Retiring int `json:"retiring"`
	// Live is every container held: Running + Ready + Retiring.
	Live     int  `json:"live"`
	Failures int  `json:"failures"`
	GaveUp   bool `json:"gave_up"`
	// GaveUpReason names the limit and the last failures' exit statuses.
	GaveUpReason string `json:"gave_up_reason"`
	// OnGiveUp is the pool's on_give_up ("" for the scheduler).
	OnGiveUp string `json:"on_give_up"`
	// Adaptive is the pool's adaptive scaling; absent when off.
	Adaptive *AdaptiveStatus `json:"adaptive,omitempty"`
}

// ContainerStatus is one container, live or completed.
type ContainerStatus struct {
	ID          string    `json:"id"`
	Service     string    `json:"service"`
	State       string    `json:"state"`
	Node        string    `json:"node"`
	NodeHTTP    string    `json:"node_http_address"`
	Address     string    `json:"address,omitempty"`
	Started     time.Time `json:"started"`
	ExitStatus  *int32    `json:"exit_status,omitempty"`
	Diagnostics string    `json:"diagnostics,omitempty"`
}

// Ended reports whether the container has finished: completed, or retired
// on purpose by a scale down.
func (c ContainerStatus) Ended() bool { return ended(c.State) }

// ReadyRequest is POST /v1/containers/{id}/ready, from the runtime.
type ReadyRequest = rt.ReadyRequest

// ExitedRequest is POST /v1/containers/{id}/exited, from a client's runtime.
type ExitedRequest = rt.ExitedRequest

// ScaleRequest is POST /v1/scale.
type ScaleRequest struct {
	Pool      string `json:"pool"`
	Instances int    `json:"instances"`
}

// StopRequest is POST /v1/stop: a graceful end, with final status
// SUCCEEDED unless FinalStatus says FAILED or KILLED (stop.go).
type StopRequest struct {
	Diagnostics string `json:"diagnostics"`
	FinalStatus string `json:"final_status,omitempty"`
}

// ErrUnauthorized: the AM refused the secret.
var ErrUnauthorized = errors.New("the application master refused the control secret")

// ErrNotFound: the pool or container named does not exist.
var ErrNotFound = errNotFound

// Client calls an AM's control API.
type Client struct {
	Base   string // http://host:port
	Secret []byte
	HTTP   *http.Client
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.Base, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", bearer(c.Secret))
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("application master %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrNotFound, strings.TrimSpace(string(b)))
	case resp.StatusCode >= 300:
		return fmt.Errorf("application master %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("application master %s %s: bad reply: %w", method, path, err)
		}
	}
	return nil
}

// Status returns the AM's view of the application.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
}

// Scheduler returns where the scheduler is.
func (c *Client) Scheduler(ctx context.Context) (*SchedulerStatus, error) {
	var s SchedulerStatus
	return &s, c.do(ctx, http.MethodGet, "/v1/scheduler", nil, &s)
}

// Scale sets a worker pool's size.
func (c *Client) Scale(ctx context.Context, pool string, n int) error {
	return c.do(ctx, http.MethodPost, "/v1/scale", ScaleRequest{Pool: pool, Instances: n}, nil)
}

// Kill stops one container; its service replaces it.
func (c *Client) Kill(ctx context.Context, containerID string) error {
	return c.do(ctx, http.MethodPost, "/v1/containers/"+containerID+"/kill", nil, nil)
}

// Stop ends the application gracefully (final status SUCCEEDED).
func (c *Client) Stop(ctx context.Context, diagnostics string) error {
	return c.do(ctx, http.MethodPost, "/v1/stop", StopRequest{Diagnostics: diagnostics}, nil)
}

// controlServer serves the control API.
func (am *AM) controlServer() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { reply(w, am.status()) })
	mux.HandleFunc("GET /v1/scheduler", func(w http.ResponseWriter, r *http.Request) {
		am.mu.Lock()
		s := am.scheduler.status()
		am.mu.Unlock()
		reply(w, s)
	})
	// The containers' delegation tokens, refreshed by a keytab login: each
	// container's runtime polls this and rewrites its token file.
	mux.HandleFunc("GET /v1/tokens", func(w http.ResponseWriter, r *http.Request) {
		creds, serial := am.tokens.Container(am.secret)
		reply(w, rt.TokensReply{Serial: serial, Credentials: creds.ContainerTokens()})
	})
	mux.HandleFunc("POST /v1/containers/{id}/ready", func(w http.ResponseWriter, r *http.Request) {
		var req ReadyRequest
		if !decode(w, r, &req) {
			return
		}
		if err := am.ready(r.Context(), r.PathValue("id"), req.Address, req.DashboardAddress); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /v1/containers/{id}/exited", func(w http.ResponseWriter, r *http.Request) {
		var req ExitedRequest
		if !decode(w, r, &req) {
			return
		}
		answer(w, am.clientExited(r.PathValue("id"), req))
	})
	mux.HandleFunc("POST /v1/containers/{id}/kill", func(w http.ResponseWriter, r *http.Request) {
		answer(w, am.kill(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("POST /v1/scale", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeScale(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			badBody(w, err)
			return
		}
		// A size set by hand ends adaptive scaling, as in Dask.
		am.adaptOff(req.Pool)
		answer(w, am.scale(r.Context(), req.Pool, req.Instances))
	})
	mux.HandleFunc("POST /v1/adapt", func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeAdapt(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			badBody(w, err)
			return
		}
		answer(w, am.setAdaptive(r.Context(), req))
	})
	mux.HandleFunc("POST /v1/stop", am.handleStop)
	want := []byte(bearer(am.secret))
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			http.Error(w, "missing or wrong control secret", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
	return &http.Server{Handler: auth, ReadHeaderTimeout: 10 * time.Second}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func answer(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, errNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	default:
		http.Error(w, err.Error(), http.StatusBadRequest)
	}
}

// maxRequestBody bounds every request body: each is a few dozen bytes.
const maxRequestBody = 64 << 10

// decode reads a request body that may be empty.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, maxRequestBody), v, true); err != nil {
		badBody(w, err)
		return false
	}
	return true
}

// decodeJSON reads one JSON value strictly: unknown fields, or anything
// after the value, are errors; so is an empty body unless emptyOK.
func decodeJSON(r io.Reader, v any, emptyOK bool) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if err == io.EOF && emptyOK {
			return nil
		}
		if err == io.EOF {
			return errors.New("the body is empty: send a JSON object")
		}
		return err
	}
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return nil
	case err != nil:
		return fmt.Errorf("after the JSON value: %w", err)
	}
	return errors.New("more than one JSON value in the body")
}

// decodeScale reads a POST /v1/scale body: pool and instances, both
// required (an omitted count must not read as 0 and retire every worker),
// instances a whole number within spec.MaxInstances (3000000000 once
// reached the ResourceManager as a negative int32 and blocked the queue).
func decodeScale(body io.Reader) (ScaleRequest, error) {
	var raw struct {
		Pool      *string      `json:"pool"`
		Instances *json.Number `json:"instances"`
	}
	if err := decodeJSON(body, &raw, false); err != nil {
		return ScaleRequest{}, err
	}
	if raw.Pool == nil || raw.Instances == nil {
		return ScaleRequest{}, errors.New(`pool and instances are required: {"pool": "worker", "instances": 3}`)
	}
	n, err := spec.ParseWhole(raw.Instances.String())
	if err == nil {
		err = spec.CheckInstances("instances", n)
	}
	if err != nil {
		return ScaleRequest{}, fmt.Errorf("instances: %w", err)
	}
	return ScaleRequest{Pool: *raw.Pool, Instances: int(n)}, nil
}

// badBody answers 413 for a body past maxRequestBody, else 400.
func badBody(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, fmt.Sprintf("request body larger than %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
		return
	}
	http.Error(w, "bad request body: "+err.Error(), http.StatusBadRequest)
}

// status is the AM's view for GET /v1/status.
func (am *AM) status() Status {
	am.mu.Lock()
	defer am.mu.Unlock()
	st := Status{AppID: am.plan.AppID, State: "running",
		Scheduler:   am.scheduler.status(),
		Diagnostics: append([]string(nil), am.diagnostics...)}
	if am.finishing != nil {
		st.State = "finishing"
	}
	for _, s := range am.services {
		ss := ServiceStatus{Name: s.name, Role: s.role, Desired: s.desired, Live: len(s.live), Failures: s.failures,
			GaveUp: s.gaveUp, GaveUpReason: s.gaveUpReason}
		if s.pool != nil {
			ss.OnGiveUp = s.pool.OnGiveUp
		}
		if s.adapt != nil {
			ss.Adaptive = s.adapt.status()
		}
		if !s.gaveUp && s.desired > len(s.live) {
			ss.Pending = s.desired - len(s.live)
		}
		for _, c := range s.live {
			switch {
			case c.retired:
				ss.Retiring++
			case c.state == stateReady:
				ss.Ready++
			default:
				ss.Running++
			}
		}
		st.Services = append(st.Services, ss)
	}
	for _, c := range am.containers {
		cs := ContainerStatus{ID: c.id, Service: c.service.name, State: c.state, Node: hadoopNode(c), NodeHTTP: c.yarn.GetNodeHttpAddress(),
			Address: c.address, Started: c.started, Diagnostics: c.diagnostics}
		if ended(c.state) {
			e := c.exitStatus
			cs.ExitStatus = &e
		}
		st.Containers = append(st.Containers, cs)
	}
	sortContainers(st.Containers)
	return st
}

// Secret hex-decodes a control secret as stored by the client.
func Secret(hexText string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(hexText))
	if err != nil || len(b) < 16 {
		return nil, errors.New("the control secret must be at least 16 bytes, hex-encoded")
	}
	return b, nil
}
