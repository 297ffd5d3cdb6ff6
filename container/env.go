package container

import (
	"context"
	"errors"

	"github.com/spindle-yarn/spindle/envpack"
	"github.com/spindle-yarn/spindle/nodeenv"
)

// ExitEnvUnusable is the runtime's exit code when the environment already
// on the node (python://, conda://, venv://) is missing there or cannot
// import distributed (78, sysexits' EX_CONFIG). With EnvUnusableMsg in the
// container's log, the AM takes it as final: no replacement container.
const ExitEnvUnusable = 78

// EnvUnusableMsg starts the runtime's log line for ExitEnvUnusable.
const EnvUnusableMsg = "exiting: the Python environment is not usable on this node"

// activate prepares the unpacked environment in dir (prefix fix-ups,
// checking that its python starts) and returns base with the activation
// applied: the environment's bin first on PATH, VIRTUAL_ENV or
// CONDA_PREFIX set, a stray PYTHONHOME removed.
func activate(ctx context.Context, dir string, base []string) ([]string, error) {
	a, err := envpack.Activate(ctx, dir)
	if err != nil {
		return nil, err
	}
	return a.Environ(base), nil
}

// useNodeEnv activates the environment already on this node and checks
// that its interpreter imports distributed; a command starting with
// `dask` then runs as `PYTHON -m dask`, so Dask runs on the interpreter
// checked, whatever else PATH holds. It returns 0, or the exit code.
func (r *runtime) useNodeEnv(ctx context.Context) int {
	u := *r.cfg.NodeEnv
	a, err := nodeenv.Resolve(ctx, u, r.env)
	var env []string
	if err == nil {
		env = a.Environ(r.env)
		err = nodeenv.Check(ctx, a, env, r.cfg.WorkDir)
	}
	switch {
	case errors.Is(err, nodeenv.ErrUnusable):
		r.log.Error(EnvUnusableMsg, "env", u.String(), "node", r.cfg.Host, "err", err)
		return ExitEnvUnusable
	case err != nil:
		r.log.Error("exiting: cannot check the Python environment", "env", u.String(), "node", r.cfg.Host, "err", err)
		return ExitRuntimeError
	}
	r.env = env
	if len(r.cfg.Command) > 0 && r.cfg.Command[0] == "dask" {
		r.cfg.Command = append([]string{a.Python, "-m", "dask"}, r.cfg.Command[1:]...)
	}
	r.log.Info("using the environment on this node", "env", u.String(), "python", a.Python)
	return 0
}
