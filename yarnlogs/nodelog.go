package yarnlogs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/spindle-yarn/spindle/yarnlogs/internal/tfile"
)

var (
	// ErrInProgress is returned for a node file the NodeManager is still
	// writing (a .tmp file, or one without its TFile trailer yet).
	ErrInProgress = errors.New("aggregated log file is still being written: wait for the application's log aggregation status to be SUCCEEDED")
)

// Reserved keys of YARN's aggregated log TFile (AggregatedLogFormat).
const (
	keyVersion = "VERSION"
	keyOwner   = "APPLICATION_OWNER"
	keyACL     = "APPLICATION_ACL"
)

// maxHeaderValue bounds the owner and ACL values read into memory.
const maxHeaderValue = 1 << 20

// NodeLog reads one node file: the logs of an application's containers that
// ran on one NodeManager. Containers and their files come in file order;
// NextContainer and NextFile skip whatever was not read.
type NodeLog struct {
	// Version is the aggregated log format version (1).
	Version int32
	// Owner is the application's owner as the NodeManager recorded it.
	Owner string
	// ACLs maps an access type (VIEW_APP, MODIFY_APP) to its ACL.
	ACLs map[string]string
	// Indexed is the index of an IndexedFile node file; nil for a TFile.
	Indexed *IndexedMeta

	ix        *indexedLog
	tr        *tfile.Reader
	sc        *tfile.Scanner
	closer    io.Closer
	pending   bool   // sc holds a container record not yet returned
	pendingID string // and this is its container ID
	cur       io.Reader
	file      *LogFile
	err       error
}

// LogFile is one log file of a container (stdout, stderr, syslog, ...). It
// reads Length bytes; fewer in the node file is an error.
type LogFile struct {
	Name   string
	Length int64
	// ModTime is the file's modification time an IndexedFile records;
	// zero in a TFile, where the node file's stands for it.
	ModTime time.Time
	r       io.Reader
	left    int64
	err     error
}

// Read reads the file's bytes.
func (f *LogFile) Read(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= int64(n)
	if err == io.EOF && f.left > 0 {
		err = fmt.Errorf("log file %s claims %d bytes but its container's record ends after %d: %w",
			f.Name, f.Length, f.Length-f.left, io.ErrUnexpectedEOF)
	}
	if err != nil && err != io.EOF {
		f.err = err
		if n > 0 {
			return n, nil
		}
		return 0, err
	}
	return n, nil
}

// NewNodeLog reads a node file from r, of size bytes, in either format
// (TFile or IndexedFile, told apart by their headers). appID (may be
// empty) helps recognize the IndexedFile format. closer, if not nil, is
// closed by Close.
func NewNodeLog(r io.ReaderAt, size int64, appID string, closer io.Closer) (*NodeLog, error) {
	return newNodeLog(r, size, size, appID, closer)
}

// newNodeLog is NewNodeLog with an IndexedFile's valid part ending at end
// (from its checksum file; size otherwise).
func newNodeLog(r io.ReaderAt, size, end int64, appID string, closer io.Closer) (*NodeLog, error) {
	if n := indexedUUIDLen(r, size, appID); n > 0 {
		if end == 0 {
			return nil, ErrIndexedNoIndex
		}
		return newIndexedNodeLog(r, end, n, closer)
	}
	tr, err := tfile.NewReader(r, size)
	if err != nil {
		if errors.Is(err, tfile.ErrIncomplete) {
			return nil, fmt.Errorf("%w (%v)", ErrInProgress, err)
		}
		return nil, err
	}
	l := &NodeLog{tr: tr, sc: tr.Scanner(), closer: closer, ACLs: map[string]string{}}
	// The reserved records come first; stop at the first container.
	for {
		ok, err := l.advance()
		if err != nil {
			return nil, err
		}
		if !ok || l.pending {
			return l, nil
		}
	}
}

// advance reads the next record. A reserved one is parsed into l; a
// container one is left pending.
func (l *NodeLog) advance() (bool, error) {
	if !l.sc.Next() {
		if err := l.sc.Err(); err != nil {
			return false, err
		}
		return false, nil
	}
	key, err := decodeUTFKey(l.sc.Key())
	if err != nil {
		return false, err
	}
	switch key {
	case keyVersion:
		var v [4]byte
		if _, err := io.ReadFull(l.sc.Value(), v[:]); err != nil {
			return false, fmt.Errorf("reading the %s record: %w", keyVersion, err)
		}
		l.Version = int32(binary.BigEndian.Uint32(v[:]))
	case keyOwner:
		v, err := readHeaderValue(l.sc.Value())
		if err != nil {
			return false, err
		}
		if l.Owner, err = readUTF(bytes.NewReader(v)); err != nil {
			return false, fmt.Errorf("reading the %s record: %w", keyOwner, err)
		}
	case keyACL:
		v, err := readHeaderValue(l.sc.Value())
		if err != nil {
			return false, err
		}
		r := bytes.NewReader(v)
		for r.Len() > 0 {
			k, err := readUTF(r)
			if err != nil {
				return false, fmt.Errorf("reading the %s record: %w", keyACL, err)
			}
			a, err := readUTF(r)
			if err != nil {
				return false, fmt.Errorf("reading the %s record: %w", keyACL, err)
			}
			l.ACLs[k] = a
		}
	default:
		l.pending, l.pendingID = true, key
	}
	return true, nil
}

