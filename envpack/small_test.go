package envpack

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPackDeterministic(t *testing.T) {
	tmp := t.TempDir()
	src := newVenv(t, filepath.Join(tmp, "venv"))
	os.WriteFile(filepath.Join(src, "lib", "data.txt"), []byte("x"), 0o644)
	var a, b bytes.Buffer
	if _, err := Pack(context.Background(), src, &a, Options{}); err != nil {
		t.Fatal(err)
	}
	// Times and the owner's view of files do not enter the archive.
	future := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(src, "lib", "data.txt"), future, future)
	os.Chtimes(filepath.Join(src, "pyvenv.cfg"), future, future)
	res, err := Pack(context.Background(), src, &b, Options{Level: DefaultLevel})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same content packed twice gave different bytes")
	}
	if res.Size != int64(b.Len()) || len(res.SHA256) != 64 {
		t.Fatalf("result %+v for %d bytes", res, b.Len())
	}
	// The fingerprint does see the new times.
	fp1, _ := Fingerprint(src, Options{})
	os.Chtimes(filepath.Join(src, "lib", "data.txt"), future, future.Add(time.Hour))
	fp2, _ := Fingerprint(src, Options{})
	if fp1 == fp2 {
		t.Fatal("fingerprint missed a changed file time")
	}
}

func TestEditableInstallRefused(t *testing.T) {
	tmp := t.TempDir()
	src := newVenv(t, filepath.Join(tmp, "venv"))
	sp, _ := filepath.Glob(filepath.Join(src, "lib", "python*", "site-packages"))
	if len(sp) != 1 {
		t.Fatalf("site-packages: %v", sp)
	}
	os.WriteFile(filepath.Join(sp[0], "__editable__.mypkg-0.1.pth"), []byte("import __editable___mypkg_0_1_finder; __editable___mypkg_0_1_finder.install()\n"), 0o644)
	os.WriteFile(filepath.Join(sp[0], "extra.pth"), []byte("/home/someone/src/otherpkg\n"), 0o644)
	_, err := Pack(context.Background(), src, new(bytes.Buffer), Options{})
	var nr *NotRelocatableError
	if !errors.As(err, &nr) || len(nr.Problems) != 2 || !strings.Contains(err.Error(), "editable") || !strings.Contains(err.Error(), "/home/someone/src/otherpkg") {
		t.Fatalf("want refusal of the editable install and the outside .pth, got %v", err)
	}
	res, err := Pack(context.Background(), src, new(bytes.Buffer), Options{Force: true})
	if err != nil || len(res.Manifest.Forced) != 2 {
		t.Fatalf("forced: %v", err)
	}
}

func TestMissingInterpreterRefused(t *testing.T) {
	tmp := t.TempDir()
	src := newVenv(t, filepath.Join(tmp, "venv"))
	for _, n := range []string{"python", "python3"} {
		os.Remove(filepath.Join(src, "bin", n))
		os.Symlink("/nonexistent/python-gone/bin/python3", filepath.Join(src, "bin", n))
	}
	_, err := Pack(context.Background(), src, new(bytes.Buffer), Options{})
	if err == nil || !strings.Contains(err.Error(), "missing") || !strings.Contains(err.Error(), "/nonexistent/python-gone") {
		t.Fatalf("want a missing-interpreter error, got %v", err)
	}
	if _, err := Inspect(tmp); !errors.Is(err, ErrNotEnvironment) {
		t.Fatalf("plain folder: %v", err)
	}
}

func TestActivateReportsBrokenPython(t *testing.T) {
	tmp := t.TempDir()
	src := newVenv(t, filepath.Join(tmp, "venv"))
	arch := filepath.Join(tmp, "a.tar.gz")
	res := packTo(t, src, arch, Options{})
	dest := filepath.Join(tmp, "dest")
	if _, err := UnpackFile(context.Background(), arch, dest); err != nil {
		t.Fatal(err)
	}
	// The node lacks the base interpreter: rewrite the recorded link target.
	mp := filepath.Join(dest, ManifestPath)
	b, _ := os.ReadFile(mp)
	b = bytes.ReplaceAll(b, []byte(`"target": "`+res.Manifest.ExternalLinks[0].Target), []byte(`"target": "/nonexistent/py/bin/python3`))
	os.WriteFile(mp, b, 0o644)
	_, err := Activate(context.Background(), dest)
	if err == nil || !strings.Contains(err.Error(), "--standalone") || !strings.Contains(err.Error(), res.Manifest.BaseInterpreter) {
		t.Fatalf("want a clear error naming the base interpreter and --standalone, got %v", err)
	}
}

