package yarnlogs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// ifileMTime is IndexedLogFixtureWriter.MTIME: the first fixture file's
// modification time; each next one is a second later.
const ifileMTime = 1700000100000

type ifileWant struct {
	container, name string
	size            int
	mtime           int // index of the file in writing order
}

// ifileFixture is what IndexedLogFixtureWriter writes, per node file
// prefix: uploads in order, containers in Java's HashMap order (a {} entry
// separates containers; files within one are compared in any order).
func ifileFixture(big int) map[string][]ifileWant {
	c := func(n int) string { return fmt.Sprintf("container_1700000000000_0042_01_%06d", n) }
	return map[string][]ifileWant{
		"host1_1111": {
			{c(1), "stdout", 23, 0}, {c(1), "stderr", 0, 1}, {c(1), "syslog", 5000, 2}, {},
			{c(2), "prelaunch.out", 100, 3}, {c(2), "stderr", 9, 4}, {c(2), "stdout", big, 5},
		},
		// The third, unfinished cycle (container 4's stdout) is not there.
		"host2_2222_": {
			{c(3), "stdout", 3000, 6}, {c(3), "stderr", 40, 7}, {},
			{c(4), "syslog", 1234, 9}, {},
			{c(3), "stdout", 700, 8},
		},
	}
}

