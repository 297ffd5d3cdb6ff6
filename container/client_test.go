package container_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
)

// A client runs its command once with DASK_SCHEDULER_ADDRESS, its
// arguments as given and the control secret in SPINDLE_SECRET_FILE; when
// it ends, the AM learns its exit code and its last 20 stderr lines, and
// the runtime exits with the code.
func TestClientRunsOnceAndReportsItsEnd(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	am := newFakeAM(t, secret)
	am.setScheduler("tcp://127.0.0.1:9", "", 1)
	script := `echo "addr=$DASK_SCHEDULER_ADDRESS arg=[$1]"; echo "secret=$(cat "$SPINDLE_SECRET_FILE")"
i=1; while [ $i -le 30 ]; do echo "err$i" >&2; i=$((i+1)); done; exit 3`
	cfg, logs := testConfig(t, am, container.RoleClient, "container_1_0001_01_000004", "/bin/sh", "-c", script, "sh", `a "b" $(c)`)
	code := start(cfg).wait(t, time.Minute, logs)
	if code != 3 {
		t.Fatalf("exit %d, want the script's 3; log:\n%s", code, logs)
	}
	out := logs.String()
	for _, want := range []string{"addr=tcp://127.0.0.1:9 arg=[a \"b\" $(c)]", "secret=" + hex.EncodeToString(secret)} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
	am.mu.Lock()
	exits := am.exits["container_1_0001_01_000004"]
	am.mu.Unlock()
	if len(exits) != 1 || exits[0].ExitCode != 3 {
		t.Fatalf("exit reports %+v, want one with code 3", exits)
	}
	lines := strings.Split(exits[0].StderrTail, "\n")
	if len(lines) != container.TailLines || lines[0] != "err11" || lines[len(lines)-1] != "err30" {
		t.Fatalf("stderr tail %q, want err11..err30", exits[0].StderrTail)
	}
}

// A stopped client is no end the AM needs to hear of: it stopped it.
func TestClientStoppedDoesNotReport(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	am := newFakeAM(t, secret)
	am.setScheduler("tcp://127.0.0.1:9", "", 1)
	cfg, logs := testConfig(t, am, container.RoleClient, "container_1_0001_01_000005", "/bin/sh", "-c", "echo started; exec sleep 600")
	r := start(cfg)
	waitFor(t, time.Minute, "the script to start", func() bool { return strings.Contains(logs.String(), "started") }, logs)
	if code := r.stop(t, time.Minute, logs); code != 128+15 {
		t.Fatalf("exit %d after a stop, want 143", code)
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	if n := len(am.exits["container_1_0001_01_000005"]); n != 0 {
		t.Fatalf("a stopped script reported its end %d times", n)
	}
}

func TestLastLines(t *testing.T) {
	if got := container.LastLines("a\n\n b\r\nc\n", 2); got != " b\nc" {
		t.Fatalf("%q", got)
	}
}

// The script's SPINDLE_SCHEDULER_FILE names the scheduler, and is
// rewritten when the AM reports it elsewhere (restarted on another node),
// while DASK_SCHEDULER_ADDRESS keeps the first.
func TestClientSchedulerFileFollowsTheScheduler(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	am := newFakeAM(t, secret)
	am.setScheduler("tcp://127.0.0.1:9", "", 1)
	script := `echo "first $(cat "$SPINDLE_SCHEDULER_FILE")"
i=0; while ! grep -q 127.0.0.1:10 "$SPINDLE_SCHEDULER_FILE"; do
  i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.1
done
echo "then $(cat "$SPINDLE_SCHEDULER_FILE") env $DASK_SCHEDULER_ADDRESS"`
	cfg, logs := testConfig(t, am, container.RoleClient, "container_1_0001_01_000006", "/bin/sh", "-c", script)
	r := start(cfg)
	waitFor(t, time.Minute, "the script to start", func() bool { return strings.Contains(logs.String(), "first ") }, logs)
	am.setScheduler("tcp://127.0.0.1:10", "", 2)
	if code := r.wait(t, time.Minute, logs); code != 0 {
		t.Fatalf("exit %d: the scheduler file never named the new scheduler; log:\n%s", code, logs)
	}
	out := logs.String()
	for _, want := range []string{`first {"address":"tcp://127.0.0.1:9","type":"Scheduler"}`,
		`then {"address":"tcp://127.0.0.1:10","type":"Scheduler"} env tcp://127.0.0.1:9`} {
		if !strings.Contains(out, want) {
			t.Fatalf("output lacks %q:\n%s", want, out)
		}
	}
}
