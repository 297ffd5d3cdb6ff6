package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// A worker is ready when its scheduler lists it, not when its process
// starts: the runtime asks the scheduler's HTTP API (the route
// distributed.http.scheduler.api, which the runtime enables on every
// scheduler; Dask serves it on the dashboard port even without bokeh and
// with --no-dashboard) for its workers and looks for the one named after
// this container (workers run with --name <container id>).

// maxWorkersBody bounds the scheduler's get_workers answer: about 100
// bytes per worker, so 16 MiB is far beyond any real cluster.
const maxWorkersBody = 16 << 20

// maxDaskAddress bounds a worker address taken from the scheduler's answer
// before it is passed on to the AM.
const maxDaskAddress = 512

// errNotListed: the scheduler answered and does not list this worker (yet).
var errNotListed = errors.New("the scheduler does not list this worker")

// ParseWorkers finds the Dask address of the worker called name in the
// body of the scheduler's GET /api/v1/get_workers, which is
// {"num_workers": n, "workers": [{"name": ..., "address": "tcp://h:p"}]}
// (distributed 2026.8). Names may be numbers or strings; they are compared
// as text. It wraps errNotListed when the worker is absent.
func ParseWorkers(body []byte, name string) (string, error) {
	var ws struct {
		Workers []struct {
			Name    json.RawMessage `json:"name"`
			Address string          `json:"address"`
		} `json:"workers"`
	}
	if err := json.Unmarshal(body, &ws); err != nil {
		return "", fmt.Errorf("the scheduler's worker list is not the expected JSON: %w", err)
	}
	for _, w := range ws.Workers {
		if workerName(w.Name) != name {
			continue
		}
		if err := checkDaskAddress(w.Address); err != nil {
			return "", fmt.Errorf("the scheduler lists worker %q with a bad address: %w", name, err)
		}
		return w.Address, nil
	}
	return "", fmt.Errorf("%w (%d workers listed)", errNotListed, len(ws.Workers))
}

// workerName is a JSON name as text: a string's value, else the JSON itself
// (a number such as 3).
func workerName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// checkDaskAddress accepts what Dask prints as a worker address:
// scheme://host:port, such as tcp://10.0.0.5:38541 or tls://[::1]:9000.
func checkDaskAddress(a string) error {
	scheme, hostport, ok := strings.Cut(a, "://")
	switch {
	case len(a) > maxDaskAddress:
		return fmt.Errorf("%d bytes long, more than %d", len(a), maxDaskAddress)
	case !ok || scheme == "" || strings.ContainsFunc(scheme, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }):
		return fmt.Errorf("%q is not scheme://host:port", a)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" || port == "" || strings.ContainsAny(hostport, " \t\r\n/") {
		return fmt.Errorf("%q is not scheme://host:port", a)
	}
	return nil
}

// listedAddress asks the scheduler whose HTTP server is at dashboard
// (host:port) for this worker's Dask address.
func (r *runtime) listedAddress(ctx context.Context, dashboard string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.AMCallTimeout)
	defer cancel()
	url := "http://" + dashboard + "/api/v1/get_workers"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("scheduler HTTP address %q: %w", dashboard, err)
	}
	resp, err := r.am.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("ask the scheduler for its workers: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxWorkersBody+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("read the scheduler's worker list from %s: %w", url, err)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("GET %s: %s (is the route distributed.http.scheduler.api enabled?)", url, resp.Status)
	case len(b) > maxWorkersBody:
		return "", fmt.Errorf("GET %s: answer larger than %d bytes", url, maxWorkersBody)
	}
	return ParseWorkers(b, r.cfg.ContainerID)
}

// waitJoined returns this worker's Dask address once the scheduler at
// schedAddr lists it. It polls (every 0.2 s, slowing to 2 s) until ctx
// ends, that is until the worker process exits or is restarted: a worker
// that never joins stays not ready, and the log says why every
// ReadyTimeout.
func (r *runtime) waitJoined(ctx context.Context, schedAddr string) (string, error) {
	start := time.Now()
	lastWarn := start
	delay := 200 * time.Millisecond
	for {
		var err error
		info, known := r.latest()
		switch {
		case !known:
			err = errors.New("the application master has not said where the scheduler is yet")
		case info.Address != schedAddr:
			err = fmt.Errorf("the application master reports the scheduler at %q, not %s", info.Address, schedAddr)
		case info.DashboardAddress == "":
			err = fmt.Errorf("the application master knows no HTTP address for the scheduler at %s", schedAddr)
		default:
			var addr string
			if addr, err = r.listedAddress(ctx, info.DashboardAddress); err == nil {
				r.log.Info("the scheduler lists the worker", "scheduler", schedAddr, "worker_address", addr, "after", time.Since(start).Round(time.Millisecond))
				return addr, nil
			}
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if now := time.Now(); now.Sub(lastWarn) >= r.cfg.ReadyTimeout {
			lastWarn = now
			r.log.Warn("the worker has not joined its scheduler yet; not reporting it ready", "scheduler", schedAddr, "waited", now.Sub(start).Round(time.Second), "last", err)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*3/2, 2*time.Second)
	}
}