// ifileApp lays a fixture directory out as the bucketed IFile layout.
func ifileApp(t *testing.T, fixture string, drop ...string) (dirFS, *App) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "tmp/logs/alice/bucket-logs-ifile/0042", fixtureApp)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if contains(drop, e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("testdata", fixture, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := conf.New()
	cfg.Set(KeyFileFormats, "IFile,TFile")
	app, err := Open(dirFS(root), cfg, "alice", fixtureApp)
	if err != nil {
		t.Fatal(err)
	}
	return dirFS(root), app
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func checkIndexedFixture(t *testing.T, app *App, big int) {
	t.Helper()
	want := ifileFixture(big)
	if len(app.Nodes) != 2 {
		t.Fatalf("nodes %+v, want 2 (no checksum file)", app.Nodes)
	}
	for _, n := range app.Nodes {
		prefix := n.Name
		if strings.HasPrefix(n.Name, "host2_2222_") {
			prefix = "host2_2222_"
			if !n.HasIndexEnd || n.IndexEnd <= 0 || n.IndexEnd >= n.Size {
				t.Errorf("%s: checksum end %v %d of %d bytes", n.Name, n.HasIndexEnd, n.IndexEnd, n.Size)
			}
		}
		w, ok := want[prefix]
		if !ok || n.Format != FormatIFile {
			t.Fatalf("unexpected node file %+v", n)
		}
		l, err := app.NodeLog(n)
		if err != nil {
			t.Fatalf("%s: %v", n.Name, err)
		}
		if l.Indexed == nil || l.Owner == "" || l.ACLs["VIEW_APP"] != "viewer1 viewers" || l.Version != 1 {
			t.Errorf("%s: owner %q ACLs %v version %d", n.Name, l.Owner, l.ACLs, l.Version)
		}
		var got []ifileWant
		for {
			c, err := l.NextContainer()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > 0 {
				got = append(got, ifileWant{})
			}
			for {
				f, err := l.NextFile()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(f)
				if err != nil {
					t.Fatalf("%s/%s: %v", c, f.Name, err)
				}
				if g, w := string(b), content(c+"/"+f.Name, int(f.Length)); g != w {
					t.Errorf("%s/%s: %d bytes differ from the %d written", c, f.Name, len(g), len(w))
				}
				k := int(f.ModTime.UnixMilli()-ifileMTime) / 1000
				got = append(got, ifileWant{c, f.Name, int(f.Length), k})
			}
		}
		l.Close()
		// Files of one container in one upload come in the index's order
		// (Hadoop's HashSet of files); compare as sets per container run.
		norm := func(ws []ifileWant) string {
			var runs []string
			var cur []string
			for _, x := range ws {
				if x.container == "" {
					runs = append(runs, strings.Join(sortedCopy(cur), ","))
					cur = nil
					continue
				}
				cur = append(cur, fmt.Sprintf("%s/%s:%d@%d", x.container, x.name, x.size, x.mtime))
			}
			return strings.Join(append(runs, strings.Join(sortedCopy(cur), ",")), "\n")
		}
		if norm(got) != norm(w) {
			t.Errorf("%s:\n%s\nwant\n%s", n.Name, norm(got), norm(w))
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

// TestIndexedFixtures reads node files Hadoop's own
// LogAggregationIndexedFileController wrote (IndexedLogFixtureWriter): one
// upload, and a rolling file of two finished cycles and one cut short,
// whose checksum file marks the valid end; uncompressed and gz. They were
// made with (in integration/minicluster, after mvn package):
//
//	java -cp target/classes:$(cat target/classpath.txt) dev.spindle.minicluster.IndexedLogFixtureWriter DIR none 2000
//	... IndexedLogFixtureWriter DIR gz 1500000
func TestIndexedFixtures(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		_, app := ifileApp(t, "ifile-none")
		checkIndexedFixture(t, app, 2000)
	})
	t.Run("gz", func(t *testing.T) {
		_, app := ifileApp(t, "ifile-gz")
		checkIndexedFixture(t, app, 1_500_000)
	})
}

// TestIndexedWithoutChecksum: the rolling file's unfinished cycle left
// bytes after its last index; without the checksum file saying where the
// valid part ends, it reads as still being written.
func TestIndexedWithoutChecksum(t *testing.T) {
	_, app := ifileApp(t, "ifile-none", "host2_2222-checksum")
	for _, n := range app.Nodes {
		_, err := app.NodeLog(n)
		if strings.HasPrefix(n.Name, "host2_2222_") {
			if !errors.Is(err, ErrInProgress) {
				t.Errorf("%s: %v, want ErrInProgress", n.Name, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", n.Name, err)
		}
	}
}

// TestIndexedChecksumZero: a checksum file marking offset 0 (the first
// cycle never finished) means no logs in the file, as Hadoop reads it.
func TestIndexedChecksumZero(t *testing.T) {
	fsys, app := ifileApp(t, "ifile-none")
	dir := app.Dirs[0]
	name := "host2_2222-checksum"
	b, err := os.ReadFile(fsys.path(dir + "/" + name))
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-8:], make([]byte, 8))
	if err := os.WriteFile(fsys.path(dir+"/"+name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	app, err = Open(fsys, nil, "alice", fixtureApp)
	if err == nil {
		t.Fatalf("TFile layout found %+v", app)
	}
	cfg := conf.New()
	cfg.Set(KeyFileFormats, "IFile")
	if app, err = Open(fsys, cfg, "alice", fixtureApp); err != nil {
		t.Fatal(err)
	}
	for _, n := range app.Nodes {
		if strings.HasPrefix(n.Name, "host2_2222_") {
			if _, err := app.NodeLog(n); !errors.Is(err, ErrIndexedNoIndex) {
				t.Errorf("%s: %v", n.Name, err)
			}
		}
	}
}

func TestChecksumFile(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		node string
		end  int64
		ok   bool
	}{
		{append(append([]byte{0, 0, 0, 3}, "a_1"...), 0, 0, 0, 0, 0, 0, 1, 2), "a_1", 258, true},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 9}, "", 9, true}, // older Hadoop: the offset alone
		{[]byte{0, 0, 0, 9, 'a'}, "", 0, false},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}, "", 0, false},
		{append(append([]byte{0, 0, 0, 1}, "a"...), 0x80, 0, 0, 0, 0, 0, 0, 0), "", 0, false},
		{nil, "", 0, false},
	} {
		node, end, err := readChecksumFile(tc.in)
		if (err == nil) != tc.ok || node != tc.node || end != tc.end {
			t.Errorf("%x: %q %d %v", tc.in, node, end, err)
		}
	}
}