func TestReplaceBinary(t *testing.T) {
	for _, tc := range []struct{ in, old, new, want string }{
		{"a/old/lib\x00b", "/old", "/n", "a/n/lib\x00\x00\x00b"},
		{"/old/x:/old/y\x00", "/old", "/ne", "/ne/x:/ne/y\x00\x00\x00"},
		{"none\x00", "/old", "/n", "none\x00"},
		{"/old-unterminated", "/old", "/n", "/old-unterminated"},
		{"/old\x00/old\x00", "/old", "/new", "/new\x00/new\x00"},
	} {
		got, _, err := replaceBinary([]byte(tc.in), tc.old, tc.new)
		if err != nil || string(got) != tc.want {
			t.Errorf("replaceBinary(%q, %q, %q) = %q, %v; want %q", tc.in, tc.old, tc.new, got, err, tc.want)
		}
	}
	if _, _, err := replaceBinary([]byte("x"), "/a", "/longer"); err == nil {
		t.Error("a longer prefix must be refused")
	}
}

func TestRewriteShebang(t *testing.T) {
	got := rewriteShebang([]byte("#!/env/bin/python3\nimport x\n"), "/env")
	want := "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")/python3\" \"$0\" \"$@\"\n' '''\nimport x\n"
	if string(got) != want {
		t.Fatalf("got %q", got)
	}
	for _, in := range []string{"#!/other/bin/python\n", "#!/env/bin/perl\n", "no shebang\n", "#!/env/bin/python"} {
		if rewriteShebang([]byte(in), "/env") != nil {
			t.Errorf("%q must be left alone", in)
		}
	}
}

func TestRelPathAndPycSource(t *testing.T) {
	for _, tc := range [][3]string{
		{"bin", ".spindle-python/bin/python3.11", "../.spindle-python/bin/python3.11"},
		{".spindle-python/lib/python3.11/lib-dynload", ".spindle-python/lib", "../.."},
		{".spindle-python/bin", ".spindle-python/lib", "../lib"},
		{"a", "a", "."},
	} {
		if got := relPath(tc[0], tc[1]); got != tc[2] {
			t.Errorf("relPath(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
	if s, ok := pycSource("pkg/__pycache__/mod.cpython-311.opt-1.pyc"); !ok || s != "pkg/mod.py" {
		t.Errorf("pycSource: %q %v", s, ok)
	}
	if _, ok := pycSource("pkg/mod.pyc"); ok {
		t.Error("a .pyc outside __pycache__ has no known source")
	}
}

func TestPatchRunpath(t *testing.T) {
	env, err := Inspect(newVenv(t, filepath.Join(t.TempDir(), "v")))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(env.BaseInterpreter)
	if err != nil {
		t.Fatal(err)
	}
	had := bytes.Contains(data, []byte(env.BasePrefix+"/lib\x00"))
	changed, stuck := patchRunpath(data, BaseDir+"/bin", env.BasePrefix, BaseDir)
	if !had {
		if changed {
			t.Fatal("patched an interpreter without a RUNPATH into its prefix")
		}
		// This interpreter has no RUNPATH: check the rewrite on a tiny ELF
		// built here with one, as a pyenv or python-build interpreter has.
		t.Logf("%s has no RUNPATH into %s: building an ELF that has one", env.BaseInterpreter, env.BasePrefix)
		const prefix = "/opt/python-builds/cpython-3.11.7"
		data = elfWithRunpath(t, prefix+"/lib")
		changed, stuck = patchRunpath(data, BaseDir+"/bin", prefix, BaseDir)
	}
	if !changed || len(stuck) != 0 || !bytes.Contains(data, []byte("$ORIGIN/../lib\x00")) {
		t.Fatalf("changed=%v stuck=%v", changed, stuck)
	}
}

// elfWithRunpath compiles a minimal C program whose DT_RUNPATH is runpath.
func elfWithRunpath(t *testing.T, runpath string) []byte {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "x.c")
	if err := os.WriteFile(src, []byte("int main(void) { return 0; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x")
	if b, err := exec.Command("cc", "-o", out, src, "-Wl,--enable-new-dtags,-rpath,"+runpath).CombinedOutput(); err != nil {
		t.Fatalf("build an ELF with a RUNPATH (needs a C compiler, cc): %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A venv reached through a symlink (./venv -> the real folder) packs as the
// folder: the same archive and fingerprint as packing the folder itself,
// with bin/python in it (not an archive holding only the link).
func TestPackThroughSymlink(t *testing.T) {
	tmp := t.TempDir()
	src := newVenv(t, filepath.Join(tmp, "real", "venv"))
	link := filepath.Join(tmp, "venv")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if _, err := Pack(context.Background(), src, &a, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Pack(context.Background(), link, &b, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("packing through the link gave %d bytes, the folder %d", b.Len(), a.Len())
	}
	fa, _ := Fingerprint(src, Options{})
	fb, _ := Fingerprint(link, Options{})
	if fa != fb {
		t.Fatal("the link's fingerprint differs from the folder's")
	}
}
