package container_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/integration/pyenv"
	"github.com/spindle-yarn/spindle/nodeenv"
)

// TestNodeEnvRunsDaskOnThatPython: with python:///PATH, the scheduler runs
// as `PATH -m dask scheduler` (no dask on the runtime's PATH) and reports
// ready.
func TestNodeEnvRunsDaskOnThatPython(t *testing.T) {
	py := pyenv.DaskPython(t)
	am := newFakeAM(t, []byte("k"))
	cfg, logs := testConfig(t, am, container.RoleScheduler, "container_n1", "dask", "scheduler")
	cfg.NodeEnv = &nodeenv.URI{Kind: nodeenv.Python, Path: py}
	cfg.Environ = []string{"PATH=/nonexistent", "HOME=" + t.TempDir()}
	r := start(cfg)
	t.Cleanup(func() { r.stop(t, daskStop, logs) })
	am.waitReady(t, "container_n1", daskStart, logs)
	if l := logs.String(); !strings.Contains(l, py+" -m dask scheduler") {
		t.Fatalf("the scheduler did not run on %s:\n%s", py, l)
	}
}

// TestNodeEnvMissingIsFinal: an environment missing on the node ends the
// container at once with ExitEnvUnusable, the log naming the node and the
// path; a python without distributed too.
func TestNodeEnvMissingIsFinal(t *testing.T) {
	am := newFakeAM(t, []byte("k"))
	missing := filepath.Join(t.TempDir(), "no", "such", "venv")
	cfg, logs := testConfig(t, am, container.RoleWorker, "container_n2", "dask", "worker")
	cfg.NodeEnv = &nodeenv.URI{Kind: nodeenv.Venv, Path: missing}
	cfg.Host = "node7.example"
	if code := start(cfg).wait(t, time.Minute, logs); code != container.ExitEnvUnusable {
		t.Fatalf("exit code %d, want %d:\n%s", code, container.ExitEnvUnusable, logs)
	}
	l := logs.String()
	for _, want := range []string{container.EnvUnusableMsg, "node=node7.example", filepath.Join(missing, "bin", "python")} {
		if !strings.Contains(l, want) {
			t.Fatalf("log lacks %q:\n%s", want, l)
		}
	}
	if am.schedulerGets() != 0 {
		t.Fatalf("the runtime asked the AM for the scheduler before checking its environment")
	}

	// An interpreter without distributed (the system's /bin/sh stands in:
	// it cannot run `-c "import distributed"`).
	cfg2, logs2 := testConfig(t, am, container.RoleWorker, "container_n3", "dask", "worker")
	cfg2.NodeEnv = &nodeenv.URI{Kind: nodeenv.Python, Path: "/bin/sh"}
	if code := start(cfg2).wait(t, time.Minute, logs2); code != container.ExitEnvUnusable {
		t.Fatalf("exit code %d, want %d:\n%s", code, container.ExitEnvUnusable, logs2)
	}
	if !strings.Contains(logs2.String(), `/bin/sh -c \"import distributed\" failed`) {
		t.Fatalf("log does not say the import failed:\n%s", logs2)
	}
}

// TestConfigReadsNodeEnv: SPINDLE_NODE_ENV is read back checked, as the
// AM encoded it; a malformed one is a configuration error naming it.
func TestConfigReadsNodeEnv(t *testing.T) {
	for k, v := range map[string]string{
		"SPINDLE_AM_URL": "http://am:8080", "SPINDLE_SERVICE": "scheduler", "SPINDLE_ROLE": "scheduler",
		"SPINDLE_COMMAND": `["dask","scheduler"]`, "CONTAINER_ID": "container_1_0001_01_000002", "NM_HOST": "node1",
		"PWD": "/work/c", "HADOOP_TOKEN_FILE_LOCATION": writeTokenFile(t, []byte("k")),
	} {
		t.Setenv(k, v)
	}
	u := nodeenv.URI{Kind: nodeenv.Conda, Name: "analytics"}
	t.Setenv(container.EnvNodeEnv, nodeenv.Encode(u))
	cfg, err := container.ConfigFromEnv()
	if err != nil || cfg.NodeEnv == nil || *cfg.NodeEnv != u {
		t.Fatalf("ConfigFromEnv: %+v, %v; want NodeEnv %+v", cfg.NodeEnv, err, u)
	}
	t.Setenv(container.EnvNodeEnv, "cHl0aG9uOi8vcmVs") // python://rel
	if _, err := container.ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), container.EnvNodeEnv) {
		t.Fatalf("a malformed %s: %v", container.EnvNodeEnv, err)
	}
}
