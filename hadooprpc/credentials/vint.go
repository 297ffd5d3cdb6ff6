package credentials

import (
	"errors"
	"fmt"
	"math"
)

// Hadoop's WritableUtils variable-length integers (not protobuf varints):
// values -112..127 are one byte holding the value; otherwise the first byte
// says the sign and how many big-endian bytes follow (-113..-120: positive,
// 1..8 bytes; -121..-128: negative, 1..8 bytes, stored as the one's
// complement), and the following bytes carry the magnitude with leading zero
// bytes dropped.

var errTruncated = errors.New("unexpected end of data")

// AppendVLong appends v in WritableUtils.writeVLong encoding.
func AppendVLong(b []byte, v int64) []byte {
	if v >= -112 && v <= 127 {
		return append(b, byte(v))
	}
	first := -112
	if v < 0 {
		v = ^v
		first = -120
	}
	n := 0
	for t := v; t != 0; t >>= 8 {
		n++
	}
	b = append(b, byte(int8(first-n)))
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// AppendVInt appends v in WritableUtils.writeVInt encoding (the same bytes
// as AppendVLong).
func AppendVInt(b []byte, v int32) []byte {
	return AppendVLong(b, int64(v))
}

// VLongSize is the encoded size, in bytes, of the value whose first byte is
// first (WritableUtils.decodeVIntSize).
func VLongSize(first byte) int {
	f := int(int8(first))
	switch {
	case f >= -112:
		return 1
	case f < -120:
		return -119 - f
	default:
		return -111 - f
	}
}

// ConsumeVLong decodes a WritableUtils vlong from the front of b, returning
// the value and the number of bytes used. Like Hadoop's reader it accepts
// non-minimal encodings.
func ConsumeVLong(b []byte) (int64, int, error) {
	if len(b) == 0 {
		return 0, 0, errTruncated
	}
	n := VLongSize(b[0])
	if n == 1 {
		return int64(int8(b[0])), 1, nil
	}
	if len(b) < n {
		return 0, 0, errTruncated
	}
	var v int64
	for _, c := range b[1:n] {
		v = v<<8 | int64(c)
	}
	f := int8(b[0])
	if f < -120 { // negative: stored as the one's complement
		v = ^v
	}
	return v, n, nil
}

// ConsumeVInt decodes a WritableUtils vint, which must fit in an int32, as
// WritableUtils.readVInt requires.
func ConsumeVInt(b []byte) (int32, int, error) {
	v, n, err := ConsumeVLong(b)
	if err != nil {
		return 0, 0, err
	}
	if v > math.MaxInt32 || v < math.MinInt32 {
		return 0, 0, fmt.Errorf("variable-length integer %d does not fit in 32 bits", v)
	}
	return int32(v), n, nil
}