// TestHashMapOrder compares with the order java.util.HashMap iterates
// keys once deserialized, as printed by Java 17 for these keys inserted in
// this order.
func TestHashMapOrder(t *testing.T) {
	ids := func(n, attempt int) []any {
		var k []any
		for i := 0; i < n; i++ {
			k = append(k, fmt.Sprintf("container_1700000000000_0042_%02d_%06d", attempt, i+1))
		}
		return k
	}
	order := func(s string) []int {
		var o []int
		for _, f := range strings.Split(strings.Trim(s, ","), ",") {
			var i int
			fmt.Sscan(f, &i)
			o = append(o, i)
		}
		return o
	}
	for _, tc := range []struct {
		keys []any
		want []int
	}{
		{ids(2, 1), order("0,1")},
		{ids(13, 1), order("8,7,4,3,6,5,0,11,10,2,1,12,9")},
		{ids(40, 1), order("18,15,37,14,36,17,16,38,11,33,10,32,13,35,12,34,29,9,31,30,8,7,4,26,3,25,6,28,5,27,0,22,21,2,24,1,23,39,20,19")},
		{ids(9, 7), order("5,6,7,8,1,2,3,4,0")},
		{ids(100, 2), order("57,58,55,56,53,54,51,52,49,50,68,66,99,67,64,65,62,63,60,61,59,77,78,75,76,73,74,71,72,69,70,8,6,7,4,5,2,3,0,88,1,86,87,84,85,82,83,80,81,79,17,18,15,16,13,14,11,12,9,97,10,98,95,96,93,94,91,92,89,90,28,26,27,24,25,22,23,20,21,19,37,38,35,36,33,34,31,32,29,30,48,46,47,44,45,42,43,40,41,39")},
		// Nine keys of one hash: the bucket's ninth doubles the table.
		{[]any{"AaAaAaAa", "BBAaAaAa", "AaBBAaAa", "BBBBAaAa", "AaAaBBAa", "BBAaBBAa", "AaBBBBAa", "BBBBBBAa", "AaAaAaBB", "zz", "container_x"},
			order("9,0,1,2,3,4,5,6,7,8,10")},
	} {
		hashes := make([]uint32, len(tc.keys))
		for i, k := range tc.keys {
			hashes[i] = javaHashCode(k)
		}
		got := hashMapOrder(hashes, readObjectCapacity(len(tc.keys), 0.75), false)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%d keys: %v, want %v", len(tc.keys), got, tc.want)
		}
	}
}

func TestIndexedModTimeIsPerFile(t *testing.T) {
	_, app := ifileApp(t, "ifile-gz")
	l, err := app.NodeLog(app.Nodes[0])
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.NextContainer(); err != nil {
		t.Fatal(err)
	}
	f, err := l.NextFile()
	if err != nil {
		t.Fatal(err)
	}
	if f.ModTime.Before(time.UnixMilli(ifileMTime)) || f.ModTime.After(time.UnixMilli(ifileMTime+10_000)) {
		t.Errorf("mod time %v", f.ModTime)
	}
}

// FuzzJavaSerial feeds the index decoder arbitrary bytes, starting from the
// indexes Hadoop wrote: never a panic, and bounded work.
func FuzzJavaSerial(f *testing.F) {
	for _, fx := range []string{"ifile-none/host1_1111", "ifile-gz/host1_1111"} {
		b, err := os.ReadFile(filepath.Join("testdata", fx))
		if err != nil {
			f.Fatal(err)
		}
		m, err := indexBytes(b, int64(len(b)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m)
	}
	f.Add([]byte{0xac, 0xed, 0, 5, tcReset, tcNull})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseIndexedMeta(b)
		if err == nil && m == nil {
			t.Fatal("nil index without an error")
		}
	})
}

// indexBytes cuts a node file's serialized index out.
func indexBytes(b []byte, end int64) ([]byte, error) {
	if end < 36 {
		return nil, errors.New("short")
	}
	n := int64(b[end-36])<<24 | int64(b[end-35])<<16 | int64(b[end-34])<<8 | int64(b[end-33])
	if n <= 0 || n > end-36 {
		return nil, errors.New("bad length")
	}
	return b[end-36-n : end-36], nil
}

