// Package container is Spindle's container runtime: what `spindle
// container` does inside each YARN container the application master
// starts. It activates the shipped Python environment, runs the Dask
// scheduler or worker as a child in its own process group, tells the AM
// when the child is ready (and at which address), restarts a worker when
// the AM reports that the scheduler moved, forwards stop signals with a
// grace period, and exits with the child's exit code.
package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/launchenv"
)

// ExitRuntimeError is the exit code when the runtime itself fails (bad
// environment, AM refusal, scheduler never ready) rather than the child.
const ExitRuntimeError = 1

// SchedulerRoutes are the scheduler's HTTP routes: Dask's defaults
// (distributed.yaml, distributed.scheduler.http.routes in 2026.8) plus its
// REST API, which Spindle uses to retire workers gracefully.
var SchedulerRoutes = []string{
	"distributed.http.scheduler.prometheus",
	"distributed.http.scheduler.info",
	"distributed.http.scheduler.json",
	"distributed.http.health",
	"distributed.http.proxy",
	"distributed.http.statics",
	"distributed.http.scheduler.api",
}

// EnvSchedulerRoutes is Dask's configuration variable for SchedulerRoutes.
const EnvSchedulerRoutes = "DASK_DISTRIBUTED__SCHEDULER__HTTP__ROUTES"

// Run runs the container until the child exits and returns the exit code
// for the process: the child's (128+signal if a signal killed it), or
// ExitRuntimeError. SIGTERM and SIGINT, and ctx's cancellation (as
// SIGTERM), are forwarded to the child's process group; after
// cfg.StopGrace the group is killed.
func Run(ctx context.Context, cfg Config) int {
	cfg.fill()
	r := &runtime{cfg: cfg, log: cfg.Log, am: newAMClient(&cfg)}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go r.watchAM(ctx, cancel)
	return r.run(ctx)
}

type runtime struct {
	cfg Config
	log *slog.Logger
	am  *amClient
	env []string

	mu sync.Mutex
	// sched is the AM's last answer to GET /v1/scheduler; schedKnown says
	// there was one.
	sched      SchedulerInfo
	schedKnown bool
}

func (r *runtime) setLatest(info SchedulerInfo) {
	r.mu.Lock()
	r.sched, r.schedKnown = info, true
	r.mu.Unlock()
}

// latest is the AM's last answer about the scheduler, and whether there
// was one.
func (r *runtime) latest() (SchedulerInfo, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sched, r.schedKnown
}

// ChildArgs is the child's argv: the configured command plus the arguments
// the runtime manages for role.
func ChildArgs(cfg Config, schedulerAddress string) []string {
	argv := append([]string(nil), cfg.Command...)
	switch cfg.Role {
	case RoleScheduler:
		if cfg.TLS != nil {
			argv = append(argv, "--protocol", "tls")
		}
		argv = append(argv, "--host", cfg.Host, "--port", "0",
			"--dashboard-address", net.JoinHostPort(cfg.Host, "0"),
			"--scheduler-file", filepath.Join(cfg.WorkDir, schedulerFileBaseName))
	case RoleWorker:
		argv = append(argv, schedulerAddress, "--name", cfg.ContainerID, "--host", cfg.Host,
			"--dashboard-address", net.JoinHostPort(cfg.Host, "0"))
	}
	return argv
}

func (r *runtime) run(ctx context.Context) int {
	cfg := &r.cfg
	r.log.Info("starting", "app", cfg.AppID, "service", cfg.Service, "role", cfg.Role, "am", cfg.AMURL, "workdir", cfg.WorkDir)

	// Register before anything slow so a stop during setup is not lost.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	if cfg.TokenPoll > 0 && cfg.TokenFile != "" {
		tctx, stop := context.WithCancel(ctx)
		defer stop()
		go r.refreshTokens(tctx)
	}

	// The user's variables first, so that activating the environment
	// prepends to a PATH the spec set, as it did when YARN set them.
	r.env = launchenv.Apply(cfg.Environ, cfg.UserEnv)
	if cfg.EnvDir != "" {
		env, err := activate(ctx, cfg.EnvDir, r.env)
		if err != nil {
			r.log.Error("exiting: cannot activate the Python environment", "env", cfg.EnvDir, "err", err)
			return ExitRuntimeError
		}
		r.env = env
		r.log.Info("activated environment", "env", cfg.EnvDir)
	} else if cfg.NodeEnv != nil {
		if code := r.useNodeEnv(ctx); code != 0 {
			return code
		}
	}
	if err := RestrictTokenFile(cfg.TokenFile); err != nil {
		r.log.Warn("the token file stays readable by others than its user", "err", err)
	}
	if cfg.TLS != nil {
		env, err := tlsEnv(cfg)
		if err != nil {
			r.log.Error("exiting: cannot set up TLS for Dask", "err", err)
			return ExitRuntimeError
		}
		r.env = launchenv.Apply(r.env, env)
	}
	if cfg.Role == RoleScheduler {
		b, _ := json.Marshal(SchedulerRoutes)
		r.env = append(r.env, EnvSchedulerRoutes+"="+string(b))
	}

	// One quick call before starting anything: a wrong secret is reported
	// now, and a worker without an address learns the scheduler's.
	info, err := r.am.scheduler(ctx)
	var rej *RejectedError
	switch {
	case errors.As(err, &rej):
		r.log.Error("exiting: the application master refused this container", "err", err)
		return ExitRuntimeError
	case err != nil:
		r.log.Warn("application master not reachable yet; going on", "err", err)
	default:
		r.setLatest(info)
	}

	// A stop asked for during setup: do not start the child at all.
	select {
	case s := <-sigs:
		r.log.Info("exiting before starting the child", "reason", "received "+s.String())
		return 128 + int(toSignal(s))
	default:
		if ctx.Err() != nil {
			r.log.Info("exiting before starting the child", "reason", stopReason(ctx))
			return 128 + int(syscall.SIGTERM)
		}
	}
	if cfg.Role == RoleScheduler {
		return r.runScheduler(ctx, sigs)
	}
	if cfg.Role == RoleClient {
		return r.runClient(ctx, sigs, info.Address)
	}
	addr := cfg.SchedulerAddress
	if addr == "" {
		addr = info.Address
	}
	return r.runWorker(ctx, sigs, addr)
}

