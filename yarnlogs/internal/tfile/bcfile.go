// Package tfile reads Hadoop's TFile format (hadoop-common io/file/tfile):
// the BCFile block container underneath (magic, trailer, meta index, data
// block index, "none" and "gz" block compression) and the TFile key/value
// records on top of it, with chunk-encoded values streamed rather than
// buffered. It owns only the container format; what YARN puts in the keys and
// values is the yarnlogs package's business.
//
// Every length and count read from the file is checked against the file's
// size or a fixed cap before it is used, so a corrupt or hostile file yields
// an error, never a huge allocation or a panic.
package tfile

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Magic is the 16 bytes a BCFile starts and ends with.
var Magic = [16]byte{0xd1, 0x11, 0xd3, 0x68, 0x91, 0xb5, 0xd7, 0xb6, 0x39, 0xdf, 0x41, 0x40, 0x92, 0xba, 0xe1, 0x50}

// Compression names as BCFile records them.
const (
	CompressionNone = "none"
	CompressionGz   = "gz"
	CompressionLzo  = "lzo"
)

var (
	// ErrNotBCFile means the file carries the BCFile magic at neither end.
	ErrNotBCFile = errors.New("not a TFile: no BCFile magic at its start or end")
	// ErrIncomplete means the file starts like a BCFile but has no trailer:
	// it is still being written, or was cut short.
	ErrIncomplete = errors.New("TFile has no trailer: it is still being written or was truncated")
)

const (
	// tailSize is the meta index offset (int64), the version (2 × int16)
	// and the magic.
	tailSize = 8 + 4 + 16
	// maxString bounds the short strings of the indexes (Hadoop uses 64 KB).
	maxString = 64 << 10
	// maxMetaIndex bounds the meta index bytes read into memory; a TFile
	// has three meta blocks, a few dozen bytes each.
	maxMetaIndex = 1 << 20
	// maxMetaBlock bounds a decompressed meta block (the data block
	// index: about 12 bytes per 256 KB block, so 16 MB covers any log).
	maxMetaBlock = 16 << 20
)

// Region is where a block sits in the file.
type Region struct {
	Offset         int64
	CompressedSize int64
	RawSize        int64
}

type metaEntry struct {
	compression string
	region      Region
}

// bcFile is the parsed BCFile container.
type bcFile struct {
	r           io.ReaderAt
	size        int64
	compression string // of the data blocks and of meta blocks by default
	blocks      []Region
	meta        map[string]metaEntry
}

func openBCFile(r io.ReaderAt, size int64) (*bcFile, error) {
	if size < int64(len(Magic)) {
		return nil, fmt.Errorf("%w (the file has only %d bytes)", ErrNotBCFile, size)
	}
	var head [16]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("reading the BCFile header: %w", noEOF(err))
	}
	if size < int64(len(Magic))+tailSize {
		if head == Magic {
			return nil, ErrIncomplete
		}
		return nil, ErrNotBCFile
	}
	var tail [tailSize]byte
	if _, err := r.ReadAt(tail[:], size-tailSize); err != nil {
		return nil, fmt.Errorf("reading the BCFile trailer: %w", noEOF(err))
	}
	if [16]byte(tail[12:]) != Magic {
		if head == Magic {
			return nil, ErrIncomplete
		}
		return nil, ErrNotBCFile
	}
	metaOff := int64(binary.BigEndian.Uint64(tail[0:8]))
	major := int16(binary.BigEndian.Uint16(tail[8:10]))
	minor := int16(binary.BigEndian.Uint16(tail[10:12]))
	if major != 1 {
		return nil, fmt.Errorf("BCFile version %d.%d is not supported (only 1.x)", major, minor)
	}
	indexEnd := size - tailSize
	if metaOff < int64(len(Magic)) || metaOff >= indexEnd {
		return nil, fmt.Errorf("corrupt BCFile: meta index offset %d outside the file's %d bytes", metaOff, size)
	}
	if indexEnd-metaOff > maxMetaIndex {
		return nil, fmt.Errorf("corrupt BCFile: meta index of %d bytes (more than %d)", indexEnd-metaOff, maxMetaIndex)
	}
	buf := make([]byte, indexEnd-metaOff)
	if _, err := r.ReadAt(buf, metaOff); err != nil {
		return nil, fmt.Errorf("reading the BCFile meta index: %w", noEOF(err))
	}
	f := &bcFile{r: r, size: size, meta: map[string]metaEntry{}}
	br := bytes.NewReader(buf)
	count, err := ReadVInt(br)
	if err != nil {
		return nil, fmt.Errorf("reading the BCFile meta index count: %w", noEOF(err))
	}
	// Each entry takes at least five bytes; more than fit is corruption.
	if count < 0 || int(count) > len(buf)/5 {
		return nil, fmt.Errorf("corrupt BCFile: meta index claims %d entries in %d bytes", count, len(buf))
	}
	for i := 0; i < int(count); i++ {
		name, err := readString(br)
		if err != nil {
			return nil, fmt.Errorf("reading BCFile meta index entry %d: %w", i, err)
		}
		const prefix = "data:"
		if len(name) < len(prefix) || name[:len(prefix)] != prefix {
			return nil, fmt.Errorf("corrupt BCFile: meta block name %q lacks the %q prefix", name, prefix)
		}
		comp, err := readString(br)
		if err != nil {
			return nil, fmt.Errorf("reading BCFile meta block %q compression: %w", name, err)
		}
		reg, err := f.readRegion(br, metaOff)
		if err != nil {
			return nil, fmt.Errorf("reading BCFile meta block %q region: %w", name, err)
		}
		f.meta[name[len(prefix):]] = metaEntry{compression: comp, region: reg}
	}

	// The data block index is itself a meta block.
	idx, err := f.readMeta("BCFile.index")
	if err != nil {
		return nil, err
	}
	ir := bytes.NewReader(idx)
	if f.compression, err = readString(ir); err != nil {
		return nil, fmt.Errorf("reading the BCFile data index compression: %w", err)
	}
	n, err := ReadVInt(ir)
	if err != nil {
		return nil, fmt.Errorf("reading the BCFile data block count: %w", noEOF(err))
	}
	// A region is at least three bytes.
	if n < 0 || int(n) > len(idx)/3 {
		return nil, fmt.Errorf("corrupt BCFile: data index claims %d blocks in %d bytes", n, len(idx))
	}
	f.blocks = make([]Region, 0, n)
	for i := 0; i < int(n); i++ {
		reg, err := f.readRegion(ir, metaOff)
		if err != nil {
			return nil, fmt.Errorf("reading BCFile data block %d region: %w", i, err)
		}
		f.blocks = append(f.blocks, reg)
	}
	return f, nil
}

