package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// A worker container outlives its Dask worker process: the runtime
// restarts `dask worker` in the same container when the scheduler moves
// (the AM reports a new address) and when the process exits because its
// scheduler went away (Dask's worker exits 0 on
// worker-handle-scheduler-connection-broken, often before the AM knows of
// the new scheduler). Only an exit while the scheduler is still there, a
// stop, or no new scheduler within SchedulerWait ends the container.

// joinResult is the end of one worker process's join: its Dask address,
// reported ready to the AM, or why not.
type joinResult struct {
	gen     int
	address string
	err     error
}

// probeResult says whether the scheduler at addr went away.
type probeResult struct {
	addr string
	gone bool
	why  string
}

// workerLoop is the state of a worker container's runtime.
type workerLoop struct {
	r   *runtime
	ctx context.Context // ends when runWorker returns
	st  stopper

	c       *child
	gen     int    // counts worker starts; join results of older ones are dropped
	current string // the scheduler the running worker was started against
	next    string // the worker is stopping to restart against this address
	// cancelJoin ends the running worker's join (it exited or restarts).
	cancelJoin context.CancelFunc
	joined     chan joinResult

	// exited is the last worker process that exited on its own; lost is
	// its scheduler's address once that scheduler is known to be gone, and
	// waitC fires when no new scheduler came within SchedulerWait.
	exited  *child
	lost    string
	waitFor *time.Timer
	waitC   <-chan time.Time
	probing bool
	probed  chan probeResult

	failed bool // a runtime failure: exit ExitRuntimeError once the worker stopped
}

func (r *runtime) runWorker(ctx context.Context, sigs <-chan os.Signal, addr string) int {
	pollCtx, cancelPoll := context.WithCancel(ctx)
	defer cancelPoll()
	scheds := make(chan SchedulerInfo)
	fatal := make(chan error, 1)
	go r.pollScheduler(pollCtx, scheds, fatal)

	w := &workerLoop{r: r, ctx: pollCtx, st: stopper{r: r}, cancelJoin: func() {},
		joined: make(chan joinResult, 1), probed: make(chan probeResult, 1)}
	defer func() { w.cancelJoin(); w.stopWaiting() }()
	if addr != "" {
		if code, exit := w.start(addr); exit {
			return code
		}
	} else {
		r.log.Info("no scheduler address yet; waiting for the application master to report one")
	}
	ctxDone := ctx.Done()
	for {
		var done <-chan struct{}
		if w.c != nil {
			done = w.c.done
		}
		code, exit := 0, false
		select {
		case s := <-sigs:
			code, exit = w.stop(toSignal(s), "received "+s.String())
		case <-ctxDone:
			ctxDone = nil
			code, exit = w.stop(syscall.SIGTERM, stopReason(ctx))
		case <-w.st.killC:
			w.st.onKillTimer(w.c)
		case err := <-fatal:
			w.failed = true
			r.log.Error("the application master refused the scheduler poll", "err", err)
			code, exit = w.stop(syscall.SIGTERM, "runtime failure")
			if exit {
				code = ExitRuntimeError
			}
		case res := <-w.joined:
			w.onJoined(res)
		case info := <-scheds:
			code, exit = w.onScheduler(info)
		case <-done:
			code, exit = w.onExit()
		case p := <-w.probed:
			code, exit = w.onProbe(p)
		case <-w.waitC:
			r.log.Error("exiting: no new scheduler came", "gone", w.lost, "waited", r.cfg.SchedulerWait,
				"hint", "the application master restarts the scheduler up to its max_restarts; see its log")
			return ExitRuntimeError
		}
		if exit {
			return code
		}
	}
}

