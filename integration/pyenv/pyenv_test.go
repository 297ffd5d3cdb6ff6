package pyenv

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDaskPythonHasPinnedVersionsAndDaskCommand(t *testing.T) {
	py := DaskPython(t)
	if again := DaskPython(t); again != py {
		t.Fatalf("second call gave %s, first %s", again, py)
	}
	out, err := exec.Command(filepath.Join(filepath.Dir(py), "dask"), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("dask --version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), DaskVersion) {
		t.Fatalf("dask --version printed %q, want %s in it", out, DaskVersion)
	}
}
