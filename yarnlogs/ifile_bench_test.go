package yarnlogs

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// splicedFile is a node file Hadoop wrote with its last log file (container
// 2's stdout) replaced by a big synthetic one: the bytes before it, the new
// data, then the rest (the index, patched to the new lengths). It is
// served without holding the big part in memory when uncompressed.
type splicedFile struct {
	prefix, suffix []byte
	mid            io.ReaderAt
	midLen         int64
}

func (s *splicedFile) size() int64 { return int64(len(s.prefix)) + s.midLen + int64(len(s.suffix)) }

func (s *splicedFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for len(p) > 0 {
		var src io.ReaderAt
		var base, end int64
		switch p0, m := int64(len(s.prefix)), int64(len(s.prefix))+s.midLen; {
		case off < p0:
			src, base, end = bytes.NewReader(s.prefix), 0, p0
		case off < m:
			src, base, end = s.mid, p0, m
		case off < s.size():
			src, base, end = bytes.NewReader(s.suffix), m, s.size()
		default:
			return n, io.EOF
		}
		k := int64(len(p))
		if off+k > end {
			k = end - off
		}
		got, err := src.ReadAt(p[:k], off-base)
		n += got
		off += int64(got)
		p = p[got:]
		if err != nil && err != io.EOF {
			return n, err
		}
		if got == 0 {
			return n, io.ErrUnexpectedEOF
		}
	}
	return n, nil
}

// pattern is an endless log: the same line over and over.
type pattern struct{}

var patternLine = []byte("2026-01-01 00:00:00,000 INFO distributed.worker - a line of an endless log\n")

func (pattern) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], patternLine[(off+int64(n))%int64(len(patternLine)):])
	}
	return n, nil
}

// spliceFixture points the index entry of the file of the given size
// (unique in the index) of a Hadoop-written IndexedFile at mid, placed
// between the logs and the index: midCompressed bytes, midSize once
// decompressed. The old file's bytes stay, unreferenced.
func spliceFixture(tb testing.TB, name string, oldSize int64, mid io.ReaderAt, midCompressed, midSize int64) *splicedFile {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	idx, err := indexBytes(b, int64(len(b)))
	if err != nil {
		tb.Fatal(err)
	}
	idxStart := len(b) - 36 - len(idx)
	suffix := append([]byte(nil), b[idxStart:]...)
	// IndexedFileLogMeta's long fields, in order: fileCompressedSize,
	// fileSize, lastModifiedTime, startIndex.
	v := binary.BigEndian.AppendUint64(nil, uint64(oldSize))
	at := bytes.Index(suffix, v)
	if at >= 0 && bytes.Equal(suffix[at+8:at+16], v) {
		at += 8 // uncompressed: both sizes are the same
	}
	if at < 8 {
		tb.Fatalf("no file of %d bytes in %s", oldSize, name)
	}
	binary.BigEndian.PutUint64(suffix[at-8:], uint64(midCompressed))
	binary.BigEndian.PutUint64(suffix[at:], uint64(midSize))
	binary.BigEndian.PutUint64(suffix[at+16:], uint64(idxStart))
	return &splicedFile{prefix: b[:idxStart], suffix: suffix, mid: mid, midLen: midCompressed}
}

func benchIndexed(b *testing.B, f *splicedFile, big int64) {
	b.SetBytes(big)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l, err := NewNodeLog(f, f.size(), fixtureApp, nil)
		if err != nil {
			b.Fatal(err)
		}
		var total int64
		for {
			if _, err := l.NextContainer(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			for {
				lf, err := l.NextFile()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, lf)
				if err != nil {
					b.Fatal(err)
				}
				total += n
			}
		}
		if total < big {
			b.Fatalf("read %d bytes, want over %d", total, big)
		}
	}
}

// BenchmarkIndexedRead reads an IndexedFile whose biggest log is 64 MiB
// and 1 GiB uncompressed, and 64 MiB and 256 MiB gz: bytes allocated per
// read stay the same whatever the size (streamed).
func BenchmarkIndexedRead(b *testing.B) {
	for _, big := range []int64{64 << 20, 1 << 30} {
		b.Run(fmt.Sprintf("none/%dMiB", big>>20), func(b *testing.B) {
			benchIndexed(b, spliceFixture(b, "ifile-none/host1_1111", 2000, pattern{}, big, big), big)
		})
	}
	for _, big := range []int64{64 << 20, 256 << 20} {
		b.Run(fmt.Sprintf("gz/%dMiB", big>>20), func(b *testing.B) {
			var z bytes.Buffer
			w, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
			if _, err := io.Copy(w, io.NewSectionReader(pattern{}, 0, big)); err != nil {
				b.Fatal(err)
			}
			w.Close()
			f := spliceFixture(b, "ifile-gz/host1_1111", 1_500_000, bytes.NewReader(z.Bytes()), int64(z.Len()), big)
			b.ResetTimer()
			benchIndexed(b, f, big)
		})
	}
}
