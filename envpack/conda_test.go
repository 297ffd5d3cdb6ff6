package envpack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeCondaEnv builds a conda-style environment at prefix the way conda
// leaves one after install: placeholders already replaced by prefix, and
// conda-meta records naming the files that carry it.
func makeCondaEnv(t *testing.T, prefix string) {
	t.Helper()
	write := func(rel string, data []byte, mode os.FileMode) {
		p := filepath.Join(prefix, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	// A stand-in interpreter: a shell script that answers the start check.
	write("bin/python", []byte("#!/bin/sh\necho ok\n"), 0o755)
	write("lib/python3.11/os.py", []byte("# stdlib\n"), 0o644)
	write("etc/tool.conf", []byte("root="+prefix+"\ndata="+prefix+"/share/tool\n"), 0o644)
	write("bin/tool", []byte("#!"+prefix+"/bin/python\nimport tool\n"), 0o755)
	bin := append([]byte("\x7fELF-not-really\x00"), prefix+"/lib\x00"...)
	bin = append(bin, "RPATH="+prefix+"/lib:"+prefix+"/lib64\x00tail"...)
	write("lib/libtool.so", bin, 0o755)
	write("share/tool/plain.txt", []byte("no prefix here\n"), 0o644)
	rec := map[string]any{
		"name": "tool", "version": "1.0",
		"paths_data": map[string]any{"paths_version": 1, "paths": []map[string]any{
			{"_path": "etc/tool.conf", "path_type": "hardlink", "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3", "file_mode": "text", "size_in_bytes": 60},
			{"_path": "bin/tool", "path_type": "hardlink", "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3", "file_mode": "text", "size_in_bytes": 50},
			{"_path": "lib/libtool.so", "path_type": "hardlink", "prefix_placeholder": "/opt/anaconda1anaconda2anaconda3", "file_mode": "binary", "size_in_bytes": len(bin)},
			{"_path": "share/tool/plain.txt", "path_type": "hardlink", "size_in_bytes": 15},
		}},
	}
	b, _ := json.Marshal(rec)
	write("conda-meta/tool-1.0-0.json", b, 0o644)
	py, _ := json.Marshal(map[string]any{"name": "python", "version": "3.11.7", "files": []string{"bin/python", "lib/python3.11/os.py"}})
	write("conda-meta/python-3.11.7-0.json", py, 0o644)
	write("conda-meta/history", []byte("==> 2024-01-01 <==\n"), 0o644)
}

func TestCondaRelocatesTextAndBinary(t *testing.T) {
	tmp := t.TempDir()
	prefix := filepath.Join(tmp, "envs", "conda-env-with-a-long-name-"+strings.Repeat("x", 30))
	makeCondaEnv(t, prefix)
	env, err := Inspect(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if env.Kind != KindConda || env.PythonVersion != "3.11.7" || len(env.Problems) != 0 {
		t.Fatalf("inspect: %+v", env)
	}
	origBin, _ := os.ReadFile(filepath.Join(prefix, "lib/libtool.so"))
	arch := filepath.Join(tmp, "env.tar.gz")
	res := packTo(t, prefix, arch, Options{})
	modes := map[string]FixupMode{}
	for _, f := range res.Manifest.Fixups {
		modes[f.Path] = f.Mode
	}
	if modes["etc/tool.conf"] != FixupText || modes["lib/libtool.so"] != FixupBinary {
		t.Fatalf("fixups: %+v", res.Manifest.Fixups)
	}
	dest := filepath.Join(tmp, "d")
	_, a := unpackAndActivate(t, arch, dest)
	if a.Set["CONDA_PREFIX"] != dest || a.Kind != KindConda {
		t.Fatalf("activation: %+v", a)
	}
	conf, _ := os.ReadFile(filepath.Join(dest, "etc/tool.conf"))
	if want := "root=" + dest + "\ndata=" + dest + "/share/tool\n"; string(conf) != want {
		t.Fatalf("text fix-up: got %q want %q", conf, want)
	}
	got, _ := os.ReadFile(filepath.Join(dest, "lib/libtool.so"))
	if len(got) != len(origBin) {
		t.Fatalf("binary fix-up changed the size: %d -> %d", len(origBin), len(got))
	}
	wantBin, _, _ := replaceBinary(origBin, prefix, dest)
	if !bytes.Equal(got, wantBin) || !bytes.Contains(got, []byte(dest+"/lib\x00\x00")) ||
		!bytes.Contains(got, []byte("RPATH="+dest+"/lib:"+dest+"/lib64\x00")) || bytes.Contains(got, []byte(prefix)) {
		t.Fatalf("binary fix-up: %q", got)
	}
	// The script's shebang no longer names any absolute prefix.
	tool, _ := os.ReadFile(filepath.Join(dest, "bin/tool"))
	if bytes.Contains(tool, []byte(prefix)) || !bytes.HasPrefix(tool, []byte("#!/bin/sh\n'''exec'")) {
		t.Fatalf("bin/tool: %q", tool)
	}
	// A destination longer than the packed prefix cannot hold binary strings.
	long := filepath.Join(tmp, strings.Repeat("y", len(prefix)))
	if _, err := UnpackFile(context.Background(), arch, long); err != nil {
		t.Fatal(err)
	}
	if _, err := Activate(context.Background(), long); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Fatalf("long destination: want a clear length error, got %v", err)
	}
}

func TestCondaChangedFilesRefused(t *testing.T) {
	tmp := t.TempDir()
	prefix := filepath.Join(tmp, "env")
	makeCondaEnv(t, prefix)
	os.WriteFile(filepath.Join(prefix, "share/tool/plain.txt"), []byte("overwritten by pip, longer\n"), 0o644)
	os.Remove(filepath.Join(prefix, "lib/python3.11/os.py"))
	_, err := PackFile(context.Background(), prefix, filepath.Join(tmp, "a.tar.gz"), Options{})
	var nr *NotRelocatableError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "share/tool/plain.txt") || !strings.Contains(err.Error(), "lib/python3.11/os.py") {
		t.Fatalf("want a refusal naming the changed and removed files, got %v", err)
	}
	res, err := PackFile(context.Background(), prefix, filepath.Join(tmp, "a.tar.gz"), Options{Force: true})
	if err != nil || len(res.Manifest.Forced) != 2 {
		t.Fatalf("forced pack: %v %+v", err, res)
	}
}