// stopper tracks a stop in progress: the signal went to the group, and
// the kill timer is armed.
type stopper struct {
	r      *runtime
	kill   *time.Timer
	killC  <-chan time.Time
	reason string
}

func (s *stopper) begin(c *child, sig syscall.Signal, reason string) {
	if s.kill != nil {
		return
	}
	s.reason = reason
	s.r.log.Info("stopping child", "signal", sig.String(), "reason", reason, "grace", s.r.cfg.StopGrace)
	c.signal(sig)
	s.kill = time.NewTimer(s.r.cfg.StopGrace)
	s.killC = s.kill.C
}

func (s *stopper) onKillTimer(c *child) {
	s.r.log.Warn("child still running after the grace period; sending SIGKILL to its process group", "grace", s.r.cfg.StopGrace)
	c.signal(syscall.SIGKILL)
	s.killC = nil
}

func (s *stopper) reset() {
	if s.kill != nil {
		s.kill.Stop()
	}
	*s = stopper{r: s.r}
}

func (r *runtime) start(argv []string) (*child, error) {
	r.log.Info("running", "argv", argv)
	return startChild(argv, r.env, r.cfg.WorkDir, r.cfg.Stdout, r.cfg.Stderr)
}

func (r *runtime) finish(c *child, stopReason string) int {
	code := c.exitCode()
	if stopReason != "" {
		r.log.Info("exiting: child stopped", "reason", stopReason, "status", c.describe(), "exit_code", code)
	} else {
		r.log.Info("exiting: child exited on its own", "status", c.describe(), "exit_code", code)
	}
	return code
}

func toSignal(s os.Signal) syscall.Signal {
	if ss, ok := s.(syscall.Signal); ok {
		return ss
	}
	return syscall.SIGTERM
}

func (r *runtime) runScheduler(ctx context.Context, sigs <-chan os.Signal) int {
	cfg := &r.cfg
	file := filepath.Join(cfg.WorkDir, schedulerFileBaseName)
	_ = os.Remove(file) // a stale file would be mistaken for readiness
	c, err := r.start(ChildArgs(*cfg, ""))
	if err != nil {
		r.log.Error("exiting: cannot start the scheduler", "err", err)
		return ExitRuntimeError
	}
	readyCtx, cancelReady := context.WithCancel(ctx)
	defer cancelReady()
	readyErr := make(chan error, 1)
	go func() { readyErr <- r.schedulerReady(readyCtx, file) }()

	st := stopper{r: r}
	ctxDone := ctx.Done()
	failed := false
	for {
		select {
		case s := <-sigs:
			st.begin(c, toSignal(s), "received "+s.String())
		case <-ctxDone:
			ctxDone = nil
			st.begin(c, syscall.SIGTERM, stopReason(ctx))
		case <-st.killC:
			st.onKillTimer(c)
		case err := <-readyErr:
			readyErr = nil
			var rej *RejectedError
			switch {
			case err == nil:
			case errors.As(err, &rej) || errors.Is(err, errNotReady):
				r.log.Error("scheduler cannot serve this application", "err", err)
				failed = true
				st.begin(c, syscall.SIGTERM, "runtime failure")
			case ctx.Err() == nil && readyCtx.Err() == nil:
				// The AM stayed unreachable: keep the scheduler; the AM
				// decides what to do with a container that never said ready.
				r.log.Error("could not report the scheduler ready; it keeps running", "err", err)
			}
		case <-c.done:
			cancelReady()
			if readyErr != nil {
				select { // the report may have just finished
				case err := <-readyErr:
					if err == nil {
						readyErr = nil
					}
				default:
				}
			}
			if readyErr != nil && st.reason == "" {
				r.log.Error("exiting: the scheduler exited before it was ready", "status", c.describe())
				if code := c.exitCode(); code != 0 {
					return code
				}
				return ExitRuntimeError
			}
			code := r.finish(c, st.reason)
			st.reset()
			if failed {
				return ExitRuntimeError
			}
			return code
		}
	}
}

var errNotReady = errors.New("scheduler not ready")

// schedulerReady waits for the scheduler file, then tells the AM.
func (r *runtime) schedulerReady(ctx context.Context, file string) error {
	cfg := &r.cfg
	deadline := time.Now().Add(cfg.ReadyTimeout)
	var sf discovery.SchedulerFile
	for {
		var err error
		if sf, err = discovery.ReadLocal(file); err == nil {
			break
		}
		// Dask writes the file in place: missing or half-written is normal
		// for a moment.
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: no valid scheduler file %s after %s: %v", errNotReady, file, cfg.ReadyTimeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	dash := ""
	if port, ok := sf.Services["dashboard"]; ok && port > 0 {
		dash = net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	}
	r.log.Info("scheduler ready", "address", sf.Address, "dashboard", dash)
	req := ReadyRequest{Service: cfg.Service, Role: cfg.Role, Address: sf.Address, DashboardAddress: dash}
	if err := r.am.ready(ctx, cfg.ContainerID, req); err != nil {
		return err
	}
	r.log.Info("reported ready to the application master")
	return nil
}