// readRegion reads a block region and checks it lies between the header
// magic and the meta index.
func (f *bcFile) readRegion(r io.ByteReader, end int64) (Region, error) {
	var v [3]int64
	for i := range v {
		x, err := ReadVLong(r)
		if err != nil {
			return Region{}, noEOF(err)
		}
		v[i] = x
	}
	reg := Region{Offset: v[0], CompressedSize: v[1], RawSize: v[2]}
	if reg.Offset < int64(len(Magic)) || reg.CompressedSize < 0 || reg.RawSize < 0 ||
		reg.Offset > end || reg.CompressedSize > end-reg.Offset {
		return Region{}, fmt.Errorf("corrupt BCFile: block at %d of %d bytes lies outside the data section (which ends at %d)",
			reg.Offset, reg.CompressedSize, end)
	}
	return reg, nil
}

// readMeta returns the decompressed contents of a meta block, bounded by
// maxMetaBlock.
func (f *bcFile) readMeta(name string) ([]byte, error) {
	e, ok := f.meta[name]
	if !ok {
		return nil, fmt.Errorf("corrupt TFile: no %q meta block", name)
	}
	rc, err := f.blockReader(e.compression, e.region)
	if err != nil {
		return nil, fmt.Errorf("opening meta block %q: %w", name, err)
	}
	b, err := io.ReadAll(io.LimitReader(rc, maxMetaBlock+1))
	if err != nil {
		return nil, fmt.Errorf("reading meta block %q: %w", name, err)
	}
	if len(b) > maxMetaBlock {
		return nil, fmt.Errorf("corrupt TFile: meta block %q is larger than %d bytes", name, maxMetaBlock)
	}
	return b, nil
}

// blockReader streams a block's decompressed bytes.
func (f *bcFile) blockReader(compression string, reg Region) (io.Reader, error) {
	return Decompress(compression, io.NewSectionReader(f.r, reg.Offset, reg.CompressedSize))
}

// Decompress streams the bytes compressed in sec with one of Hadoop's
// Compression algorithms (by the name TFile and IndexedFile record).
func Decompress(compression string, sec io.Reader) (io.Reader, error) {
	switch compression {
	case CompressionNone:
		return sec, nil
	case CompressionGz:
		return newZlibBlock(sec), nil
	case CompressionLzo:
		return nil, errors.New("lzo compression is not supported: set yarn.nodemanager.log-aggregation.compression-type to gz or none")
	default:
		return nil, fmt.Errorf("unknown compression %q (known: none, gz)", compression)
	}
}

// zlibBlock decompresses a "gz" block: hadoop's DefaultCodec, a zlib
// stream. Should a block hold several streams back to back (a compressor
// finished and reset mid-block), they are read in turn.
type zlibBlock struct {
	src *bufio.Reader
	z   io.ReadCloser
	err error
}

func newZlibBlock(r io.Reader) *zlibBlock {
	return &zlibBlock{src: bufio.NewReaderSize(r, 64<<10)}
}

func (b *zlibBlock) Read(p []byte) (int, error) {
	for b.err == nil {
		if b.z == nil {
			// bufio.Reader is an io.ByteReader, so the inflater never
			// reads past its stream's end.
			if _, err := b.src.Peek(1); err != nil {
				if err == io.EOF {
					b.err = io.EOF
				} else {
					b.err = err
				}
				break
			}
			z, err := zlib.NewReader(b.src)
			if err != nil {
				b.err = fmt.Errorf("corrupt gz block: %w", noEOF(err))
				break
			}
			b.z = z
		}
		n, err := b.z.Read(p)
		if err == io.EOF {
			b.z = nil
			err = nil
		}
		if err != nil {
			b.err = fmt.Errorf("corrupt gz block: %w", noEOF(err))
		}
		if n > 0 || len(p) == 0 {
			return n, nil
		}
	}
	return 0, b.err
}

// readString reads a BCFile string: a vint length and that many bytes.
func readString(r *bytes.Reader) (string, error) {
	n, err := ReadVInt(r)
	if err != nil {
		return "", noEOF(err)
	}
	if n < 0 || n > maxString || int(n) > r.Len() {
		return "", fmt.Errorf("string length %d out of range (%d bytes left)", n, r.Len())
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", noEOF(err)
	}
	return string(b), nil
}
