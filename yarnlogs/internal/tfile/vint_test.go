package tfile

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"testing"
)

// vlongVectors were produced by hadoop-common 3.4.1's Utils.writeVLong.
var vlongVectors = []struct {
	v   int64
	hex string
}{
	{0, "00"},
	{1, "01"},
	{-1, "ff"},
	{-32, "e0"},
	{-33, "cbdf"},
	{127, "7f"},
	{128, "cc80"},
	{-5120, "b800"},
	{-5121, "a7ebff"},
	{5119, "dfff"},
	{5120, "a81400"},
	{-1048576, "980000"},
	{1048575, "b7ffff"},
	{1048576, "90100000"},
	{-1048577, "8fefffff"},
	{134217727, "97ffffff"},
	{134217728, "8308000000"},
	{-134217728, "88000000"},
	{-134217729, "83f7ffffff"},
	{2147483647, "837fffffff"},
	{-2147483648, "8380000000"},
	{2147483648, "840080000000"},
	{549755813887, "847fffffffff"},
	{549755813888, "85008000000000"},
	{-549755813889, "85ff7fffffffff"},
	{140737488355328, "8600800000000000"},
	{36028797018963967, "867fffffffffffff"},
	{36028797018963968, "870080000000000000"},
	{math.MaxInt64, "877fffffffffffffff"},
	{math.MinInt64, "878000000000000000"},
}

func TestVLongVectors(t *testing.T) {
	for _, tc := range vlongVectors {
		want, _ := hex.DecodeString(tc.hex)
		if got := AppendVLong(nil, tc.v); !bytes.Equal(got, want) {
			t.Errorf("AppendVLong(%d) = %x, want %s", tc.v, got, tc.hex)
		}
		r := bytes.NewReader(want)
		got, err := ReadVLong(r)
		if err != nil || got != tc.v || r.Len() != 0 {
			t.Errorf("ReadVLong(%s) = %d, %v (%d left), want %d", tc.hex, got, err, r.Len(), tc.v)
		}
	}
}

func TestVLongErrors(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		want error
	}{
		{"", io.EOF},
		{"cc", io.ErrUnexpectedEOF},
		{"a8", io.ErrUnexpectedEOF},
		{"9010", io.ErrUnexpectedEOF},
		{"877fff", io.ErrUnexpectedEOF},
		{"80", errCorruptVLong}, // length 1 in the long form is never written
		{"82", errCorruptVLong}, // length 3
	} {
		b, _ := hex.DecodeString(tc.hex)
		if _, err := ReadVLong(bytes.NewReader(b)); !errors.Is(err, tc.want) {
			t.Errorf("ReadVLong(%q) error %v, want %v", tc.hex, err, tc.want)
		}
	}
	if _, err := ReadVInt(bytes.NewReader([]byte{0x84, 0, 0x80, 0, 0, 0})); err == nil {
		t.Error("ReadVInt accepted 2^31")
	}
}

func FuzzVLong(f *testing.F) {
	for _, tc := range vlongVectors {
		b, _ := hex.DecodeString(tc.hex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		v, err := ReadVLong(r)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a form that decodes the same.
		enc := AppendVLong(nil, v)
		if got, err := ReadVLong(bytes.NewReader(enc)); err != nil || got != v {
			t.Fatalf("%d re-encoded as %x decodes to %d, %v", v, enc, got, err)
		}
	})
}
