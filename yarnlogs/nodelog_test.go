package yarnlogs

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openFixture(t testing.TB, name string) *NodeLog {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewNodeLog(bytes.NewReader(b), int64(len(b)), fixtureApp, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// checkFixture compares a node log written by LogFixtureWriter with the
// contents it must hold.
func checkFixture(t *testing.T, l *NodeLog, big int) {
	t.Helper()
	checkFixtureSizes(t, l, big, 5000)
}

func checkFixtureSizes(t *testing.T, l *NodeLog, big, syslog int) {
	t.Helper()
	if l.Version != 1 || l.Owner != "fixture-owner" {
		t.Errorf("version %d owner %q", l.Version, l.Owner)
	}
	if l.ACLs["VIEW_APP"] != "viewer1 viewers" || l.ACLs["MODIFY_APP"] != " " || len(l.ACLs) != 2 {
		t.Errorf("ACLs %q", l.ACLs)
	}
	got, order, err := readAll(l)
	if err != nil {
		t.Fatal(err)
	}
	want := fixtureContainers(big, syslog)
	var wantOrder []string
	for _, c := range []string{"container_1700000000000_0042_01_000001", "container_1700000000000_0042_01_000002"} {
		for _, f := range want[c] {
			wantOrder = append(wantOrder, c+"/"+f.name)
			if g, w := got[c][f.name], content(c+"/"+f.name, f.size); g != w {
				t.Errorf("%s/%s: %d bytes, want %d (equal prefix: %v)", c, f.name, len(g), len(w), strings.HasPrefix(w, g))
			}
		}
	}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("files in order %v, want %v", order, wantOrder)
	}
}

func TestHadoopFixtures(t *testing.T) {
	t.Run("none", func(t *testing.T) { checkFixture(t, openFixture(t, "app-none.tfile"), 2000) })
	t.Run("gz", func(t *testing.T) { checkFixture(t, openFixture(t, "app-gz.tfile"), 1_500_000) })
}

func TestSkipping(t *testing.T) {
	// Read only part of some files, none of others, and skip a container.
	l := openFixture(t, "app-gz.tfile")
	c, err := l.NextContainer()
	if err != nil || c != "container_1700000000000_0042_01_000001" {
		t.Fatalf("%q %v", c, err)
	}
	f, err := l.NextFile()
	if err != nil || f.Name != "stderr" || f.Length != 0 {
		t.Fatalf("%+v %v", f, err)
	}
	c, err = l.NextContainer()
	if err != nil || c != "container_1700000000000_0042_01_000002" {
		t.Fatalf("%q %v", c, err)
	}
	f, _ = l.NextFile()
	buf := make([]byte, 10)
	io.ReadFull(f, buf)
	f, err = l.NextFile()
	if err != nil || f.Name != "stderr" {
		t.Fatalf("%+v %v", f, err)
	}
	f, err = l.NextFile()
	if err != nil || f.Name != "stdout" || f.Length != 1_500_000 {
		t.Fatalf("%+v %v", f, err)
	}
	b := make([]byte, 100_000)
	if _, err := io.ReadFull(f, b); err != nil || string(b) != content("container_1700000000000_0042_01_000002/stdout", 100_000) {
		t.Fatalf("stdout prefix wrong: %v", err)
	}
	if _, err := l.NextFile(); err != io.EOF {
		t.Fatalf("after the last file: %v", err)
	}
	if _, err := l.NextContainer(); err != io.EOF {
		t.Fatalf("after the last container: %v", err)
	}
}

func TestSyntheticEdgeCases(t *testing.T) {
	const c1 = "container_1_0001_01_000001"
	for _, tc := range []struct {
		name    string
		records [][2][]byte
		chunk   int
		wantErr string
		want    map[string]map[string]string
	}{
		{
			name:    "no containers",
			records: yarnHeader("bob"),
			chunk:   100,
			want:    map[string]map[string]string{},
		},
		{
			name: "empty container and many chunks",
			records: append(yarnHeader("bob"),
				[2][]byte{utf(c1), containerValue([2]string{"a", "x"}, [2]string{"b", strings.Repeat("yz", 500)})},
				[2][]byte{utf("container_1_0001_01_000002"), nil}),
			chunk: 7,
			want: map[string]map[string]string{
				c1:                           {"a": "x", "b": strings.Repeat("yz", 500)},
				"container_1_0001_01_000002": {},
			},
		},
		{
			name: "length claiming 2 GB",
			records: append(yarnHeader("bob"),
				[2][]byte{utf(c1), append(append(utf("stdout"), utf("2147483648")...), "only this"...)}),
			chunk:   100,
			wantErr: "claims 2147483648 bytes",
		},
		{
			name: "length not a number",
			records: append(yarnHeader("bob"),
				[2][]byte{utf(c1), append(append(utf("stdout"), utf("-1")...), "x"...)}),
			chunk:   100,
			wantErr: `has length "-1"`,
		},
		{
			name: "value cut inside a file name",
			records: append(yarnHeader("bob"),
				[2][]byte{utf(c1), append(containerValue([2]string{"a", "x"}), 0, 9, 'a')}),
			chunk:   100,
			wantErr: "reading a log file name",
		},
		{
			name:    "key not a Java string",
			records: [][2][]byte{{[]byte("\x00\x09VERSION"), {0, 0, 0, 1}}},
			chunk:   100,
			wantErr: "not a Java UTF string",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := buildTFile(tc.records, tc.chunk)
			l, err := NewNodeLog(bytes.NewReader(b), int64(len(b)), "", nil)
			var got map[string]map[string]string
			if err == nil {
				got, _, err = readAll(l)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Owner != "bob" || l.ACLs["VIEW_APP"] != "alice" {
				t.Errorf("owner %q ACLs %q", l.Owner, l.ACLs)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for c, files := range tc.want {
				for n, w := range files {
					if got[c][n] != w {
						t.Errorf("%s/%s = %q, want %q", c, n, got[c][n], w)
					}
				}
				if len(got[c]) != len(files) {
					t.Errorf("%s has %d files, want %d", c, len(got[c]), len(files))
				}
			}
		})
	}
}

func TestIndexedFileCorruptIndex(t *testing.T) {
	// The IndexedFile layout (SHA-256 of the app ID, compressed logs, the
	// Java-serialized index, its length, the hash again) with an index cut
	// after the stream header: a clear error, read as either format.
	sum := sha256.Sum256([]byte(fixtureApp))
	b := append(sum[:], bytes.Repeat([]byte{0x78, 0x9c, 1, 2, 3}, 50)...)
	b = append(b, 0xac, 0xed, 0, 5, 0, 0, 0, 4)
	b = append(b, sum[:]...)
	for _, app := range []string{fixtureApp, ""} {
		_, err := NewNodeLog(bytes.NewReader(b), int64(len(b)), app, nil)
		if !errors.Is(err, ErrJavaSerial) {
			t.Errorf("app %q: error %v", app, err)
		}
	}
}

func TestInProgressFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "app-none.tfile"))
	if err != nil {
		t.Fatal(err)
	}
	b = b[:len(b)/2]
	if _, err := NewNodeLog(bytes.NewReader(b), int64(len(b)), fixtureApp, nil); !errors.Is(err, ErrInProgress) {
		t.Fatalf("half a TFile: %v", err)
	}
}

func TestModifiedUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
		ok   bool
	}{
		{[]byte("stdout"), "stdout", true},
		{[]byte{0xc0, 0x80}, "\x00", true},
		{[]byte{0xc3, 0xa9}, "é", true},
		{[]byte{0xe2, 0x82, 0xac}, "€", true},
		// U+1F600 as two 3-byte surrogates, as Java writes it.
		{[]byte{0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80}, "😀", true},
		{[]byte{0x00}, "", false},
		{[]byte{0xc3}, "", false},
		{[]byte{0xf0, 0x9f, 0x98, 0x80}, "", false},
	} {
		got, err := decodeModifiedUTF8(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%x: %q, %v; want %q ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzContainerValue feeds arbitrary bytes to the parser of a container's
// value (file name, decimal length, bytes; repeated).
func FuzzContainerValue(f *testing.F) {
	f.Add(containerValue([2]string{"stdout", "hello"}, [2]string{"stderr", ""}))
	f.Add(append(utf("a"), utf("99999999999")...))
	f.Add([]byte{0, 3, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		l := &NodeLog{cur: bytes.NewReader(b)}
		for i := 0; i < 1000; i++ {
			fl, err := l.NextFile()
			if err != nil {
				return
			}
			if fl.Length < 0 {
				t.Fatalf("negative length %d", fl.Length)
			}
			n, _ := io.Copy(io.Discard, fl)
			if n > fl.Length || n > int64(len(b)) {
				t.Fatalf("read %d bytes of a %d-byte file from %d bytes", n, fl.Length, len(b))
			}
		}
	})
}

// FuzzNodeLog feeds arbitrary files to the whole reader.
func FuzzNodeLog(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "app-none.tfile"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(buildTFile(append(yarnHeader("u"), [2][]byte{utf("c"), containerValue([2]string{"x", "yz"})}), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := NewNodeLog(bytes.NewReader(b), int64(len(b)), fixtureApp, nil)
		if err != nil {
			return
		}
		readAll(l)
	})
}
