package tfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The fixtures are aggregated-log TFiles written by Hadoop 3.4.1's own
// AggregatedLogFormat.LogWriter (integration/minicluster LogFixtureWriter).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type record struct {
	key    string
	valLen int
}

func scanAll(t testing.TB, b []byte) (*Reader, []record, error) {
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, err
	}
	var recs []record
	s := r.Scanner()
	for s.Next() {
		k := string(s.Key())
		// Read half of every other value to check skipping mid-value.
		var n int64
		if len(recs)%2 == 0 {
			n, err = io.Copy(io.Discard, s.Value())
		} else {
			n, err = io.CopyN(io.Discard, s.Value(), 3)
			if err == io.EOF {
				err = nil
			}
		}
		if err != nil {
			return r, recs, err
		}
		recs = append(recs, record{k, int(n)})
	}
	return r, recs, s.Err()
}

func TestHadoopWrittenFixtures(t *testing.T) {
	for _, tc := range []struct {
		file, compression string
	}{
		{"app-none.tfile", CompressionNone},
		{"app-gz.tfile", CompressionGz},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, recs, err := scanAll(t, fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.Compression() != tc.compression || r.Comparator() != "" {
				t.Errorf("compression %q comparator %q", r.Compression(), r.Comparator())
			}
			// VERSION, APPLICATION_OWNER, APPLICATION_ACL and two containers;
			// keys are Java writeUTF strings (two length bytes first).
			want := []string{"VERSION", "APPLICATION_OWNER", "APPLICATION_ACL",
				"container_1700000000000_0042_01_000001", "container_1700000000000_0042_01_000002"}
			if int64(len(recs)) != r.RecordCount() || len(recs) != len(want) {
				t.Fatalf("%d records (meta says %d): %v", len(recs), r.RecordCount(), recs)
			}
			for i, w := range want {
				if recs[i].key[2:] != w {
					t.Errorf("record %d key %q, want %q", i, recs[i].key[2:], w)
				}
			}
			if recs[0].valLen != 4 {
				t.Errorf("VERSION value is %d bytes, want 4", recs[0].valLen)
			}
		})
	}
}

func TestLargeValueStreams(t *testing.T) {
	// Container 2's value in the gz fixture holds a 1.5 MB file: more than
	// one 1 MB chunk.
	b := fixture(t, "app-gz.tfile")
	r, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	s := r.Scanner()
	var last int64
	for s.Next() {
		last, err = io.Copy(io.Discard, s.Value())
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
	if last < 1_500_000 {
		t.Fatalf("last value %d bytes, want > 1.5 MB", last)
	}
}

func TestNotATFile(t *testing.T) {
	b := fixture(t, "app-none.tfile")
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotBCFile},
		{"text", []byte("hello, this is not a TFile at all, not even close"), ErrNotBCFile},
		{"being written", b[:len(b)/2], ErrIncomplete},
		{"magic only", Magic[:], ErrIncomplete},
	} {
		_, err := NewReader(bytes.NewReader(tc.data), int64(len(tc.data)))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestCorruptionNeverPanics(t *testing.T) {
	for _, name := range []string{"app-none.tfile", "app-gz.tfile"} {
		orig := fixture(t, name)
		// Flip each byte of the trailer and index region, and a sample of
		// the data, one at a time.
		for i := 0; i < len(orig); i++ {
			if i > 64 && i < len(orig)-600 && i%97 != 0 {
				continue
			}
			b := bytes.Clone(orig)
			b[i] ^= 0xa5
			scanAll(t, b)
		}
		// And every truncation near the end.
		for n := len(orig) - 600; n < len(orig); n++ {
			scanAll(t, orig[:n])
		}
	}
}

// hugeMetaIndex builds a BCFile whose meta index claims a block far bigger
// than the file: it must be refused, not allocated.
func TestBoundsChecked(t *testing.T) {
	var b []byte
	b = append(b, Magic[:]...)
	metaOff := len(b)
	b = AppendVLong(b, 1)
	b = AppendVLong(b, int64(len("data:BCFile.index")))
	b = append(b, "data:BCFile.index"...)
	b = AppendVLong(b, 4)
	b = append(b, "none"...)
	b = AppendVLong(b, 16)
	b = AppendVLong(b, 2<<30) // 2 GB
	b = AppendVLong(b, 2<<30)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, byte(metaOff), 0, 1, 0, 0)
	b = append(b, Magic[:]...)
	_, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err == nil {
		t.Fatal("a 2 GB block in a small file was accepted")
	}
	t.Log(err)
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"app-none.tfile", "app-gz.tfile"} {
		b := fixture(f, name)
		if len(b) < 10000 {
			f.Add(b)
		}
		// The tail (indexes) is where most parsing happens.
		f.Add(b[len(b)-min(len(b), 400):])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		scanAll(t, b)
	})
}