// FuzzIndexedNodeLog reads arbitrary node files as IndexedFiles through
// NodeLog, reading every file it lists.
func FuzzIndexedNodeLog(f *testing.F) {
	for _, fx := range []string{"ifile-none/host1_1111", "ifile-gz/host1_1111"} {
		b, err := os.ReadFile(filepath.Join("testdata", fx))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := NewNodeLog(bytes.NewReader(b), int64(len(b)), fixtureApp, nil)
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			if _, err := l.NextContainer(); err != nil {
				return
			}
			for j := 0; j < 1000; j++ {
				f, err := l.NextFile()
				if err != nil {
					break
				}
				// Lengths are claims: read a bounded amount.
				io.Copy(io.Discard, io.LimitReader(f, 1<<20))
			}
		}
	})
}

func FuzzChecksumFile(f *testing.F) {
	f.Add(append(append([]byte{0, 0, 0, 3}, "a_1"...), 0, 0, 0, 0, 0, 0, 1, 2))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		node, end, err := readChecksumFile(b)
		if err == nil && (end < 0 || len(node) > len(b)) {
			t.Fatalf("%q %d", node, end)
		}
	})
}

// TestJavaHashSetOrder compares with Java 17's iteration of a HashMap and a
// HashSet filled one key at a time (printed by a Java program).
func TestJavaHashSetOrder(t *testing.T) {
	ids := func(n int) []string {
		var k []string
		for i := 0; i < n; i++ {
			k = append(k, fmt.Sprintf("container_1700000000000_0042_01_%06d", i+1))
		}
		return k
	}
	files := []string{"prelaunch.out", "prelaunch.err", "launch_container.sh", "directory.info", "stdout", "stderr", "syslog"}
	for _, tc := range []struct {
		keys []string
		want string
	}{
		// 12 fit a table of 16 (readObject would have sized it 32).
		{ids(12), "[9 8 7 4 3 6 5 0 11 10 2 1]"},
		{ids(25), "[18 15 14 17 16 11 10 13 12 9 8 7 4 3 6 5 0 22 21 2 24 1 23 20 19]"},
		// [directory.info, prelaunch.err, stdout, syslog, stderr, prelaunch.out, launch_container.sh]
		{files, "[3 1 4 6 5 0 2]"},
	} {
		if got := fmt.Sprint(JavaHashSetOrder(tc.keys)); got != tc.want {
			t.Errorf("%d keys: %s, want %s", len(tc.keys), got, tc.want)
		}
	}
}

// TestIndexedOldUUID: Hadoop before the SHA-256 header wrote a random
// 36-character UUID at both ends; the index is found the same way.
func TestIndexedOldUUID(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ifile-none", "host1_1111"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := indexBytes(b, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	uuid := []byte("0f8fad5b-d9cb-469f-a165-70867728950e")
	old := append(append([]byte(nil), uuid...), bytes.Repeat([]byte{'x'}, 100)...)
	old = append(old, idx...)
	old = append(old, byte(len(idx)>>24), byte(len(idx)>>16), byte(len(idx)>>8), byte(len(idx)))
	old = append(old, uuid...)
	l, err := NewNodeLog(bytes.NewReader(old), int64(len(old)), fixtureApp, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for {
		c, err := l.NextContainer()
		if err != nil {
			break
		}
		ids = append(ids, c)
	}
	if len(ids) != 2 || l.Indexed == nil || l.Indexed.NodeID != "host1:1111" {
		t.Errorf("containers %v, index %+v", ids, l.Indexed)
	}
	// A different UUID at the end: the last upload did not finish.
	copy(old[len(old)-4:], "ffff")
	if _, err := NewNodeLog(bytes.NewReader(old), int64(len(old)), fixtureApp, nil); !errors.Is(err, ErrInProgress) {
		t.Errorf("mismatched UUIDs: %v", err)
	}
}
