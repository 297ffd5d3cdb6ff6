// Package pyenv gives tests a Python with Dask installed: a virtual
// environment with pinned dask, distributed, numpy and bokeh, built once with pip and
// cached across test runs and test binaries. It owns where that environment
// lives, how it is keyed and the lock that keeps parallel test binaries
// from building it at the same time.
package pyenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The pinned versions. distributed pins dask to its own release, so both
// move together.
const (
	DaskVersion        = "2026.8.0"
	DistributedVersion = "2026.8.0"
	// NumpyVersion: dask.array needs numpy, which dask does not pull in.
	NumpyVersion = "2.4.6"
	// BokehVersion: the scheduler's dashboard needs bokeh>=3.1.0, which
	// distributed does not pull in; without it /status only says so.
	BokehVersion = "3.9.2"
)

// Requirements is what pip installs into the environment. They are part of
// the cache key, so changing one builds a new environment.
var Requirements = []string{"dask==" + DaskVersion, "distributed==" + DistributedVersion, "numpy==" + NumpyVersion,
	"bokeh==" + BokehVersion}

// BuildTimeout bounds creating the venv and the pip install.
const BuildTimeout = 15 * time.Minute

// okMarker is written last: a folder without it is a half-built
// environment (an interrupted run) and is rebuilt.
const okMarker = ".spindle-ok"

var (
	once    sync.Once
	python  string
	onceErr error
)

// DaskPython returns the path of a python with dask, distributed, numpy and bokeh at the
// pinned versions; the `dask` command is beside it in the same bin folder.
// The base interpreter is $SPINDLE_TEST_PYTHON, else python3 on PATH. The
// environment lives under $XDG_CACHE_HOME/spindle-test-venv (else the user
// cache folder), keyed by the base interpreter's version and the
// requirements. It fails the test, never skips it, when the environment
// cannot be built (for example when pip cannot reach the package index).
func DaskPython(t testing.TB) string {
	t.Helper()
	once.Do(func() { python, onceErr = ensure() })
	if onceErr != nil {
		t.Fatalf("python test environment with dask: %v", onceErr)
	}
	return python
}

func baseInterpreter() (string, error) {
	name := os.Getenv("SPINDLE_TEST_PYTHON")
	if name == "" {
		name = "python3"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("find the base interpreter %q (install python3 with venv support, or set SPINDLE_TEST_PYTHON): %w", name, err)
	}
	return p, nil
}

func cacheRoot() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "spindle-test-venv"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache folder (set XDG_CACHE_HOME): %w", err)
	}
	return filepath.Join(d, "spindle-test-venv"), nil
}

func ensure() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), BuildTimeout)
	defer cancel()
	base, err := baseInterpreter()
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, base, "-c", "import sys; print(sys.version)").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("run %s: %w\n%s", base, err, out)
	}
	version := strings.TrimSpace(string(out))
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	// The key names what makes two environments differ; the readable
	// prefix helps a person cleaning the cache.
	sum := sha256.Sum256([]byte(version + "\n" + strings.Join(Requirements, "\n")))
	key := "dask-" + DaskVersion + "-" + hex.EncodeToString(sum[:6])
	dir := filepath.Join(root, key)
	py := filepath.Join(dir, "bin", "python")

	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", root, err)
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("open lock file: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)

	if _, err := os.Stat(filepath.Join(dir, okMarker)); err == nil {
		if err := check(ctx, py); err == nil {
			return py, nil
		}
		// A broken cached environment (base interpreter upgraded in place,
		// files deleted): build it again.
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("remove half-built environment %s: %w", dir, err)
	}
	if out, err := exec.CommandContext(ctx, base, "-m", "venv", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("create venv %s with %s: %w\n%s", dir, base, err, out)
	}
	args := append([]string{"-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q"}, Requirements...)
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = append(os.Environ(), "PIP_NO_INPUT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pip install %s into %s: %w\n%s", strings.Join(Requirements, " "), dir, err, tail(out))
	}
	if err := check(ctx, py); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, okMarker), []byte(strings.Join(Requirements, "\n")+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("mark environment built: %w", err)
	}
	return py, nil
}

// check imports the packages and compares their versions with the pins.
func check(ctx context.Context, py string) error {
	out, err := exec.CommandContext(ctx, py, "-c",
		"import dask, distributed, bokeh; print(dask.__version__, distributed.__version__, bokeh.__version__)").CombinedOutput()
	if err != nil {
		return fmt.Errorf("import dask, distributed and bokeh with %s: %w\n%s", py, err, tail(out))
	}
	want := DaskVersion + " " + DistributedVersion + " " + BokehVersion
	if got := strings.TrimSpace(string(out)); got != want {
		return fmt.Errorf("%s has dask/distributed %q, want %q", py, got, want)
	}
	return nil
}

func tail(b []byte) string {
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// Python is DaskPython for programs such as the demo: it returns the error
// instead of failing a test.
func Python() (string, error) {
	once.Do(func() { python, onceErr = ensure() })
	return python, onceErr
}
