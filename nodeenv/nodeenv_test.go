package nodeenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]URI{
		"python:///usr/bin/python3":    {Kind: Python, Path: "/usr/bin/python3"},
		"conda:///opt/envs/analytics/": {Kind: Conda, Path: "/opt/envs/analytics"},
		"conda://analytics":            {Kind: Conda, Name: "analytics"},
		"conda://py3.11_x-y+z":         {Kind: Conda, Name: "py3.11_x-y+z"},
		"venv:///srv/venvs/dask":       {Kind: Venv, Path: "/srv/venvs/dask"},
		"venv:///a/../b/./c":           {Kind: Venv, Path: "/b/c"},
		// Shell text is only bytes of a path: it never reaches a shell.
		`venv:///tmp/$(touch x)/"q"`: {Kind: Venv, Path: `/tmp/$(touch x)/"q"`},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if !IsURI(in) {
			t.Errorf("IsURI(%q) = false", in)
		}
	}
	bad := []string{
		"python://usr/bin/python", // relative: two slashes
		"venv://venvs/x",
		"python:/usr/bin/python",
		"python:usr/bin/python",
		"Python:///usr/bin/python",
		"pyhton:///usr/bin/python",
		"s3://bucket/env.tar.gz",
		"python:///",
		"conda://",
		"conda://a/b",
		"conda://..",
		"conda://a b",
		"venv:///x\x00y",
		"venv:///" + strings.Repeat("a", MaxLen),
	}
	for _, in := range bad {
		if !IsURI(in) {
			t.Errorf("IsURI(%q) = false, want true (a malformed URI, not a path)", in)
		}
		_, err := Parse(in)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "python:///path/to/python") {
			t.Errorf("Parse(%q) = %v; want ErrMalformed listing the accepted forms", in, err)
		}
	}
	for _, notURI := range []string{"./venv", "/opt/venv", "env.tar.gz", "hdfs:///envs/e.tar.gz", ""} {
		if IsURI(notURI) {
			t.Errorf("IsURI(%q) = true, want false", notURI)
		}
	}
}

func TestEncodeDecode(t *testing.T) {
	for _, s := range []string{"python:///usr/bin/python3", "conda://analytics", `venv:///x/"$HOME"/{{y}}`} {
		u, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		enc := Encode(u)
		if strings.ContainsAny(enc, "\"$`\\{}\n") {
			t.Errorf("Encode(%q) = %q holds shell characters", s, enc)
		}
		got, err := Decode(enc)
		if err != nil || got != u {
			t.Errorf("Decode(Encode(%q)) = %+v, %v", s, got, err)
		}
	}
	for _, s := range []string{"not base64!", "cHl0aG9uOi8vcmVs" /* python://rel */} {
		if _, err := Decode(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q) = %v, want ErrMalformed", s, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(Encode(URI{Kind: Venv, Path: "/x"}))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Decode(s)
		if err != nil {
			return
		}
		if again, err := Parse(u.String()); err != nil || again != u {
			t.Fatalf("decoded %+v does not parse back: %+v, %v", u, again, err)
		}
	})
}

// script writes an executable shell script (a stand-in for python or
// conda) and returns its path.
func script(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	okPy := script(t, filepath.Join(dir, "ok", "bin", "python"), `[ "$1 $2" = '-c import distributed' ] && [ "$VIRTUAL_ENV" = "`+filepath.Join(dir, "ok")+`" ]`)
	noDist := script(t, filepath.Join(dir, "nodist", "bin", "python"), `echo "ModuleNotFoundError: No module named 'distributed'" >&2; exit 1`)

	use := func(s string) error {
		u, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Resolve(ctx, u, nil)
		if err != nil {
			return err
		}
		return Check(ctx, a, a.Environ([]string{"PATH=/usr/bin:/bin"}), dir)
	}
	if err := use("venv://" + filepath.Join(dir, "ok")); err != nil {
		t.Errorf("a venv whose python imports distributed: %v", err)
	}
	if err := use("python://" + okPy); err == nil {
		t.Errorf("python:// sets no VIRTUAL_ENV, so the fake python must fail: got no error")
	}
	err := use("python://" + noDist)
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), "No module named 'distributed'") || !strings.Contains(err.Error(), noDist) {
		t.Errorf("python without distributed: %v; want ErrUnusable with the path and Python's error", err)
	}
	missing := filepath.Join(dir, "no", "such", "env")
	err = use("conda://" + missing)
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), filepath.Join(missing, "bin", "python")) {
		t.Errorf("missing conda env: %v; want ErrUnusable naming its python", err)
	}
	err = use("venv://" + dir)
	if !errors.Is(err, ErrUnusable) {
		t.Errorf("a folder without bin/python: %v; want ErrUnusable", err)
	}
}

func TestCheckTimeoutIsNotUnusable(t *testing.T) {
	dir := t.TempDir()
	py := script(t, filepath.Join(dir, "bin", "python"), "exec sleep 30")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the check's deadline, already reached
	a, err := Resolve(ctx, URI{Kind: Python, Path: py}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = Check(ctx, a, nil, dir)
	if err == nil || errors.Is(err, ErrUnusable) {
		t.Fatalf("a check cut short: %v; want an error that is not ErrUnusable (the AM may retry)", err)
	}
}

func TestFindConda(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	envsA, envsB := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	script(t, filepath.Join(envsB, "analytics", "bin", "python"), "exit 0")
	env := []string{"CONDA_ENVS_PATH=" + envsA + ":" + envsB, "PATH=/nonexistent", "HOME=" + dir}
	got, err := findConda(ctx, "analytics", env)
	if err != nil || got != filepath.Join(envsB, "analytics") {
		t.Fatalf("findConda via CONDA_ENVS_PATH = %q, %v", got, err)
	}
	_, err = findConda(ctx, "other", env)
	if !errors.Is(err, ErrUnusable) || !strings.Contains(err.Error(), filepath.Join(envsA, "other")) || !strings.Contains(err.Error(), "no conda") {
		t.Fatalf("unknown name: %v; want ErrUnusable listing what was searched", err)
	}

	// conda on PATH is asked first.
	listed := filepath.Join(dir, "elsewhere", "ml")
	script(t, filepath.Join(listed, "bin", "python"), "exit 0")
	bin := filepath.Join(dir, "condabin")
	script(t, filepath.Join(bin, "conda"), fmt.Sprintf(`[ "$*" = "env list --json" ] && echo '{"envs": ["%s", "%s"]}'`, dir, listed))
	env = []string{"PATH=" + bin, "HOME=" + dir}
	if got, err := findConda(ctx, "ml", env); err != nil || got != listed {
		t.Fatalf("findConda via conda env list = %q, %v", got, err)
	}
	u, _ := Parse("conda://ml")
	a, err := Resolve(ctx, u, env)
	if err != nil || a.Prefix != listed || a.Set["CONDA_PREFIX"] != listed || a.Python != filepath.Join(listed, "bin", "python") {
		t.Fatalf("Resolve(conda://ml) = %+v, %v", a, err)
	}
}
