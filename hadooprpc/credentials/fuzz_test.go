package credentials

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// FuzzParse checks that arbitrary input never panics or allocates beyond
// its size, and that whatever parses re-encodes to something that parses
// to the same credentials in both formats.
func FuzzParse(f *testing.F) {
	for _, h := range []string{hadoopV0, hadoopV1} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Add([]byte("HDTS\x00\x8c\x7f\xff\xff\xff"))
	f.Add([]byte("HDTS\x01\xff\xff\xff\xff\x07"))
	f.Add([]byte("HDTS"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := Parse(in)
		if err != nil {
			return
		}
		for _, form := range []Format{FormatWritable, FormatProtobuf} {
			b, err := c.Marshal(form)
			if err != nil {
				t.Fatalf("%v: re-encoding parsed input: %v", form, err)
			}
			back, err := Parse(b)
			if err != nil {
				t.Fatalf("%v: parsing our own output: %v", form, err)
			}
			b2, _ := back.Marshal(form)
			if !bytes.Equal(b, b2) {
				t.Fatalf("%v: not stable:\n%x\n%x", form, b, b2)
			}
		}
	})
}

// FuzzVLong checks the vlong codec round-trips every value.
func FuzzVLong(f *testing.F) {
	for _, v := range vlongVectors {
		f.Add(v.v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		b := AppendVLong(nil, v)
		got, n, err := ConsumeVLong(b)
		if err != nil || got != v || n != len(b) || VLongSize(b[0]) != len(b) {
			t.Fatalf("%d -> %x -> %d, %d, %v", v, b, got, n, err)
		}
	})
}
