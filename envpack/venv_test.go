package envpack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDaskVenvRelocates(t *testing.T) {
	src := daskVenv(t)
	before := treeDigest(t, src)
	tmp := t.TempDir()
	arch := filepath.Join(tmp, "env.tar.gz")
	start := time.Now()
	res := packTo(t, src, arch, Options{})
	t.Logf("packed %d entries, %d MB -> %d MB in %s", res.Entries, res.Content>>20, res.Size>>20, time.Since(start))
	if res.Manifest.Kind != KindVenv || !strings.HasPrefix(res.Manifest.PythonVersion, "3.") {
		t.Fatalf("manifest: %+v", res.Manifest)
	}
	if len(res.Manifest.ExternalLinks) == 0 {
		t.Fatalf("a venv's interpreter link should be recorded as external, manifest: %+v", res.Manifest)
	}
	res2 := packTo(t, src, filepath.Join(tmp, "again.tar.gz"), Options{})
	if res2.SHA256 != res.SHA256 {
		t.Fatalf("packing twice gave different archives: %s vs %s", res.SHA256, res2.SHA256)
	}

	dest := filepath.Join(tmp, "elsewhere", "copy")
	_, a := unpackAndActivate(t, arch, dest)
	// Bytecode writing on, so a stale .pyc would be visibly rewritten.
	env := a.Environ(withoutVar(os.Environ(), "PYTHONDONTWRITEBYTECODE"))
	out := run(t, env, tmp, filepath.Join(dest, "bin", "python"), "-c",
		"import sys, distributed; print(sys.prefix); print(distributed.__file__)")
	lines := strings.Fields(out)
	if len(lines) != 2 || lines[0] != dest || !strings.HasPrefix(lines[1], dest+"/") {
		t.Fatalf("unpacked copy imports from the wrong place: %q (want under %s)", out, dest)
	}
	// A console script, found through PATH as a user would run it.
	out = run(t, env, tmp, "/bin/sh", "-c", "dask --version")
	if !strings.Contains(out, "version") {
		t.Fatalf("dask --version printed %q", out)
	}
	// The script must run the copy's Python, not the original's.
	out = run(t, env, tmp, filepath.Join(dest, "bin", "pip"), "--version")
	if !strings.Contains(out, dest) {
		t.Fatalf("pip in the copy reports %q, want it under %s", out, dest)
	}
	// Bytecode stays valid: importing writes no new .pyc.
	pyc, _ := filepath.Glob(filepath.Join(dest, "lib", "python*", "site-packages", "distributed", "__pycache__", "client.*.pyc"))
	if len(pyc) == 0 {
		t.Fatal("no distributed/__pycache__/client.*.pyc in the copy")
	}
	st, _ := os.Stat(pyc[0])
	if !st.ModTime().Equal(archiveTime) {
		t.Fatalf("%s was rewritten at import (mtime %s): the .pyc headers do not match the fixed source times", pyc[0], st.ModTime())
	}
	if after := treeDigest(t, src); after != before {
		t.Fatal("packing changed the original environment")
	}
	// Activating again at the same place is a no-op.
	if _, err := Activate(context.Background(), dest); err != nil {
		t.Fatal(err)
	}
}

func TestDaskVenvStandalone(t *testing.T) {
	src := daskVenv(t)
	tmp := t.TempDir()
	arch := filepath.Join(tmp, "env.tar.gz")
	start := time.Now()
	res := packTo(t, src, arch, Options{Standalone: true})
	t.Logf("standalone: %d entries, %d MB -> %d MB in %s", res.Entries, res.Content>>20, res.Size>>20, time.Since(start))
	if len(res.Manifest.ExternalLinks) != 0 || !res.Manifest.Standalone {
		t.Fatalf("standalone manifest: %+v", res.Manifest)
	}
	check := func(dest string) {
		t.Helper()
		a, err := Activate(context.Background(), dest)
		if err != nil {
			t.Fatal(err)
		}
		if a.Set["PYTHONHOME"] != filepath.Join(dest, BaseDir) {
			t.Fatalf("PYTHONHOME %q", a.Set["PYTHONHOME"])
		}
		script := `import sys, os, distributed
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "libpython" in l})
print(sys.prefix); print(sys.base_prefix); print(os.path.realpath(sys._base_executable)); print(distributed.__file__); print(",".join(libs))`
		// With the activation's variables, and with PATH alone (pyvenv.cfg
		// must lead to the bundled base by itself too).
		for _, env := range [][]string{a.Environ(os.Environ()), {"PATH=" + filepath.Join(dest, "bin") + ":/usr/bin:/bin"}} {
			out := strings.Split(strings.TrimSpace(run(t, env, tmp, filepath.Join(dest, "bin", "python"), "-c", script)), "\n")
			base := filepath.Join(dest, BaseDir)
			if len(out) != 5 || out[0] != dest || out[1] != base || !strings.HasPrefix(out[2], base+"/") || !strings.HasPrefix(out[3], dest+"/lib/") {
				t.Fatalf("standalone copy at %s runs %q", dest, out)
			}
			for _, l := range strings.Split(out[4], ",") {
				if l != "" && !strings.HasPrefix(l, base+"/") {
					t.Fatalf("standalone copy loaded %s from outside its bundle", l)
				}
			}
		}
		run(t, a.Environ(os.Environ()), tmp, "/bin/sh", "-c", "dask --version")
	}
	dest := filepath.Join(tmp, "a")
	unpackAndActivate(t, arch, dest)
	check(dest)
	// Moved again after activation: Activate re-fixes it for the new place.
	moved := filepath.Join(tmp, "moved-further", "b")
	os.MkdirAll(filepath.Dir(moved), 0o755)
	if err := os.Rename(dest, moved); err != nil {
		t.Fatal(err)
	}
	check(moved)
}

func TestFingerprintDaskVenvFast(t *testing.T) {
	src := daskVenv(t)
	fp1, err := Fingerprint(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	fp2, err := Fingerprint(src, Options{})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if fp1 != fp2 {
		t.Fatal("fingerprint of an unchanged env changed")
	}
	t.Logf("fingerprint of unchanged dask venv: %s", took)
	if took > time.Second {
		t.Fatalf("fingerprint took %s, want under 1s", took)
	}
	fps, err := Fingerprint(src, Options{Standalone: true})
	if err != nil || fps == fp1 {
		t.Fatalf("standalone fingerprint %q (err %v) must differ from %q", fps, err, fp1)
	}
}

func withoutVar(env []string, key string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}
