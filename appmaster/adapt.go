package appmaster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/spec"
)

// Adaptive scaling lives in the AM, so it goes on after the client that
// asked for it disconnects. Every adaptInterval the AM asks the Dask
// scheduler's HTTP API (GET /api/v1/adaptive_target, the number Dask's own
// Adaptive follows) how many workers it wants, clamps that to the pool's
// [minimum, maximum] and scales: up at once, down only after the scheduler
// recommended fewer workers adaptDownAfter times in a row (as Dask's
// Adaptive waits, so a pause between two computations does not retire
// workers). Scaling down (adaptDown) stops containers not yet in the Dask
// cluster first, then lets the scheduler choose which workers to retire
// (its workers_to_close, through POST /api/v1/retire_workers): it moves
// their data to the others first, and a worker whose data it could not move
// is kept.
const (
	adaptInterval  = 5 * time.Second
	adaptDownAfter = 3
	// retireTimeout bounds one retire call: the scheduler answers once the
	// retired workers' data has moved.
	retireTimeout = 10 * time.Minute
)

// adaptive is a pool's adaptive state; nil when it is off.
type adaptive struct {
	min, max int
	// recommended is the scheduler's last answer for this pool (-1: none yet).
	recommended int
	// lower counts consecutive recommendations below the pool's size.
	lower int
	// choosing counts ready workers the scheduler is being asked to retire.
	choosing int
}

// AdaptiveStatus is a pool's adaptive scaling in GET /v1/status.
type AdaptiveStatus struct {
	Minimum int `json:"minimum"`
	Maximum int `json:"maximum"`
	// Recommended is the Dask scheduler's last recommendation for the pool,
	// before clamping; -1 until it answered.
	Recommended int `json:"recommended"`
	// Target is the pool size adaptivity is heading to: the recommendation
	// clamped to [minimum, maximum].
	Target int `json:"target"`
}

// AdaptRequest is POST /v1/adapt: turn a pool's adaptive scaling on within
// [minimum, maximum], or off with {"pool": ..., "off": true}.
type AdaptRequest struct {
	Pool    string `json:"pool"`
	Minimum int    `json:"minimum"`
	Maximum int    `json:"maximum"`
	Off     bool   `json:"off,omitempty"`
}

// Adapt hands a pool's size to the AM's adaptive scaling within [min, max].
func (c *Client) Adapt(ctx context.Context, pool string, minimum, maximum int) error {
	return c.do(ctx, http.MethodPost, "/v1/adapt", AdaptRequest{Pool: pool, Minimum: minimum, Maximum: maximum}, nil)
}

// AdaptOff turns a pool's adaptive scaling off; the pool keeps its size.
func (c *Client) AdaptOff(ctx context.Context, pool string) error {
	return c.do(ctx, http.MethodPost, "/v1/adapt", map[string]any{"pool": pool, "off": true}, nil)
}

// decodeAdapt reads a POST /v1/adapt body strictly: pool, and either
// off: true alone or both minimum and maximum, whole numbers within
// spec.MaxInstances with minimum <= maximum.
func decodeAdapt(body io.Reader) (AdaptRequest, error) {
	var raw struct {
		Pool    *string      `json:"pool"`
		Minimum *json.Number `json:"minimum"`
		Maximum *json.Number `json:"maximum"`
		Off     *bool        `json:"off"`
	}
	if err := decodeJSON(body, &raw, false); err != nil {
		return AdaptRequest{}, err
	}
	const usage = `{"pool": "worker", "minimum": 1, "maximum": 10} or {"pool": "worker", "off": true}`
	if raw.Pool == nil {
		return AdaptRequest{}, errors.New("pool is required: " + usage)
	}
	if raw.Off != nil && *raw.Off {
		if raw.Minimum != nil || raw.Maximum != nil {
			return AdaptRequest{}, errors.New("off takes no minimum or maximum: " + usage)
		}
		return AdaptRequest{Pool: *raw.Pool, Off: true}, nil
	}
	if raw.Minimum == nil || raw.Maximum == nil {
		return AdaptRequest{}, errors.New("minimum and maximum are required: " + usage)
	}
	var bounds [2]int
	for i, f := range []struct {
		key string
		v   *json.Number
	}{{"minimum", raw.Minimum}, {"maximum", raw.Maximum}} {
		n, err := spec.ParseWhole(f.v.String())
		if err == nil {
			err = spec.CheckInstances(f.key, n)
		}
		if err != nil {
			return AdaptRequest{}, fmt.Errorf("%s: %w", f.key, err)
		}
		bounds[i] = int(n)
	}
	if err := checkAdaptBounds(bounds[0], bounds[1]); err != nil {
		return AdaptRequest{}, err
	}
	return AdaptRequest{Pool: *raw.Pool, Minimum: bounds[0], Maximum: bounds[1]}, nil
}

