package container

import (
	"context"

	"github.com/spindle-yarn/spindle/envpack"
)

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
