package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/spindle-yarn/spindle/cli"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// spindleBinary builds the static spindle binary that submit ships to YARN
// (the test binary itself is not spindle).
func spindleBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..")
		dir, err := os.MkdirTemp("", "spindle-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "spindle")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/spindle")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build spindle: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// spindle runs a spindle command in-process against the local cluster, as
// a user's shell would.
type result struct {
	code           int
	stdout, stderr string
}

func spindle(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	var o, e bytes.Buffer
	code := cli.MainContext(ctx, args, strings.NewReader(""), &o, &e)
	t.Logf("spindle %s → exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, o.String(), e.String())
	return result{code: code, stdout: o.String(), stderr: e.String()}
}

// useCluster points HADOOP_CONF_DIR and ~/.spindle at the local cluster and
// a temporary folder for this test.
func useCluster(t *testing.T) {
	c := hadoop.Get(t)
	t.Setenv("HADOOP_CONF_DIR", c.ConfDir)
	t.Setenv("YARN_CONF_DIR", "")
	t.Setenv("SPINDLE_HOME", t.TempDir())
}