func readHeaderValue(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxHeaderValue+1))
	if err != nil {
		return nil, fmt.Errorf("reading a header record: %w", err)
	}
	if len(b) > maxHeaderValue {
		return nil, fmt.Errorf("corrupt aggregated log: header record larger than %d bytes", maxHeaderValue)
	}
	return b, nil
}

// NextContainer moves to the next container and returns its ID, or io.EOF
// after the last one.
func (l *NodeLog) NextContainer() (string, error) {
	if l.err != nil {
		return "", l.err
	}
	if l.ix != nil {
		return l.ix.nextContainer()
	}
	for !l.pending {
		ok, err := l.advance()
		if err != nil {
			l.err = err
			return "", err
		}
		if !ok {
			return "", io.EOF
		}
	}
	id := l.pendingID
	l.pending = false
	l.file = nil
	l.cur = l.sc.Value()
	return id, nil
}

// NextFile returns the current container's next log file, or io.EOF after
// its last one. The previous file's unread bytes are skipped.
func (l *NodeLog) NextFile() (*LogFile, error) {
	if l.err != nil {
		return nil, l.err
	}
	if l.ix != nil {
		return l.ix.nextFile()
	}
	if l.cur == nil {
		return nil, errors.New("NextFile called before NextContainer")
	}
	if l.file != nil {
		if _, err := io.Copy(io.Discard, l.file); err != nil {
			l.err = err
			return nil, err
		}
		l.file = nil
	}
	name, err := readUTF(l.cur)
	if err == io.EOF {
		// A clean end between files ends the container.
		l.cur = bytes.NewReader(nil)
		return nil, io.EOF
	}
	if err != nil {
		l.err = fmt.Errorf("reading a log file name: %w", noEOF(err))
		return nil, l.err
	}
	lenStr, err := readUTF(l.cur)
	if err != nil {
		l.err = fmt.Errorf("reading the length of log file %s: %w", name, noEOF(err))
		return nil, l.err
	}
	n, err := strconv.ParseInt(lenStr, 10, 64)
	if err != nil || n < 0 {
		l.err = fmt.Errorf("corrupt aggregated log: log file %s has length %q", name, lenStr)
		return nil, l.err
	}
	l.file = &LogFile{Name: name, Length: n, r: l.cur, left: n}
	return l.file, nil
}

// Close releases the underlying file.
func (l *NodeLog) Close() error {
	if l.closer != nil {
		c := l.closer
		l.closer = nil
		return c.Close()
	}
	return nil
}

// decodeUTFKey decodes a key written by Java's DataOutput.writeUTF.
func decodeUTFKey(k []byte) (string, error) {
	r := bytes.NewReader(k)
	s, err := readUTF(r)
	if err != nil || r.Len() != 0 {
		return "", fmt.Errorf("corrupt aggregated log: key %q is not a Java UTF string", k)
	}
	return s, nil
}

// readUTF reads a Java writeUTF string: a big-endian uint16 byte count,
// then modified UTF-8. It returns io.EOF only when r is empty.
func readUTF(r io.Reader) (string, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return "", err
	}
	b := make([]byte, binary.BigEndian.Uint16(n[:]))
	if _, err := io.ReadFull(r, b); err != nil {
		return "", noEOF(err)
	}
	return decodeModifiedUTF8(b)
}

// decodeModifiedUTF8 decodes Java's modified UTF-8: NUL as C0 80, and
// characters outside the BMP as two 3-byte surrogates.
func decodeModifiedUTF8(b []byte) (string, error) {
	ascii := true
	for _, c := range b {
		if c == 0 || c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), nil
	}
	units := make([]uint16, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c != 0 && c < 0x80:
			units = append(units, uint16(c))
			i++
		case c&0xe0 == 0xc0 && i+1 < len(b) && b[i+1]&0xc0 == 0x80:
			units = append(units, uint16(c&0x1f)<<6|uint16(b[i+1]&0x3f))
			i += 2
		case c&0xf0 == 0xe0 && i+2 < len(b) && b[i+1]&0xc0 == 0x80 && b[i+2]&0xc0 == 0x80:
			units = append(units, uint16(c&0x0f)<<12|uint16(b[i+1]&0x3f)<<6|uint16(b[i+2]&0x3f))
			i += 3
		default:
			return "", fmt.Errorf("malformed modified UTF-8 at byte %d", i)
		}
	}
	return string(utf16.Decode(units)), nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
