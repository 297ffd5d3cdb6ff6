package yarnlogs

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/spindle-yarn/spindle/yarnlogs/internal/tfile"
)

// The IndexedFile format (LogAggregationIndexedFileController, "IFile"), as
// Hadoop 3.3+ writes it:
//
//	uuid                       32 bytes: SHA-256 of the application ID
//	per log file, per upload   its bytes, compressed by itself (none or gz)
//	index                      the IndexedLogsMeta, Java-serialized
//	index length               int32, big-endian
//	uuid                       again
//
// Rolling aggregation appends a "\n", the cycle's files and a new index
// (of every cycle so far) to the same file, so the last index is the one
// that counts. A cycle that never finished leaves bytes after it; the
// "{node file}-checksum" side file then says where the valid part ends.
// Older Hadoop wrote a random 36-byte UUID string instead of the SHA-256;
// both are read.

const (
	uuidLen    = sha256.Size
	oldUUIDLen = 36
	// maxIndexSize bounds the index read into memory (Hadoop warns above
	// 64 MiB; an index holds a few hundred bytes per log file).
	maxIndexSize = 256 << 20
)

// ErrIndexedNoIndex is returned for an IndexedFile whose checksum file says
// no cycle finished: it holds no readable logs yet.
var ErrIndexedNoIndex = errors.New("IndexedFile node file has no finished upload yet (its checksum file marks offset 0)")

// indexedUUIDLen says whether r holds an IndexedFile, by its header, and
// how long its UUID is (0: not one). appID may be empty.
func indexedUUIDLen(r io.ReaderAt, size int64, appID string) int {
	var head [oldUUIDLen]byte
	if size < 2*uuidLen+4 {
		return 0
	}
	n, _ := r.ReadAt(head[:], 0)
	if n < uuidLen {
		return 0
	}
	if sum := sha256.Sum256([]byte(appID)); appID != "" && bytes.Equal(head[:uuidLen], sum[:]) {
		return uuidLen
	}
	if n == oldUUIDLen && isUUIDString(head[:]) {
		return oldUUIDLen
	}
	// Without the application ID: the same 32 bytes at both ends.
	var tail [uuidLen]byte
	if _, err := r.ReadAt(tail[:], size-uuidLen); err == nil && bytes.Equal(head[:uuidLen], tail[:]) {
		return uuidLen
	}
	return 0
}

// isUUIDString matches java.util.UUID's text form (8-4-4-4-12 hex digits).
func isUUIDString(b []byte) bool {
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return len(b) == oldUUIDLen
}

// readIndexedMeta reads the index that ends at end (the file size, or the
// checksum file's offset), checking the UUIDs at both ends agree.
func readIndexedMeta(r io.ReaderAt, end int64, uuidN int) (*IndexedMeta, error) {
	if end < int64(2*uuidN+4) {
		return nil, fmt.Errorf("corrupt IndexedFile: valid part is %d bytes, too short for its header and trailer", end)
	}
	head := make([]byte, uuidN)
	trailer := make([]byte, 4+uuidN)
	if _, err := r.ReadAt(head, 0); err != nil {
		return nil, fmt.Errorf("reading the IndexedFile header: %w", noEOF(err))
	}
	if _, err := r.ReadAt(trailer, end-int64(len(trailer))); err != nil {
		return nil, fmt.Errorf("reading the IndexedFile trailer: %w", noEOF(err))
	}
	if !bytes.Equal(head, trailer[4:]) {
		return nil, fmt.Errorf("corrupt IndexedFile: the UUID at offset %d differs from the file's first: the last upload did not finish (%w)",
			end-int64(uuidN), ErrInProgress)
	}
	n := int64(int32(binary.BigEndian.Uint32(trailer[:4])))
	if n <= 0 || n > end-int64(len(trailer))-int64(uuidN) || n > maxIndexSize {
		return nil, fmt.Errorf("corrupt IndexedFile: index length %d does not fit in its %d bytes (limit %d)", n, end, maxIndexSize)
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, end-int64(len(trailer))-n); err != nil {
		return nil, fmt.Errorf("reading the IndexedFile index: %w", noEOF(err))
	}
	m, err := parseIndexedMeta(b)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// indexedLog walks an IndexedFile's index: uploads in order, containers in
// `yarn logs`' order, files in index order.
type indexedLog struct {
	r          io.ReaderAt
	end        int64
	meta       *IndexedMeta
	upload, ci int
	fi         int
	cur        *IndexedContainer
}

func newIndexedNodeLog(r io.ReaderAt, end int64, uuidN int, closer io.Closer) (*NodeLog, error) {
	m, err := readIndexedMeta(r, end, uuidN)
	if err != nil {
		return nil, err
	}
	switch m.Compression {
	case tfile.CompressionNone, tfile.CompressionGz:
	default:
		return nil, fmt.Errorf("IndexedFile compressed with %q, which is not supported: set yarn.nodemanager.log-aggregation.compression-type to gz or none", m.Compression)
	}
	return &NodeLog{
		Version: m.Version,
		Owner:   m.User,
		ACLs:    m.ACLs,
		Indexed: m,
		ix:      &indexedLog{r: r, end: end, meta: m},
		closer:  closer,
	}, nil
}

func (x *indexedLog) nextContainer() (string, error) {
	for x.upload < len(x.meta.Uploads) {
		u := &x.meta.Uploads[x.upload]
		if x.ci < len(u.Containers) {
			x.cur = &u.Containers[x.ci]
			x.ci++
			x.fi = 0
			return x.cur.ID, nil
		}
		x.upload++
		x.ci = 0
	}
	x.cur = nil
	return "", io.EOF
}

func (x *indexedLog) nextFile() (*LogFile, error) {
	if x.cur == nil {
		return nil, errors.New("NextFile called before NextContainer")
	}
	if x.fi >= len(x.cur.Files) {
		return nil, io.EOF
	}
	f := x.cur.Files[x.fi]
	x.fi++
	if f.Start > x.end || f.CompressedSize > x.end-f.Start {
		return nil, fmt.Errorf("corrupt IndexedFile: log file %s of %s claims bytes %d to %d, past the valid end %d",
			f.Name, f.Container, f.Start, f.Start+f.CompressedSize, x.end)
	}
	r, err := tfile.Decompress(x.meta.Compression, io.NewSectionReader(x.r, f.Start, f.CompressedSize))
	if err != nil {
		return nil, err
	}
	return &LogFile{Name: f.Name, Length: f.Size, ModTime: f.ModTime, r: r, left: f.Size}, nil
}

// readChecksumFile decodes an IndexedFile checksum file: the node file it
// is about (int32 length, UTF-8 name) and the offset its valid part ends at
// (int64). Older Hadoop wrote the offset alone; node is then "".
func readChecksumFile(b []byte) (node string, end int64, err error) {
	if len(b) == 8 {
		end = int64(binary.BigEndian.Uint64(b))
		if end < 0 {
			return "", 0, fmt.Errorf("checksum file has offset %d", end)
		}
		return "", end, nil
	}
	if len(b) < 4 {
		return "", 0, fmt.Errorf("checksum file of %d bytes", len(b))
	}
	n := int64(int32(binary.BigEndian.Uint32(b)))
	if n <= 0 || n+12 != int64(len(b)) {
		return "", 0, fmt.Errorf("checksum file of %d bytes names a node file of %d", len(b), n)
	}
	end = int64(binary.BigEndian.Uint64(b[4+n:]))
	if end < 0 {
		return "", 0, fmt.Errorf("checksum file has offset %d", end)
	}
	return string(b[4 : 4+n]), end, nil
}
