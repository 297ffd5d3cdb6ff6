package container_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
)

// A container whose application master stops answering (the AM killed with
// its NodeManager, so YARN is no longer there to stop the container) stops
// its Dask process and exits once the AM expiry has passed, while an AM that
// answers keeps it running past the same expiry.
func TestContainerStopsItsChildWhenTheAMIsGone(t *testing.T) {
	am := newFakeAM(t, []byte("s3cret"))
	am.setScheduler("tcp://127.0.0.1:1", "", 1)
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_orphan", "sh", "-c", "echo $$ > child.pid; exec sleep 600")
	cfg.AMExpiry = 5 * time.Second
	r := start(cfg)
	defer r.stop(t, 2*time.Minute, logs)

	pidFile := filepath.Join(cfg.WorkDir, "child.pid")
	var pid int
	waitFor(t, time.Minute, "the child to write its pid", func() bool {
		b, err := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && pid > 0
	}, logs)
	// Twice the expiry with an AM that answers: still running.
	deadline := time.Now().Add(2 * cfg.AMExpiry)
	for time.Now().Before(deadline) {
		if r.exited() {
			t.Fatalf("runtime exited while its AM answered; log:\n%s", logs)
		}
		time.Sleep(200 * time.Millisecond)
	}

	am.CloseClientConnections()
	am.Close()
	code := r.wait(t, 2*time.Minute, logs)
	if code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit code %d, want %d (the child stopped with SIGTERM); log:\n%s", code, 128+int(syscall.SIGTERM), logs)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("child %d still exists after the runtime exited (kill -0: %v)", pid, err)
	}
	if !strings.Contains(logs.String(), "application master unreachable") {
		t.Errorf("log does not say why the container stopped:\n%s", logs)
	}
}
