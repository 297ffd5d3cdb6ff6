package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/integration/pyenv"
)

// hostileCorpus are values a shell would act on, each aimed at its own
// marker file under dir; the NodeManager writes launch_container.sh
// unescaped, so any of them reaching it verbatim creates its marker.
func hostileCorpus(dir string) map[string]string {
	m := func(n int) string { return filepath.Join(dir, fmt.Sprintf("marker%d", n)) }
	return map[string]string{
		"DQUOTE":    fmt.Sprintf(`"; touch %s; echo "`, m(1)),
		"SUBST":     fmt.Sprintf(`$(touch %s)`, m(2)),
		"BACKTICK":  fmt.Sprintf("`touch %s`", m(3)),
		"NEWLINE":   fmt.Sprintf("a\ntouch %s\n\"\ntouch %s\n", m(4), m(5)),
		"SQUOTE":    fmt.Sprintf(`'; touch %s; '`, m(6)),
		"BACKSLASH": fmt.Sprintf(`\"; touch %s; \`, m(7)),
		"SEMICOLON": fmt.Sprintf(`;touch %s;`, m(8)),
		"OPERATORS": fmt.Sprintf(`x && touch %s || touch %s | cat > %s &`, m(9), m(9), m(10)),
		"DOLLAR":    `$HOME ${HOME} $0 $$ $? $@ $1`,
		"NM_SYNTAX": `{{HOME}} {{PWD}} <LOG_DIR> <CPS> <ADD_OPENS> %PATH% %s %% {} }}`,
		"UNICODE":   "héllo wörld ☃ 日本語 \u2028 \u00a0 🙂",
		"GLOB":      `* ?.txt [a-z]* ~ ~root !! !$`,
		"SPACES":    "  leading and trailing\tspaces  ",
		"EMPTY":     "",
		"CR":        "a\rb\r\n",
		"LONG":      strings.Repeat(fmt.Sprintf(`"$(touch %s)"`, m(11)), 40000/len(m(11))),
		"_lower_9":  fmt.Sprintf(`") ; touch %s #`, m(12)),
	}
}