// start runs a worker process against the scheduler at a and starts
// waiting for the scheduler to list it.
func (w *workerLoop) start(a string) (int, bool) {
	r := w.r
	w.stopWaiting()
	c, err := r.start(ChildArgs(r.cfg, a))
	if err != nil {
		r.log.Error("exiting: cannot start the worker", "err", err)
		return ExitRuntimeError, true
	}
	w.c, w.current, w.next, w.lost, w.exited = c, a, "", "", nil
	w.gen++
	joinCtx, cancel := context.WithCancel(w.ctx)
	w.cancelJoin = cancel
	go func(gen int) {
		addr, err := r.waitJoined(joinCtx, a)
		if err == nil {
			req := ReadyRequest{Service: r.cfg.Service, Role: r.cfg.Role, Address: addr}
			err = r.am.ready(joinCtx, r.cfg.ContainerID, req)
		}
		if joinCtx.Err() != nil {
			return // this worker process is gone: nothing to report
		}
		select {
		case w.joined <- joinResult{gen: gen, address: addr, err: err}:
		case <-joinCtx.Done():
		}
	}(w.gen)
	return 0, false
}

// stop begins stopping the worker; with no worker process running the
// runtime exits at once.
func (w *workerLoop) stop(sig syscall.Signal, reason string) (int, bool) {
	if w.c == nil {
		w.r.log.Info("exiting: no worker process is running", "reason", reason)
		return 128 + int(sig), true
	}
	if w.st.kill != nil && w.next == "" {
		return 0, false // already stopping; the grace period runs on
	}
	w.next = ""
	w.st.reset()
	w.st.begin(w.c, sig, reason)
	return 0, false
}

func (w *workerLoop) onJoined(res joinResult) {
	if res.gen != w.gen || w.c == nil {
		return
	}
	var rej *RejectedError
	switch {
	case res.err == nil:
		w.r.log.Info("reported ready to the application master", "worker_address", res.address)
	case errors.As(res.err, &rej):
		w.failed = true
		w.r.log.Error("the application master refused the ready report", "err", res.err)
		w.stop(syscall.SIGTERM, "runtime failure")
	default:
		w.r.log.Error("could not report the worker ready; it keeps running", "err", res.err)
	}
}

// onScheduler handles the AM's answer to a scheduler poll.
func (w *workerLoop) onScheduler(info SchedulerInfo) (int, bool) {
	r, a := w.r, info.Address
	switch {
	case w.c == nil && w.lost != "":
		if a != w.lost {
			r.log.Info("new scheduler; restarting the worker", "scheduler", a, "gone", w.lost)
			return w.start(a)
		}
		if !w.probing {
			w.probe(a) // the AM still reports the lost one: is it back?
		}
	case w.c == nil && w.exited != nil:
		// Deciding whether the last worker's scheduler went away: the
		// probe's answer decides.
	case w.c == nil:
		r.log.Info("scheduler address known", "address", a)
		return w.start(a)
	case a == w.current || a == w.next || w.st.reason != "" && w.next == "":
		// unchanged, already restarting to it, or stopping for good
	default:
		r.log.Info("scheduler moved; restarting the worker", "from", w.current, "to", a)
		if w.next == "" {
			w.st.begin(w.c, syscall.SIGTERM, "scheduler moved to "+a)
		}
		w.next = a
	}
	return 0, false
}

// onExit handles the worker process's exit.
func (w *workerLoop) onExit() (int, bool) {
	r, c := w.r, w.c
	w.c = nil
	w.cancelJoin()
	if w.next != "" {
		r.log.Info("worker stopped for the restart", "status", c.describe())
		w.st.reset()
		return w.start(w.next)
	}
	if w.st.reason != "" || w.failed {
		code := r.finish(c, w.st.reason)
		w.st.reset()
		if w.failed {
			return ExitRuntimeError, true
		}
		return code, true
	}
	if code := c.exitCode(); code != 0 {
		// Dask's worker exits 0 when its scheduler goes away; a crash or
		// a kill is the container's failure, whatever the scheduler does.
		r.log.Info("the worker failed", "status", c.describe(), "exit_code", code)
		return r.finish(c, ""), true
	}
	r.log.Info("the worker exited on its own; checking whether its scheduler went away", "status", c.describe(), "scheduler", w.current)
	w.exited = c
	w.probe(w.current)
	return 0, false
}

