package tfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// MaxKeySize is TFile's limit on a key's length.
const MaxKeySize = 64 << 10

// Reader is an open TFile.
type Reader struct {
	bc          *bcFile
	recordCount int64
	comparator  string
	// blockEntries[i] is how many records data block i holds (TFile.index).
	blockEntries []int64
}

// NewReader parses a TFile's BCFile container and its TFile.meta and
// TFile.index blocks. size is the file's length.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	bc, err := openBCFile(r, size)
	if err != nil {
		return nil, err
	}
	t := &Reader{bc: bc}
	meta, err := bc.readMeta("TFile.meta")
	if err != nil {
		return nil, err
	}
	mr := bytes.NewReader(meta)
	var ver [4]byte
	if _, err := io.ReadFull(mr, ver[:]); err != nil {
		return nil, fmt.Errorf("reading the TFile version: %w", noEOF(err))
	}
	if major := int16(binary.BigEndian.Uint16(ver[:2])); major != 1 {
		return nil, fmt.Errorf("TFile version %d.%d is not supported (only 1.x)", major, int16(binary.BigEndian.Uint16(ver[2:])))
	}
	if t.recordCount, err = ReadVLong(mr); err != nil {
		return nil, fmt.Errorf("reading the TFile record count: %w", noEOF(err))
	}
	if t.recordCount < 0 {
		return nil, fmt.Errorf("corrupt TFile: negative record count %d", t.recordCount)
	}
	if t.comparator, err = readString(mr); err != nil {
		return nil, fmt.Errorf("reading the TFile comparator: %w", err)
	}
	if err := t.readIndex(); err != nil {
		return nil, err
	}
	return t, nil
}

// readIndex reads TFile.index: a length-prefixed first key, then per data
// block a length-prefixed entry holding its last key and its record count.
func (t *Reader) readIndex() error {
	idx, err := t.bc.readMeta("TFile.index")
	if err != nil {
		return err
	}
	r := bytes.NewReader(idx)
	size, err := ReadVInt(r)
	if err != nil {
		return fmt.Errorf("reading the TFile index: %w", noEOF(err))
	}
	if size <= 0 {
		if len(t.bc.blocks) != 0 {
			return fmt.Errorf("corrupt TFile: empty index for %d data blocks", len(t.bc.blocks))
		}
		return nil
	}
	if int(size) > r.Len() {
		return fmt.Errorf("corrupt TFile: first-key entry of %d bytes, %d left in the index", size, r.Len())
	}
	if _, err := r.Seek(int64(size), io.SeekCurrent); err != nil {
		return err
	}
	var sum int64
	t.blockEntries = make([]int64, 0, len(t.bc.blocks))
	for i := range t.bc.blocks {
		size, err := ReadVInt(r)
		if err != nil {
			return fmt.Errorf("reading TFile index entry %d: %w", i, noEOF(err))
		}
		if size < 0 || int(size) > r.Len() {
			return fmt.Errorf("corrupt TFile: index entry %d of %d bytes, %d left", i, size, r.Len())
		}
		start := r.Len()
		klen, err := ReadVInt(r)
		if err != nil {
			return fmt.Errorf("reading TFile index entry %d: %w", i, noEOF(err))
		}
		if klen < 0 || klen > MaxKeySize || int(klen) > r.Len() {
			return fmt.Errorf("corrupt TFile: index entry %d has a key of %d bytes", i, klen)
		}
		if _, err := r.Seek(int64(klen), io.SeekCurrent); err != nil {
			return err
		}
		n, err := ReadVLong(r)
		if err != nil {
			return fmt.Errorf("reading TFile index entry %d: %w", i, noEOF(err))
		}
		if n < 0 || n > math.MaxInt64-sum {
			return fmt.Errorf("corrupt TFile: data block %d claims %d records", i, n)
		}
		if used := start - r.Len(); used != int(size) {
			return fmt.Errorf("corrupt TFile: index entry %d is %d bytes but declares %d", i, used, size)
		}
		sum += n
		t.blockEntries = append(t.blockEntries, n)
	}
	return nil
}

// RecordCount is the number of key/value records TFile.meta declares.
func (t *Reader) RecordCount() int64 { return t.recordCount }

// Compression is the data blocks' compression ("none", "gz", ...).
func (t *Reader) Compression() string { return t.bc.compression }

// Comparator is the key order ("" for an unsorted TFile, as YARN's).
func (t *Reader) Comparator() string { return t.comparator }

// Blocks are the data blocks' regions.
func (t *Reader) Blocks() []Region { return append([]Region(nil), t.bc.blocks...) }