// checkAdaptBounds: both within spec.MaxInstances, minimum <= maximum.
func checkAdaptBounds(minimum, maximum int) error {
	if err := spec.CheckInstances("minimum", int64(minimum)); err != nil {
		return err
	}
	if err := spec.CheckInstances("maximum", int64(maximum)); err != nil {
		return err
	}
	if minimum > maximum {
		return fmt.Errorf("minimum %d is above maximum %d: use minimum <= maximum", minimum, maximum)
	}
	return nil
}

// workerPool finds a worker pool by name; called with am.mu held.
func (am *AM) workerPool(name string) (*service, error) {
	for _, s := range am.services {
		if s.role == "worker" && s.name == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: no worker pool %q", errNotFound, name)
}

// setAdaptive turns a pool's adaptive scaling on or off. Turning it on
// brings the pool within the bounds at once; the next poll follows the
// scheduler.
func (am *AM) setAdaptive(ctx context.Context, req AdaptRequest) error {
	am.mu.Lock()
	s, err := am.workerPool(req.Pool)
	if err != nil {
		am.mu.Unlock()
		return err
	}
	if req.Off {
		s.adapt = nil
		am.mu.Unlock()
		am.log.Infof("%s: adaptive scaling off; keeping %d workers", req.Pool, s.desired)
		return nil
	}
	if err := checkAdaptBounds(req.Minimum, req.Maximum); err != nil {
		am.mu.Unlock()
		return err
	}
	s.adapt = &adaptive{min: req.Minimum, max: req.Maximum, recommended: -1}
	// As a scale does, a new adapt tries a pool that gave up again.
	s.gaveUp, s.gaveUpReason = false, ""
	n := min(max(s.desired, req.Minimum), req.Maximum)
	desired := s.desired
	am.mu.Unlock()
	am.log.Infof("%s: adaptive scaling between %d and %d", req.Pool, req.Minimum, req.Maximum)
	switch {
	case n > desired:
		return am.scale(ctx, req.Pool, n)
	case n < desired:
		return am.adaptDown(req.Pool, n)
	}
	return nil
}

// adaptLoop polls the scheduler for every adaptive pool until ctx ends.
func (am *AM) adaptLoop(ctx context.Context) {
	t := time.NewTicker(adaptInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, adaptInterval)
		am.adaptOnce(pctx)
		cancel()
	}
}

// adaptOnce asks the scheduler once and scales each adaptive pool.
func (am *AM) adaptOnce(ctx context.Context) {
	am.mu.Lock()
	dashboard := am.scheduler.Dashboard
	on := false
	for _, s := range am.services {
		on = on || s.adapt != nil
	}
	am.mu.Unlock()
	if !on || dashboard == "" {
		return
	}
	total, err := adaptiveTarget(ctx, dashboard)
	if err != nil {
		am.log.Warnf("adaptive scaling: %v", err)
		return
	}
	type change struct {
		pool string
		n    int
		down bool
	}
	var changes []change
	am.mu.Lock()
	for _, s := range am.services {
		// A pool that gave up waits for a new adapt or scale: growing it
		// on its own would restart the failures it gave up on.
		if s.adapt == nil || s.gaveUp || am.finishing != nil {
			continue
		}
		// The scheduler counts every worker: this pool's share is what the
		// other pools do not hold.
		others := 0
		for _, o := range am.services {
			if o != s && o.role == "worker" {
				others += o.readyCount()
			}
		}
		if n, ok := s.adapt.step(total-others, s.desired); ok {
			changes = append(changes, change{s.name, n, n < s.desired})
		}
	}
	am.mu.Unlock()
	for _, c := range changes {
		am.log.Infof("%s: adaptive scaling to %d (the scheduler recommends %d workers in all)", c.pool, c.n, total)
		var err error
		if c.down {
			err = am.adaptDown(c.pool, c.n)
		} else {
			err = am.scale(ctx, c.pool, c.n)
		}
		if err != nil {
			am.log.Warnf("adaptive scaling %s to %d: %v", c.pool, c.n, err)
		}
	}
}

// adaptDown shrinks an adaptive pool to n. Containers not in the Dask
// cluster yet hold no data: they go first, newest first. For the rest the
// scheduler chooses and retires (retireChosen, in the background); a
// worker it does not retire is kept, and the pool's size with it.
func (am *AM) adaptDown(pool string, n int) error {
	am.mu.Lock()
	s, err := am.workerPool(pool)
	if err != nil || s.adapt == nil {
		am.mu.Unlock()
		return err
	}
	s.desired = n
	var pending []*container
	ready := 0
	for _, c := range s.live {
		switch {
		case c.stopping:
		case c.state == stateReady:
			ready++
		default:
			pending = append(pending, c)
		}
	}
	extra := len(pending) + ready - s.adapt.choosing - n
	if extra <= 0 {
		am.mu.Unlock()
		return nil
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].started.After(pending[j].started) })
	victims := pending[:min(extra, len(pending))]
	for _, c := range victims {
		c.stopping, c.retired = true, true
	}
	ask := extra - len(victims)
	a := s.adapt
	a.choosing += ask
	dashboard := am.scheduler.Dashboard
	am.mu.Unlock()
	am.log.Infof("%s: adaptive scale down to %d: stopping %d not yet in the Dask cluster, asking the scheduler to retire %d", pool, n, len(victims), ask)
	am.poke()
	go am.retireChosen(s, a, dashboard, victims, ask)
	return nil
}

