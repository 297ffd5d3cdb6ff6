package envpack

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// sharedDir holds environments built once per test binary (the dask venv
// takes a pip install); TestMain removes it.
var sharedDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "envpack-test-")
	if err != nil {
		panic(err)
	}
	sharedDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

func python3(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to build test environments and is not on PATH: install Python 3 (with venv and pip): %v", err)
	}
	return p
}

func run(t testing.TB, env []string, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// newVenv makes a small venv without pip (fast) at dir.
func newVenv(t testing.TB, dir string) string {
	t.Helper()
	run(t, os.Environ(), "", python3(t), "-m", "venv", "--without-pip", dir)
	return dir
}

var daskOnce sync.Once
var daskVenvDir string
var daskErr string

// daskVenv is a venv with dask and distributed from PyPI, built once.
func daskVenv(t testing.TB) string {
	t.Helper()
	daskOnce.Do(func() {
		py, err := exec.LookPath("python3")
		if err != nil {
			daskErr = "python3 is not on PATH: install Python 3 to run this test"
			return
		}
		dir := filepath.Join(sharedDir, "dask-venv")
		if out, err := exec.Command(py, "-m", "venv", dir).CombinedOutput(); err != nil {
			daskErr = "python3 -m venv failed: " + err.Error() + "\n" + string(out)
			return
		}
		cmd := exec.Command(filepath.Join(dir, "bin", "pip"), "install", "--disable-pip-version-check", "-q", "dask", "distributed")
		if out, err := cmd.CombinedOutput(); err != nil {
			daskErr = "pip install dask distributed failed (PyPI must be reachable): " + err.Error() + "\n" + string(out)
			return
		}
		daskVenvDir = dir
	})
	if daskErr != "" {
		t.Fatal(daskErr)
	}
	return daskVenvDir
}

func packTo(t testing.TB, src, out string, opts Options) *PackResult {
	t.Helper()
	res, err := PackFile(context.Background(), src, out, opts)
	if err != nil {
		t.Fatalf("pack %s: %v", src, err)
	}
	return res
}

func unpackAndActivate(t testing.TB, archive, dest string) (*Manifest, *Activation) {
	t.Helper()
	m, err := UnpackFile(context.Background(), archive, dest)
	if err != nil {
		t.Fatalf("unpack: %v", err)
	}
	a, err := Activate(context.Background(), dest)
	if err != nil {
		t.Fatalf("activate: %v", err)
	}
	return m, a
}

// treeDigest hashes names, modes and contents of a tree, to prove a
// folder was left untouched.
func treeDigest(t testing.TB, root string) string {
	t.Helper()
	var b bytes.Buffer
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p + " " + info.Mode().String() + " " + info.ModTime().String() + "\n")
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		if info.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			b.WriteString(l)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := sha256Bytes(b.Bytes())
	return s
}