// onProbe acts on whether a scheduler went away.
func (w *workerLoop) onProbe(p probeResult) (int, bool) {
	r := w.r
	w.probing = false
	switch {
	case w.c != nil || w.exited == nil:
		// a worker runs again already
	case w.lost == "" && !p.gone:
		code := r.finish(w.exited, "")
		return code, true
	case w.lost == "":
		w.lost = p.addr
		r.log.Warn("the worker's scheduler went away; waiting for the application master to report a new one",
			"gone", p.addr, "why", p.why, "max_wait", r.cfg.SchedulerWait)
		w.waitFor = time.NewTimer(r.cfg.SchedulerWait)
		w.waitC = w.waitFor.C
		if info, ok := r.latest(); ok && info.Address != "" && info.Address != w.lost {
			return w.onScheduler(info)
		}
	case p.addr == w.lost && !p.gone:
		r.log.Info("the scheduler answers again at the same address; restarting the worker", "scheduler", p.addr)
		return w.start(p.addr)
	}
	return 0, false
}

func (w *workerLoop) probe(addr string) {
	w.probing = true
	go func() {
		gone, why := w.r.schedulerGone(w.ctx, addr)
		select {
		case w.probed <- probeResult{addr: addr, gone: gone, why: why}:
		case <-w.ctx.Done():
		}
	}()
}

func (w *workerLoop) stopWaiting() {
	if w.waitFor != nil {
		w.waitFor.Stop()
	}
	w.waitFor, w.waitC = nil, nil
}

// schedulerGone says whether the scheduler at addr is gone: the AM reports
// no scheduler or another one, or nothing accepts connections at addr.
func (r *runtime) schedulerGone(ctx context.Context, addr string) (bool, string) {
	if info, ok := r.latest(); ok && info.Address != addr {
		if info.Address == "" {
			return true, "the application master reports no scheduler: it is starting a new one"
		}
		return true, "the application master reports the scheduler at " + info.Address
	}
	_, hostport, ok := strings.Cut(addr, "://")
	if !ok {
		hostport = addr
	}
	d := net.Dialer{Timeout: r.cfg.AMCallTimeout}
	conn, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return true, fmt.Sprintf("nothing accepts connections at %s: %v", addr, err)
	}
	conn.Close()
	return false, ""
}

// pollScheduler asks the AM where the scheduler is every poll interval,
// records the answer (latest) and sends the non-empty ones on scheds.
// Failures are logged (not every one) and polling goes on; a refusal of
// our credentials is sent on fatal.
func (r *runtime) pollScheduler(ctx context.Context, scheds chan<- SchedulerInfo, fatal chan<- error) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	var failingSince time.Time
	var lastLogged time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		info, err := r.am.scheduler(ctx)
		var rej *RejectedError
		switch {
		case ctx.Err() != nil:
			return
		case errors.As(err, &rej) && (rej.Status == 401 || rej.Status == 403):
			fatal <- err
			return
		case err != nil:
			now := time.Now()
			if failingSince.IsZero() {
				failingSince = now
			}
			if now.Sub(lastLogged) >= 30*time.Second {
				lastLogged = now
				r.log.Warn("cannot ask the application master for the scheduler; the process keeps running", "failing_for", now.Sub(failingSince).Round(time.Second), "err", err)
			}
			continue
		}
		if !failingSince.IsZero() {
			r.log.Info("application master reachable again")
			failingSince, lastLogged = time.Time{}, time.Time{}
		}
		r.setLatest(info)
		if info.Address == "" {
			continue // the AM is between schedulers
		}
		select {
		case scheds <- info:
		case <-ctx.Done():
			return
		}
	}
}
