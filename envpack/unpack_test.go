package envpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type tent struct {
	name, link, body string
	typ              byte
}

func mkTar(t testing.TB, gz bool, ents ...tent) []byte {
	t.Helper()
	var buf bytes.Buffer
	var tw *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(&buf)
	}
	for _, e := range ents {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body))}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(e.body))
		}
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

// checkContained fails if anything exists in sandbox besides dest, or if a
// link under dest resolves outside it.
func checkContained(t testing.TB, sandbox, dest string) {
	t.Helper()
	ents, _ := os.ReadDir(sandbox)
	for _, e := range ents {
		if filepath.Join(sandbox, e.Name()) != dest {
			t.Fatalf("unpack wrote %s outside its destination", e.Name())
		}
	}
	realDest, err := filepath.EvalSymlinks(dest)
	if err != nil {
		return
	}
	filepath.Walk(dest, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.Mode()&os.ModeSymlink == 0 {
			return nil
		}
		if r, err := filepath.EvalSymlinks(p); err == nil && !within(realDest, r) && r != realDest {
			t.Fatalf("link %s resolves to %s, outside %s", p, r, realDest)
		}
		return nil
	})
}

func TestUnpackRefusesTraversal(t *testing.T) {
	for _, tc := range []struct {
		name string
		ents []tent
	}{
		{"dotdot", []tent{{name: "../evil", body: "x"}}},
		{"dotdot inside", []tent{{name: "a/../../evil", body: "x"}}},
		{"absolute", []tent{{name: "/tmp/evil", body: "x"}}},
		{"absolute link", []tent{{name: "l", link: "/etc", typ: tar.TypeSymlink}}},
		{"link up", []tent{{name: "l", link: "../..", typ: tar.TypeSymlink}}},
		{"link up from folder", []tent{{name: "d/l", link: "../../x", typ: tar.TypeSymlink}}},
		{"chained links", []tent{{name: "a", link: ".", typ: tar.TypeSymlink}, {name: "b", link: "a/..", typ: tar.TypeSymlink}}},
		{"chain via folder link", []tent{{name: "d/", typ: tar.TypeDir}, {name: "d/up", link: "..", typ: tar.TypeSymlink}, {name: "x", link: "d/up/..", typ: tar.TypeSymlink}}},
		{"write through link", []tent{{name: "l", link: "sub", typ: tar.TypeSymlink}, {name: "l/f", body: "x"}}},
		{"link then folder", []tent{{name: "l", link: "sub", typ: tar.TypeSymlink}, {name: "l/", typ: tar.TypeDir}}},
		{"file then link", []tent{{name: "f", body: "x"}, {name: "f", link: "sub", typ: tar.TypeSymlink}}},
		{"hard link", []tent{{name: "h", link: "../../etc/passwd", typ: tar.TypeLink}}},
		{"device", []tent{{name: "dev", typ: tar.TypeChar}}},
		{"fifo", []tent{{name: "p", typ: tar.TypeFifo}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, gz := range []bool{false, true} {
				sandbox := t.TempDir()
				dest := filepath.Join(sandbox, "dest")
				_, err := Unpack(context.Background(), bytes.NewReader(mkTar(t, gz, tc.ents...)), dest)
				if !errors.Is(err, ErrUnsafeArchive) {
					t.Fatalf("gzip=%v: want ErrUnsafeArchive, got %v", gz, err)
				}
				checkContained(t, sandbox, dest)
			}
		})
	}
}

func TestUnpackAcceptsInsideLinks(t *testing.T) {
	sandbox := t.TempDir()
	dest := filepath.Join(sandbox, "dest")
	data := mkTar(t, true,
		tent{name: "bin/", typ: tar.TypeDir},
		tent{name: "bin/python", link: "python3", typ: tar.TypeSymlink},
		tent{name: "bin/python3", link: "../.spindle-python/bin/python3.11", typ: tar.TypeSymlink},
		tent{name: ".spindle-python/bin/python3.11", body: "#!/bin/sh\n"},
		tent{name: "lib64", link: "lib", typ: tar.TypeSymlink},
		tent{name: "lib/x.py", body: "print(1)\n"},
		tent{name: "./", typ: tar.TypeDir},
	)
	m, err := Unpack(context.Background(), bytes.NewReader(data), dest)
	if err != nil || m != nil {
		t.Fatalf("unpack: %v, manifest %v", err, m)
	}
	if b, err := os.ReadFile(filepath.Join(dest, "lib64", "x.py")); err != nil || string(b) != "print(1)\n" {
		t.Fatalf("lib64/x.py: %q %v", b, err)
	}
	if r, err := filepath.EvalSymlinks(filepath.Join(dest, "bin", "python")); err != nil || !strings.HasSuffix(r, ".spindle-python/bin/python3.11") {
		t.Fatalf("bin/python -> %q %v", r, err)
	}
	// A non-empty destination is refused: nothing is unpacked over files.
	if _, err := Unpack(context.Background(), bytes.NewReader(data), dest); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("non-empty destination: %v", err)
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add(mkTar(f, false, tent{name: "a/b", body: "x"}, tent{name: "l", link: "a", typ: tar.TypeSymlink}))
	f.Add(mkTar(f, true, tent{name: "bin/python", link: "python3", typ: tar.TypeSymlink}, tent{name: ".spindle/env.json", body: `{"format":1,"kind":"venv"}`}))
	f.Add(mkTar(f, false, tent{name: "a", link: ".", typ: tar.TypeSymlink}, tent{name: "b", link: "a/..", typ: tar.TypeSymlink}))
	f.Add(mkTar(f, false, tent{name: "../x", body: "x"}))
	f.Add(mkTar(f, false, tent{name: "d/", typ: tar.TypeDir}, tent{name: "d/l", link: "../d/../..", typ: tar.TypeSymlink}))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		sandbox := t.TempDir()
		dest := filepath.Join(sandbox, "dest")
		_, _ = Unpack(context.Background(), bytes.NewReader(data), dest)
		checkContained(t, sandbox, dest)
	})
}
