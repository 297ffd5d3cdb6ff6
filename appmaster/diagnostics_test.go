package appmaster

import (
	"strings"
	"testing"
)

// TestDescribeExitPutsTheWholeCauseFirst: a worker whose environment lacks
// dask fails with the runtime's error naming the command and the whole
// PATH (long: the NodeManager's usercache folders). The diagnostic starts
// with that error, whole, and keeps the context after it; nothing in the
// middle is cut.
func TestDescribeExitPutsTheWholeCauseFirst(t *testing.T) {
	dir := "/tmp/hadoop-yarn/nm-local-dir/usercache/root/appcache/application_1764000000000_0007/container_1764000000000_0007_01_000002"
	path := strings.Repeat(dir+"/env/bin:", 8) + "/usr/local/bin:/usr/bin:/bin"
	cause := `time=2026-11-26T01:17:30.300Z level=ERROR msg="exiting: cannot start the scheduler" err="start child: command \"dask\" not found on PATH \"` +
		path + `\": install it in the environment or give its path in the command"`
	stderr := "time=2026-11-26T01:17:30.100Z level=INFO msg=starting app=application_1764000000000_0007\n" + cause +
		"\nspindle: container exits with code 1 (see the log lines above)\n"
	exit := "[2026-11-26 01:17:30.314]Container exited with a non-zero exit code 1. Error file: prelaunch.err.\n" +
		"Last 4096 bytes of prelaunch.err :\nLast 4096 bytes of stderr :\n" + stderr + "\n\n"
	diag := "[2026-11-26 01:17:30.313]Exception from container-launch.\nContainer id: container_1764000000000_0007_01_000002\nExit code: 1\n\n" +
		exit + exit // the NodeManager repeats its exit block

	got := describeExit(diag)
	if !strings.HasPrefix(got, cause) {
		t.Fatalf("the cause is not first and whole:\n got  %q\n want it to start with %q", got, cause)
	}
	for _, want := range []string{"level=INFO msg=starting", "spindle: container exits with code 1", "Exception from container-launch.", "Exit code: 1", "Error file: prelaunch.err."} {
		if !strings.Contains(got[len(cause):], want) {
			t.Errorf("context %q missing after the cause in %q", want, got)
		}
	}
	if strings.Contains(got, "…") || strings.Contains(got, "\n") || strings.Count(got, path) != 1 {
		t.Errorf("want one line holding the PATH exactly once and no cut: %q", got)
	}
}

func TestDescribeExitPythonTraceback(t *testing.T) {
	d := "[2026-11-26 01:17:30.313]Exception from container-launch.\nContainer id: c\nExit code: 1\n\n" +
		"[2026-11-26 01:17:30.314]Container exited with a non-zero exit code 1. Last 4096 bytes of stderr :\n" +
		"Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: bad option\n"
	got := describeExit(d)
	want := `ValueError: bad option (its stderr: Traceback (most recent call last): | File "x.py", line 1; NodeManager: [2026-11-26 01:17:30.313]Exception from container-launch. Container id: c Exit code: 1 [2026-11-26 01:17:30.314]Container exited with a non-zero exit code 1.)`
	if got != want {
		t.Fatalf("describeExit:\n got  %q\n want %q", got, want)
	}
}

// TestDescribeExitKeepsWhatFollowsTheStderr: a NodeManager block after the
// quoted stderr stays, in the context.
func TestDescribeExitKeepsWhatFollowsTheStderr(t *testing.T) {
	d := "[2026-11-26 01:17:30.314]Container exited with a non-zero exit code 1. Last 4096 bytes of stderr :\nboom\n\n[2026-11-26 01:17:31.000]Container killed on request. Exit code is 143\n"
	got := describeExit(d)
	if !strings.HasPrefix(got, "boom (") || !strings.Contains(got, "Container killed on request. Exit code is 143") {
		t.Fatalf("describeExit = %q", got)
	}
}

func TestDescribeExitWithoutStderrKeepsEverything(t *testing.T) {
	d := "Container killed on request. Exit code is 137\nContainer exited with a non-zero exit code 137. \nKilled by external signal\n" + strings.Repeat("x", 2000)
	got := describeExit(d)
	if !strings.HasPrefix(got, "Container killed on request. Exit code is 137 Container exited") || !strings.HasSuffix(got, strings.Repeat("x", 2000)) {
		t.Fatalf("describeExit = %q", got)
	}
}

// FuzzDescribeExit: whatever a NodeManager sends, describeExit gives one
// line and loses none of its words.
func FuzzDescribeExit(f *testing.F) {
	f.Add("[2026-11-26 01:17:30.313]Exception from container-launch.\nExit code: 1\n\n[2026-11-26 01:17:30.314]Container exited with a non-zero exit code 1. Last 4096 bytes of stderr :\nlevel=ERROR msg=boom\nspindle: container exits with code 1 (see the log lines above)\n")
	f.Add("Last 1 bytes of stderr :\n[2026-01-01 00:00:00]x\nLast 2 bytes of stderr :")
	f.Add("Container killed on request. Exit code is 137")
	f.Fuzz(func(t *testing.T, diag string) {
		got := describeExit(diag)
		if strings.Contains(got, "\n") {
			t.Fatalf("%q has several lines", got)
		}
		words := diag
		if locs := stderrTail.FindAllStringIndex(diag, -1); len(locs) > 0 {
			// Earlier repeats of the quoted stderr may go; the last one,
			// and what follows it, stay.
			words = diag[locs[len(locs)-1][1]:]
		}
		for _, w := range strings.Fields(words) {
			if !strings.Contains(got, w) {
				t.Fatalf("word %q of %q lost in %q", w, diag, got)
			}
		}
	})
}
