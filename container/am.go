package container

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// ReadyRequest is the body of POST {AM}/v1/containers/{id}/ready.
type ReadyRequest struct {
	Service          string `json:"service"`
	Role             Role   `json:"role"`
	Address          string `json:"address"`           // tcp://host:port; may be empty for a worker
	DashboardAddress string `json:"dashboard_address"` // host:port; may be empty
}

// ExitedRequest is the body of POST {AM}/v1/containers/{id}/exited: a
// client script ended, with its exit code and the tail of its stderr.
type ExitedRequest struct {
	ExitCode   int    `json:"exit_code"`
	StderrTail string `json:"stderr_tail"`
}

// SchedulerInfo is the answer of GET {AM}/v1/scheduler.
type SchedulerInfo struct {
	Address          string `json:"address"` // "" while no scheduler is known
	DashboardAddress string `json:"dashboard_address"`
	Generation       int64  `json:"generation"`
	// Published: the scheduler file on HDFS holds this address, so
	// `spindle address` and Dask's scheduler_file see it too.
	Published bool `json:"published,omitempty"`
}

// RejectedError is an AM answer that retrying cannot change (a 4xx other
// than 408 and 429), such as 401 for a wrong control secret.
type RejectedError struct {
	Method, URL string
	Status      int
	Body        string
}

func (e *RejectedError) Error() string {
	hint := ""
	if e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden {
		hint = fmt.Sprintf(" (the control secret %q in the container's token file does not match the application master's)", SecretAlias)
	}
	return fmt.Sprintf("application master refused %s %s: HTTP %d %s%s", e.Method, e.URL, e.Status, e.Body, hint)
}

type amClient struct {
	// lastAnswer is when the AM last answered anything (unix nanoseconds):
	// even a refusal shows it is alive.
	lastAnswer atomic.Int64

	base    string
	auth    string
	http    *http.Client
	retry   time.Duration
	timeout time.Duration
}

func newAMClient(cfg *Config) *amClient {
	a := &amClient{
		base:    cfg.AMURL,
		auth:    "Bearer " + hex.EncodeToString(cfg.Secret),
		http:    &http.Client{},
		retry:   cfg.AMRetryFor,
		timeout: cfg.AMCallTimeout,
	}
	a.lastAnswer.Store(time.Now().UnixNano())
	return a
}

// sinceAnswer is how long ago the AM last answered.
func (a *amClient) sinceAnswer() time.Duration {
	return time.Since(time.Unix(0, a.lastAnswer.Load()))
}

// do makes one call; a *RejectedError means do not retry.
func (a *amClient) do(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &RejectedError{Method: method, URL: a.base + path, Body: err.Error()}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return &RejectedError{Method: method, URL: a.base + path, Body: err.Error()}
	}
	req.Header.Set("Authorization", a.auth)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, a.base+path, err)
	}
	defer resp.Body.Close()
	a.lastAnswer.Store(time.Now().UnixNano())
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
	case resp.StatusCode >= 400 && resp.StatusCode < 500 &&
		resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests:
		return &RejectedError{Method: method, URL: a.base + path, Status: resp.StatusCode, Body: string(bytes.TrimSpace(b))}
	default:
		return fmt.Errorf("%s %s: HTTP %d %s", method, a.base+path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, a.base+path, err)
		}
	}
	return nil
}

// retried calls do with exponential backoff until success, a rejection,
// ctx's end or the retry bound.
func (a *amClient) retried(ctx context.Context, method, path string, in, out any) error {
	deadline := time.Now().Add(a.retry)
	delay := 250 * time.Millisecond
	for {
		err := a.do(ctx, method, path, in, out)
		var rej *RejectedError
		if err == nil || errors.As(err, &rej) || ctx.Err() != nil {
			return err
		}
		if time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("application master unreachable for %s: %w", a.retry, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 8*time.Second)
	}
}

func (a *amClient) ready(ctx context.Context, containerID string, r ReadyRequest) error {
	return a.retried(ctx, http.MethodPost, "/v1/containers/"+url.PathEscape(containerID)+"/ready", r, nil)
}

func (a *amClient) exited(ctx context.Context, containerID string, r ExitedRequest) error {
	return a.retried(ctx, http.MethodPost, "/v1/containers/"+url.PathEscape(containerID)+"/exited", r, nil)
}

// scheduler makes one GET /v1/scheduler; polling is its retry.
func (a *amClient) scheduler(ctx context.Context) (SchedulerInfo, error) {
	var info SchedulerInfo
	err := a.do(ctx, http.MethodGet, "/v1/scheduler", nil, &info)
	return info, err
}
