package container

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// The client role runs the user's script once (spindle submit --script):
// no readiness, no restart. When it ends, the runtime tells the AM its exit
// code and the last lines of its stderr (a traceback's last lines), and the
// AM ends the application with that status.

// Bounds of the stderr tail sent to the AM, so a diagnostic stays readable
// and within what YARN keeps.
const (
	TailLines = 20
	TailBytes = 4 << 10
)

// Variables the runtime sets for the script, besides DASK_SCHEDULER_ADDRESS
// (so that a plain distributed.Client() connects), SPINDLE_APP_ID and
// SPINDLE_AM_URL: what YarnCluster.from_current() needs.
const (
	// EnvSecretFile is a file (mode 0600, in the container's working
	// dir) holding the control secret in hex: the AM's control API takes
	// it as "Authorization: Bearer <hex>".
	EnvSecretFile = "SPINDLE_SECRET_FILE"
	// EnvBinary is the absolute path of the spindle binary in the
	// container (its CLI can be run from the script).
	EnvBinary = "SPINDLE_BINARY"
	// EnvSchedulerFile is a Dask scheduler file (JSON with "address") in
	// the container's working dir, rewritten whenever the AM reports the
	// scheduler elsewhere (restarted on another node): a
	// Client(scheduler_file=...) made after the move finds the new one,
	// where DASK_SCHEDULER_ADDRESS still names the first.
	EnvSchedulerFile = "SPINDLE_SCHEDULER_FILE"
)

const (
	secretFileName          = ".spindle-secret"
	clientSchedulerFileName = ".spindle-scheduler.json"
)

// writeSchedulerFile replaces path with a Dask scheduler file naming addr;
// through a rename, so a reader never sees half of it.
func writeSchedulerFile(path, addr string) error {
	b, err := json.Marshal(map[string]string{"type": "Scheduler", "address": addr})
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write the scheduler file %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace the scheduler file %s: %w", path, err)
	}
	return nil
}

// tail keeps the last TailBytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*TailBytes {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-TailBytes:]...)
	}
	return len(p), nil
}

// String is the last TailLines non-empty lines within the last TailBytes.
func (t *tail) String() string {
	t.mu.Lock()
	b := t.buf
	if len(b) > TailBytes {
		b = b[len(b)-TailBytes:]
		// The bound fell inside a line: drop its cut start.
		if i := strings.IndexByte(string(b), '\n'); i >= 0 && i+1 < len(b) {
			b = b[i+1:]
		}
	}
	s := string(b)
	t.mu.Unlock()
	return LastLines(s, TailLines)
}

// LastLines is s's last n non-blank lines, joined by newlines.
func LastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, "\r"))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (r *runtime) runClient(ctx context.Context, sigs <-chan os.Signal, addr string) int {
	cfg := &r.cfg
	if cfg.SchedulerAddress != "" {
		addr = cfg.SchedulerAddress
	}
	env := append([]string(nil), r.env...)
	if addr != "" {
		env = append(env, EnvSchedulerAddress+"="+addr)
	}
	secretFile := filepath.Join(cfg.WorkDir, secretFileName)
	if err := os.WriteFile(secretFile, []byte(hex.EncodeToString(cfg.Secret)), 0o600); err != nil {
		r.log.Warn("cannot write the control secret for the script; YarnCluster.from_current() will not reach the AM", "err", err)
	} else {
		env = append(env, EnvSecretFile+"="+secretFile)
	}
	if exe, err := os.Executable(); err == nil {
		env = append(env, EnvBinary+"="+exe)
	}
	schedFile, written := filepath.Join(cfg.WorkDir, clientSchedulerFileName), addr
	if err := writeSchedulerFile(schedFile, addr); err != nil {
		r.log.Warn("cannot write the scheduler file for the script; it will not follow a scheduler that moves", "err", err)
	} else {
		env = append(env, EnvSchedulerFile+"="+schedFile)
	}
	// Following the scheduler: the AM's answers, as a worker's runtime polls them.
	fctx, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	scheds, fatal := make(chan SchedulerInfo), make(chan error, 1)
	go r.pollScheduler(fctx, scheds, fatal)
	t := &tail{}
	argv := ChildArgs(*cfg, addr)
	r.log.Info("running the script", "argv", argv, "scheduler", addr)
	c, err := startChild(argv, env, cfg.WorkDir, cfg.Stdout, io.MultiWriter(cfg.Stderr, t))
	if err != nil {
		r.log.Error("exiting: cannot start the script", "err", err)
		r.reportExit(ctx, ExitRuntimeError, "cannot start the script: "+err.Error())
		return ExitRuntimeError
	}
	st := stopper{r: r}
	ctxDone := ctx.Done()
	for {
		select {
		case info := <-scheds:
			if info.Address != written {
				if err := writeSchedulerFile(schedFile, info.Address); err != nil {
					r.log.Warn("the scheduler moved; cannot rewrite the script's scheduler file", "address", info.Address, "err", err)
					continue
				}
				written = info.Address
				r.log.Info("the scheduler moved; the script's scheduler file names it", "address", info.Address, "file", schedFile)
			}
		case err := <-fatal:
			r.log.Warn("stopped following the scheduler for the script", "err", err)
		case s := <-sigs:
			st.begin(c, toSignal(s), "received "+s.String())
		case <-ctxDone:
			ctxDone = nil
			st.begin(c, syscall.SIGTERM, stopReason(ctx))
		case <-st.killC:
			st.onKillTimer(c)
		case <-c.done:
			stopped := st.reason != ""
			code := r.finish(c, st.reason)
			st.reset()
			if !stopped { // a stop's end is the AM's or YARN's doing, known there
				r.reportExit(ctx, code, t.String())
			}
			return code
		}
	}
}

// reportExit tells the AM how the script ended. Without it (the AM
// unreachable), the AM still ends the application when YARN reports the
// container completed, from the NodeManager's diagnostics.
func (r *runtime) reportExit(ctx context.Context, code int, stderrTail string) {
	if err := r.am.exited(ctx, r.cfg.ContainerID, ExitedRequest{ExitCode: code, StderrTail: stderrTail}); err != nil {
		r.log.Warn("could not report the script's end to the application master", "err", err)
	}
}
