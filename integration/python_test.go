package integration

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// What the fresh venv gets to run python/tests: pytest, and nbclient with
// ipykernel to execute the notebook (python/tests/notebooks) headless.
const (
	pytestVersion    = "9.2.0"
	nbclientVersion  = "0.11.0"
	ipykernelVersion = "7.4.0"
)

// notebookRequirements: the notebook side python/tests exercise, the
// Jupyter widget (ipywidgets) and dask-labextension's cluster manager.
var notebookRequirements = []string{"ipywidgets==8.1.9", "dask-labextension==7.0.0"}

// TestPythonPackage builds the dask-spindle wheel from python/ (its build
// backend compiles spindle into it), installs it into a fresh venv with
// dask from PyPI, checks that the venv's bin/spindle is the wheel's, and
// runs python/tests with that venv against the local cluster: YarnCluster
// computes, scales and closes; refused arguments and a worker larger than
// the cluster raise naming the argument; a failed application raises with
// YARN's diagnostics; the book's notebook workflow runs headless.
func TestPythonPackage(t *testing.T) {
	useCluster(t)
	py := pyenv.DaskPython(t)
	nodeVenv := filepath.Dir(filepath.Dir(py))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..")

	run := func(what string, cmd *exec.Cmd) string {
		t.Helper()
		start := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("%s (%s):\n%s", what, time.Since(start).Round(time.Second), out)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return string(out)
	}

	wheels := t.TempDir()
	build := exec.CommandContext(ctx, py, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "--no-input", "-w", wheels, "./python")
	build.Dir = root
	run("pip wheel ./python", build)
	found, _ := filepath.Glob(filepath.Join(wheels, "dask_spindle-*-py3-none-linux_*.whl"))
	if len(found) != 1 {
		t.Fatalf("want one platform wheel in %s, found %v", wheels, found)
	}
	inWheel := wheelMember(t, found[0], ".data/scripts/spindle")

	venv := filepath.Join(t.TempDir(), "venv")
	run("python -m venv", exec.CommandContext(ctx, py, "-m", "venv", venv))
	vpy := filepath.Join(venv, "bin", "python")
	install := exec.CommandContext(ctx, vpy, append([]string{"-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-input",
		found[0], "dask==" + pyenv.DaskVersion, "distributed==" + pyenv.DistributedVersion, "pytest==" + pytestVersion,
		"numpy==" + pyenv.NumpyVersion, "nbclient==" + nbclientVersion, "ipykernel==" + ipykernelVersion},
		notebookRequirements...)...)
	run("pip install the wheel", install)
	installed, err := os.ReadFile(filepath.Join(venv, "bin", "spindle"))
	if err != nil {
		t.Fatalf("the wheel installed no bin/spindle: %v", err)
	}
	if !bytes.Equal(installed, inWheel) {
		t.Fatalf("%s/bin/spindle (%d bytes) is not the wheel's (%d bytes)", venv, len(installed), len(inWheel))
	}
	if out := run("bin/spindle version", exec.CommandContext(ctx, filepath.Join(venv, "bin", "spindle"), "version")); !strings.HasPrefix(out, "spindle ") {
		t.Fatalf("bin/spindle version printed %q", out)
	}

	tag := fmt.Sprintf("pytest-%d", time.Now().UnixNano())
	defer killTagged(t, tag)
	pytest := exec.CommandContext(ctx, vpy, "-m", "pytest", "-v", "-p", "no:cacheprovider", "python/tests")
	pytest.Dir = root
	// The venv's spindle, not one from PATH or SPINDLE_BINARY.
	pytest.Env = append(withoutEnv(os.Environ(), "SPINDLE_BINARY", "PATH"), "SPINDLE_TEST_ENV="+nodeVenv, "SPINDLE_TEST_TAG="+tag,
		"PATH=/usr/bin:/bin")
	run("pytest python/tests", pytest)
}

func wheelMember(t *testing.T, wheel, suffix string) []byte {
	t.Helper()
	zr, err := zip.OpenReader(wheel)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, suffix) {
			if f.Mode()&0o111 == 0 {
				t.Fatalf("%s in the wheel is not executable (%v)", f.Name, f.Mode())
			}
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("no %s in %s", suffix, wheel)
	return nil
}

// withoutEnv is env without the variables named.
func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// killTagged kills what the Python tests left running under their tag.
func killTagged(t *testing.T, tag string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := spindle(t, ctx, "list", "--tag", tag, "--json")
	var apps []struct {
		ID string `json:"id"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &apps) != nil {
		return
	}
	for _, a := range apps {
		spindle(t, ctx, "kill", a.ID)
	}
}