// Scanner returns a scanner over all records, first to last.
func (t *Reader) Scanner() *Scanner {
	return &Scanner{t: t, block: -1}
}

// Scanner walks the records in file order. Next moves to the next record;
// Key and Value give it. The value is streamed from the block, never held
// whole: reading it is optional, Next skips what is left.
type Scanner struct {
	t     *Reader
	block int   // current data block, -1 before the first
	left  int64 // records left in the current block
	br    *bufio.Reader
	key   []byte
	val   *valueReader
	err   error
}

// Next advances to the next record. It returns false at the end or on an
// error; Err tells which.
func (s *Scanner) Next() bool {
	if s.err != nil {
		return false
	}
	if s.val != nil {
		if err := s.val.skip(); err != nil {
			s.err = fmt.Errorf("skipping the rest of a value in data block %d: %w", s.block, err)
			return false
		}
		s.val = nil
	}
	for s.left == 0 {
		s.block++
		if s.block >= len(s.t.bc.blocks) {
			s.key = nil
			return false
		}
		s.left = s.t.blockEntries[s.block]
		if s.left == 0 {
			continue
		}
		rd, err := s.t.bc.blockReader(s.t.bc.compression, s.t.bc.blocks[s.block])
		if err != nil {
			s.err = fmt.Errorf("opening data block %d: %w", s.block, err)
			return false
		}
		if s.br == nil {
			s.br = bufio.NewReaderSize(rd, 64<<10)
		} else {
			s.br.Reset(rd)
		}
	}
	klen, err := ReadVInt(s.br)
	if err != nil {
		s.err = fmt.Errorf("reading a key length in data block %d: %w", s.block, noEOF(err))
		return false
	}
	if klen < 0 || klen > MaxKeySize {
		s.err = fmt.Errorf("corrupt TFile: key length %d in data block %d", klen, s.block)
		return false
	}
	if cap(s.key) < int(klen) {
		s.key = make([]byte, klen)
	}
	s.key = s.key[:klen]
	if _, err := io.ReadFull(s.br, s.key); err != nil {
		s.err = fmt.Errorf("reading a %d-byte key in data block %d: %w", klen, s.block, noEOF(err))
		return false
	}
	s.left--
	s.val = &valueReader{r: s.br}
	return true
}

// Key is the current record's key; it is valid until the next call to Next.
func (s *Scanner) Key() []byte { return s.key }

// Value streams the current record's value; it is valid until the next
// call to Next.
func (s *Scanner) Value() io.Reader {
	if s.val == nil {
		return bytes.NewReader(nil)
	}
	return s.val
}

// Err is the error that stopped Next, if any.
func (s *Scanner) Err() error { return s.err }

// valueReader decodes a chunk-encoded value: chunks of vint length and
// bytes, a negative length meaning more chunks follow.
type valueReader struct {
	r      *bufio.Reader
	remain int64
	last   bool
	err    error
}

var errChunkLength = errors.New("corrupt TFile: chunk length out of range")

// nextChunk reads the next chunk header.
func (v *valueReader) nextChunk() {
	n, err := ReadVInt(v.r)
	if err != nil {
		v.err = fmt.Errorf("reading a value chunk length: %w", noEOF(err))
		return
	}
	switch {
	case n == math.MinInt32:
		v.err = errChunkLength
	case n >= 0:
		v.last, v.remain = true, int64(n)
	default:
		v.remain = -int64(n)
	}
}

func (v *valueReader) Read(p []byte) (int, error) {
	for v.err == nil && v.remain == 0 {
		if v.last {
			return 0, io.EOF
		}
		v.nextChunk()
	}
	if v.err != nil {
		return 0, v.err
	}
	if int64(len(p)) > v.remain {
		p = p[:v.remain]
	}
	n, err := v.r.Read(p)
	v.remain -= int64(n)
	if err != nil {
		if err == io.EOF {
			err = fmt.Errorf("value chunk ends %d bytes early: %w", v.remain, io.ErrUnexpectedEOF)
		}
		v.err = err
		if n > 0 {
			return n, nil
		}
		return 0, err
	}
	return n, nil
}

// skip discards the rest of the value.
func (v *valueReader) skip() error {
	for v.err == nil {
		switch {
		case v.remain > 0:
			n, err := v.r.Discard(int(min(v.remain, math.MaxInt32)))
			v.remain -= int64(n)
			if err != nil {
				v.err = fmt.Errorf("value chunk ends %d bytes early: %w", v.remain, io.ErrUnexpectedEOF)
			}
		case v.last:
			return nil
		default:
			v.nextChunk()
		}
	}
	return v.err
}