// retireChosen stops the victims and has the scheduler choose and retire
// ask more workers of the pool; it stops those the scheduler retired.
func (am *AM) retireChosen(s *service, a *adaptive, dashboard string, victims []*container, ask int) {
	ctx, cancel := context.WithTimeout(context.Background(), retireTimeout)
	defer cancel()
	if len(victims) > 0 {
		am.retireAndStop(ctx, dashboard, victims)
	}
	if ask == 0 {
		return
	}
	var names []string
	var err error
	if dashboard == "" {
		err = errors.New("no Dask scheduler to ask")
	} else {
		names, err = am.schedulerRetires(ctx, s, dashboard, ask)
	}
	am.mu.Lock()
	a.choosing -= ask
	var chosen []*container
	for _, name := range names {
		if c := s.live[name]; c != nil && !c.stopping {
			c.stopping, c.retired = true, true
			chosen = append(chosen, c)
		}
	}
	kept := ask - len(chosen)
	if kept > 0 && s.adapt == a {
		// Not retired: it still holds data the scheduler could not move
		// (or the scheduler did not answer). The next poll tries again.
		s.desired += kept
	}
	am.mu.Unlock()
	switch {
	case err != nil:
		am.log.Warnf("%s: asking the Dask scheduler to retire %d workers: %v; keeping them", s.name, ask, err)
	case kept > 0:
		am.log.Infof("%s: the Dask scheduler retired %d of %d workers asked (%v); keeping the other %d", s.name, len(chosen), ask, names, kept)
	default:
		am.log.Infof("%s: the Dask scheduler retired %v", s.name, names)
	}
	am.poke()
	am.stopEach(ctx, chosen)
}

// step takes the scheduler's recommendation for the pool and returns the
// size to scale to, if it changes: clamped to the bounds, up at once, down
// after adaptDownAfter recommendations in a row.
func (a *adaptive) step(recommended, desired int) (int, bool) {
	a.recommended = recommended
	target := a.target()
	switch {
	case target > desired:
		a.lower = 0
		return target, true
	case target < desired:
		a.lower++
		if a.lower >= adaptDownAfter {
			a.lower = 0
			return target, true
		}
	default:
		a.lower = 0
	}
	return 0, false
}

// target is the last recommendation within the bounds (minimum before any).
func (a *adaptive) target() int {
	return min(max(a.recommended, a.min), a.max)
}

func (a *adaptive) status() *AdaptiveStatus {
	return &AdaptiveStatus{Minimum: a.min, Maximum: a.max, Recommended: a.recommended, Target: a.target()}
}

// readyCount is how many of the service's workers are in the Dask cluster
// and not being retired.
func (s *service) readyCount() int {
	n := 0
	for _, c := range s.live {
		if c.state == stateReady && !c.retired {
			n++
		}
	}
	return n
}

// adaptiveTarget asks the scheduler how many workers it wants in all.
func adaptiveTarget(ctx context.Context, dashboard string) (int, error) {
	var out struct {
		Workers *json.Number `json:"workers"`
	}
	if err := daskCall(ctx, http.MethodGet, "http://"+dashboard+"/api/v1/adaptive_target", nil, &out); err != nil {
		return 0, err
	}
	if out.Workers == nil {
		return 0, errors.New("the scheduler's adaptive_target answer has no workers count")
	}
	n, err := spec.ParseWhole(out.Workers.String())
	if errors.Is(err, spec.ErrLimit) && !strings.HasPrefix(out.Workers.String(), "-") {
		// Past int64: as many as allowed; the clamp does the rest.
		n, err = spec.MaxInstances, nil
	}
	if err != nil || n < 0 {
		return 0, fmt.Errorf("the scheduler's adaptive_target answer %q is not a worker count", out.Workers.String())
	}
	// Bounded before it becomes an int: the clamp does the rest.
	return int(min(n, spec.MaxInstances)), nil
}

// adaptOff ends a pool's adaptive scaling, if any.
func (am *AM) adaptOff(pool string) {
	am.mu.Lock()
	defer am.mu.Unlock()
	if s, err := am.workerPool(pool); err == nil && s.adapt != nil {
		s.adapt = nil
		am.log.Infof("%s: adaptive scaling off (scaled by hand)", pool)
	}
}
