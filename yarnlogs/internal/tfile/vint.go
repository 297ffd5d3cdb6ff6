package tfile

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// errCorruptVLong is returned for the first-byte values TFile never writes
// (lengths 1..3 in the long form).
var errCorruptVLong = errors.New("corrupt TFile variable-length integer")

// ReadVLong decodes one TFile variable-length integer (hadoop-common's
// io/file/tfile Utils.readVLong, which is not WritableUtils' encoding). The
// first byte, as a signed value FB, decides the form:
//
//	FB >= -32          the value is FB itself
//	-72 <= FB <= -33   two bytes:   (FB+52)<<8  | next byte
//	-104 <= FB <= -73  three bytes: (FB+88)<<16 | next 2 bytes
//	-120 <= FB <= -105 four bytes:  (FB+112)<<24 | next 3 bytes
//	-128 <= FB <= -121 FB+129 (4..8) further bytes, a signed big-endian integer
func ReadVLong(r io.ByteReader) (int64, error) {
	b, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	fb := int64(int8(b))
	if fb >= -32 {
		return fb, nil
	}
	var extra int
	var hi int64
	switch {
	case fb >= -72:
		extra, hi = 1, fb+52
	case fb >= -104:
		extra, hi = 2, fb+88
	case fb >= -120:
		extra, hi = 3, fb+112
	default:
		n := int(fb + 129)
		if n < 4 || n > 8 {
			return 0, errCorruptVLong
		}
		// A signed big-endian integer of n bytes.
		var v int64
		for i := 0; i < n; i++ {
			c, err := r.ReadByte()
			if err != nil {
				return 0, noEOF(err)
			}
			if i == 0 {
				v = int64(int8(c))
			} else {
				v = v<<8 | int64(c)
			}
		}
		return v, nil
	}
	v := hi
	for i := 0; i < extra; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return 0, noEOF(err)
		}
		v = v<<8 | int64(c)
	}
	return v, nil
}

// ReadVInt is ReadVLong limited to the int32 range, as Utils.readVInt.
func ReadVInt(r io.ByteReader) (int32, error) {
	v, err := ReadVLong(r)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0, fmt.Errorf("TFile integer %d does not fit in 32 bits", v)
	}
	return int32(v), nil
}

// AppendVLong appends n in TFile's variable-length encoding (the shortest
// form, as Utils.writeVLong writes it).
func AppendVLong(b []byte, n int64) []byte {
	if n >= -32 && n < 128 {
		return append(b, byte(n))
	}
	switch {
	case n >= -20<<8 && n < 20<<8:
		return append(b, byte(n>>8-52), byte(n))
	case n >= -16<<16 && n < 16<<16:
		return append(b, byte(n>>16-88), byte(n>>8), byte(n))
	case n >= -8<<24 && n < 8<<24:
		return append(b, byte(n>>24-112), byte(n>>16), byte(n>>8), byte(n))
	}
	// Long form: the fewest bytes (4..8) holding n with its sign bit.
	size := 4
	for size < 8 && (n < -(1<<(8*size-1)) || n >= 1<<(8*size-1)) {
		size++
	}
	b = append(b, byte(size-129))
	for i := size - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// noEOF turns a clean EOF in the middle of a structure into an unexpected one.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
