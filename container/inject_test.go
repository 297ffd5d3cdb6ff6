package container_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/launchenv"
)

// The spec's env, as the AM encodes it, reaches the Dask process byte for
// byte, and its encoding does not.
func TestUserEnvReachesTheChildVerbatim(t *testing.T) {
	env := map[string]string{
		"DQ": `"; touch x; "`, "SUBST": "$(touch x) `touch x`", "NL": "a\nb\r\n", "BS": `\\ \"`, "NM": "{{HOME}} <LOG_DIR> %PATH%",
		"UNI": "héllo ☃ \u2028", "EMPTY": "", "LONG": strings.Repeat("$x'\"", 5000), "DASK_SCHEDULER_ADDRESS": "user's own",
	}
	enc, err := launchenv.Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	am := newFakeAM(t, []byte("k"))
	// A scheduler that is still there: a worker exiting 0 then ends the
	// container instead of waiting for a new scheduler.
	sched := liveScheduler(t)
	am.setScheduler(sched, "", 1)
	cmd, out, wd := runtimeProcessEnv(t, am, []string{launchenv.UserEnvVar + "=" + enc, "DASK_SCHEDULER_ADDRESS=" + sched}, "10s", "sh", "-c", "exec env -0 > env.out")
	if code, _ := exitCodeOf(t, cmd, 60*time.Second, out); code != 0 {
		t.Fatalf("runtime exit %d; output:\n%s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(wd, "env.out"))
	if err != nil {
		t.Fatalf("the child wrote no environment: %v; output:\n%s", err, out)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			got[k] = v
		}
	}
	for k, v := range env {
		if got[k] != v {
			t.Errorf("child's %s = %.200q, want %.200q", k, got[k], v)
		}
	}
	if _, ok := got[launchenv.UserEnvVar]; ok {
		t.Errorf("the child sees %s", launchenv.UserEnvVar)
	}
}

// A SPINDLE_USER_ENV the runtime cannot read stops it before any child
// starts, saying what is wrong.
func TestMalformedUserEnvIsARuntimeError(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	cmd, out, wd := runtimeProcessEnv(t, am, []string{launchenv.UserEnvVar + "=not base64!"}, "10s", "sh", "-c", "touch started")
	if code, _ := exitCodeOf(t, cmd, 60*time.Second, out); code != 1 || !strings.Contains(out.String(), "malformed "+launchenv.UserEnvVar+": not base64") {
		t.Fatalf("exit %d, want 1 naming the variable; output:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(wd, "started")); err == nil {
		t.Fatal("the child started despite the malformed environment")
	}
}
