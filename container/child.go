package container

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// child is the Dask process, leader of its own process group so that
// signals reach the whole tree it starts (a nanny's worker process, say)
// and never the runtime itself.
type child struct {
	cmd   *exec.Cmd
	pgid  int
	done  chan struct{}
	state *os.ProcessState
	err   error
}

func startChild(argv, env []string, dir string, stdout, stderr io.Writer) (*child, error) {
	path, err := lookPath(argv[0], env, dir)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: env, Dir: dir, Stdout: stdout, Stderr: stderr}
	// Pdeathsig: if the runtime is killed outright (the NodeManager's
	// SIGKILL), the child must not outlive it unnoticed on the node.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	c := &child{cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		c.state = cmd.ProcessState
		// Whatever the leader left behind in its group goes with it.
		_ = syscall.Kill(-c.pgid, syscall.SIGKILL)
		close(c.done)
	}()
	return c, nil
}

// signal sends sig to the child's process group.
func (c *child) signal(sig syscall.Signal) {
	if err := syscall.Kill(-c.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		_ = c.cmd.Process.Signal(sig)
	}
}

// exitCode is the shell convention: the exit status, or 128+signal.
func (c *child) exitCode() int {
	if c.state == nil {
		return 1
	}
	if ws, ok := c.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return c.state.ExitCode()
}

func (c *child) describe() string {
	if c.state == nil {
		return fmt.Sprint(c.err)
	}
	return c.state.String()
}

// lookPath resolves name against the PATH of the child's environment
// (which activation changed), not the runtime's own.
func lookPath(name string, env []string, dir string) (string, error) {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if err := executable(p); err != nil {
			return "", fmt.Errorf("command %s: %w", name, err)
		}
		return p, nil
	}
	path := envValue(env, "PATH")
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, name)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("command %q not found on PATH %q: install it in the environment or give its path in the command", name, path)
}

func executable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// envValue is the value of key in env, the last one winning as in exec.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