// TestUserStringsReachTheProcessVerbatim: a spec's env values, whatever
// they hold, arrive byte for byte in the Dask scheduler's and workers'
// environments, and nothing in them runs: no marker file appears. A file
// with an unusual (allowed) name arrives under that name, and a preload
// script passed as an argument arrives as written.
func TestUserStringsReachTheProcessVerbatim(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	py := pyenv.DaskPython(t)
	dir := t.TempDir()
	markers := filepath.Join(dir, "markers")
	if err := os.Mkdir(markers, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(markers, 0o777) // containers may run as another user
	defer noMarkers(t, markers)
	corpus := hostileCorpus(markers)
	env := map[string]string{"PATH": filepath.Dir(py) + ":/usr/bin:/bin"}
	for k, v := range corpus {
		env[k] = v
	}
	envJSON, _ := json.Marshal(env) // JSON is YAML: the values go in exactly

	const fileName = "a+b,c=d@e-1.txt"
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, []byte("shipped"), 0o644)
	// Dask runs a --preload that is not a module or a file as a script.
	preload := fmt.Sprintf("import os\n# \"$(touch %[1]s/p1)\" `touch %[1]s/p2` '; touch %[1]s/p3; ' \\\n"+
		"SRC = open(__file__).read()\ndef dask_setup(worker):\n    worker.spindle_preload = SRC\n", markers)
	args, _ := json.Marshal([]string{"--preload", preload})
	files, _ := json.Marshal(map[string]string{fileName: data})

	spec := filepath.Join(dir, "spec.yaml")
	y := fmt.Sprintf(`name: inject
scheduler: {resources: {memory: 512MiB}, env: %s}
workers:
  - {name: worker, instances: 1, resources: {memory: 512MiB}, env: %s, args: %s, files: %s}
`, envJSON, envJSON, args, files)
	os.WriteFile(spec, []byte(y), 0o644)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	sub := submitWait(t, ctx, "--binary", bin, spec)
	defer spindle(t, context.Background(), "kill", sub.AppID)

	script := fmt.Sprintf(`
import json, os, sys
from distributed import Client
c = Client(sys.argv[1], timeout=60)
c.wait_for_workers(1, timeout=180)
print(json.dumps({
    "scheduler": c.run_on_scheduler(lambda: dict(os.environ)),
    "workers": list(c.run(lambda: dict(os.environ)).values()),
    "files": list(c.run(lambda: open(%q).read()).values()),
    "preloads": list(c.run(lambda dask_worker: dask_worker.spindle_preload).values()),
}))
`, fileName)
	out, err := exec.CommandContext(ctx, py, "-c", script, sub.Address).Output()
	if err != nil {
		t.Fatalf("dask client: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var got struct {
		Scheduler map[string]string   `json:"scheduler"`
		Workers   []map[string]string `json:"workers"`
		Files     []string            `json:"files"`
		Preloads  []string            `json:"preloads"`
	}
	mustJSON(t, lines[len(lines)-1], &got)
	if len(got.Workers) != 1 || len(got.Files) != 1 || len(got.Preloads) != 1 {
		t.Fatalf("want one worker's answers, got %d environments, %d files, %d preloads", len(got.Workers), len(got.Files), len(got.Preloads))
	}
	keys := make([]string, 0, len(corpus))
	for k := range corpus {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for who, e := range map[string]map[string]string{"scheduler": got.Scheduler, "worker": got.Workers[0]} {
		for _, k := range keys {
			if v, ok := e[k]; !ok || v != corpus[k] {
				t.Errorf("%s: %s = %.300q (set %v), want %.300q", who, k, v, ok, corpus[k])
			}
		}
	}
	if got.Files[0] != "shipped" {
		t.Errorf("file %s on the worker holds %q, want %q", fileName, got.Files[0], "shipped")
	}
	if got.Preloads[0] != preload {
		t.Errorf("the worker's --preload argument arrived as\n%q\nwant\n%q", got.Preloads[0], preload)
	}
	if r := spindle(t, ctx, "stop", "--wait", sub.AppID); r.code != 0 {
		t.Fatalf("stop: exit %d", r.code)
	}
}

// submitted is what `spindle submit --wait --json` prints.
type submitted struct {
	AppID     string `json:"app_id"`
	Address   string `json:"scheduler_address"`
	Dashboard string `json:"dashboard_address"`
}

// submitWait submits and waits for the scheduler's address; any failure
// ends the test. The test's cleanup kills the application.
func submitWait(t *testing.T, ctx context.Context, args ...string) submitted {
	t.Helper()
	r := spindle(t, ctx, append([]string{"submit", "--wait", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("submit --wait: exit %d", r.code)
	}
	var sub submitted
	mustJSON(t, r.stdout, &sub)
	t.Cleanup(func() { spindle(t, context.Background(), "kill", sub.AppID) })
	return sub
}

// noMarkers fails the test if any marker file exists: every launch script
// has run by the time it is called, and nothing in them may have acted.
func noMarkers(t *testing.T, markers string) {
	t.Helper()
	left, err := os.ReadDir(markers)
	if err != nil {
		t.Fatalf("read the marker folder: %v", err)
	}
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Errorf("user strings ran as shell code: marker files created: %v", names)
	}
}

// TestHostileNamesRejectedAtSubmit: env names, file names, hdfs:// file
// names and user names that the NodeManager's script would interpret are
// refused before anything is submitted (exit 2), naming the key and the
// rule; nothing runs.
func TestHostileNamesRejectedAtSubmit(t *testing.T) {
	useCluster(t)
	bin := spindleBinary(t)
	dir := t.TempDir()
	markers := filepath.Join(dir, "markers")
	os.Mkdir(markers, 0o777)
	data := filepath.Join(dir, "data.txt")
	os.WriteFile(data, []byte("x"), 0o644)
	m := func(n string) string { return filepath.Join(markers, n) }
	cases := []struct {
		name, workers, want string
		top                 string // more top-level YAML
		userEnv             string // HADOOP_USER_NAME
	}{
		{name: "env key with dash", workers: `{env: {"A-B": x}}`, want: `workers[worker].env: "A-B": not a valid environment variable name`},
		{name: "env key leading digit", workers: `{env: {"1X": x}}`, want: `"1X": not a valid environment variable name: use letters, digits and _`},
		{name: "env key with substitution", workers: fmt.Sprintf(`{env: {"A$(touch %s)": x}}`, m("k1")), want: "not a valid environment variable name"},
		{name: "env key with quote", workers: fmt.Sprintf(`{env: {'A"; touch %s; "': x}}`, m("k2")), want: "not a valid environment variable name"},
		{name: "env key reserved", workers: `{env: {SPINDLE_COMMAND: x}}`, want: `"SPINDLE_COMMAND": not a valid environment variable name`},
		{name: "env value with NUL", workers: `{env: {A: "x\0y"}}`, want: "workers[worker].env.A: cannot be passed to a process as written: it holds a NUL byte"},
		{name: "env too large", workers: fmt.Sprintf(`{env: {A: %q}}`, strings.Repeat("x", 100<<10)), want: "workers[worker].env: environment too large"},
		{name: "file name with substitution", workers: fmt.Sprintf(`{files: {"$(touch %s)": %s}}`, m("f1"), data), want: "not a valid file name: use a plain file name"},
		{name: "file name with quote", workers: fmt.Sprintf(`{files: {'x"; touch %s; "': %s}}`, m("f2"), data), want: "not a valid file name"},
		{name: "file name with slash", workers: fmt.Sprintf(`{files: {"sub/x": %s}}`, data), want: `workers[worker].files.sub/x: "sub/x": not a valid file name`},
		// Only the file name reaches the script: YARN localizes into its own folders.
		{name: "hdfs file name", workers: `{files: {x: "hdfs:///tmp/a$(id).txt"}}`, want: `workers[worker].files.x.source: file name "a$(id).txt": would be interpreted`},
		{name: "hdfs file name percent-encoded", workers: `{files: {x: "hdfs:///tmp/a%24%28id%29"}}`, want: "would be interpreted by the NodeManager's launch script"},
		{name: "spec user", workers: `{}`, top: fmt.Sprintf(`user: "$(touch %s)"`, m("u1")), want: `user: "$(touch`},
		{name: "HADOOP_USER_NAME", workers: `{}`, userEnv: fmt.Sprintf("a`touch %s`", m("u2")), want: "user name"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.userEnv != "" {
				t.Setenv("HADOOP_USER_NAME", c.userEnv)
			}
			spec := filepath.Join(t.TempDir(), "spec.yaml")
			y := fmt.Sprintf("name: hostile\n%s\nworkers: [%s]\n", c.top, c.workers)
			os.WriteFile(spec, []byte(y), 0o644)
			r := spindle(t, ctx, "submit", "--binary", bin, spec)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				if id := strings.TrimSpace(r.stdout); id != "" {
					spindle(t, context.Background(), "kill", id)
				}
				t.Fatalf("exit %d, stderr %q; want exit 2 saying %q", r.code, r.stderr, c.want)
			}
			if id := strings.TrimSpace(r.stdout); id != "" {
				spindle(t, context.Background(), "kill", id)
				t.Fatalf("an application was submitted: %s", id)
			}
		})
	}
	noMarkers(t, markers)
}
