package yarnlogs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A decoder of Java's object serialization stream (java.io.ObjectOutputStream,
// protocol version 2), enough for what LogAggregationIndexedFileController
// writes as a node file's index: objects of serializable classes, strings,
// enums, arrays and the custom data of HashMap and ArrayList. It builds
// values only; no class is ever instantiated, so a hostile stream can do no
// more than fail to decode. Sizes are checked against the bytes left and
// nesting is bounded.

// ErrJavaSerial is wrapped by every decoding error.
var ErrJavaSerial = errors.New("corrupt IndexedFile index (Java serialization)")

const (
	jsMagic   = 0xaced
	jsVersion = 5

	tcNull           = 0x70
	tcReference      = 0x71
	tcClassDesc      = 0x72
	tcObject         = 0x73
	tcString         = 0x74
	tcArray          = 0x75
	tcClass          = 0x76
	tcBlockData      = 0x77
	tcEndBlockData   = 0x78
	tcReset          = 0x79
	tcBlockDataLong  = 0x7a
	tcException      = 0x7b
	tcLongString     = 0x7c
	tcProxyClassDesc = 0x7d
	tcEnum           = 0x7e

	baseWireHandle = 0x7e0000

	scWriteMethod    = 0x01
	scSerializable   = 0x02
	scExternalizable = 0x04
	scBlockData      = 0x08

	// maxJavaDepth bounds nesting (the index nests about six deep).
	maxJavaDepth = 64
)

// jClass is a class descriptor.
type jClass struct {
	Name   string
	Flags  byte
	Fields []jField
	Super  *jClass
}

type jField struct {
	Type  byte // B C D F I J S Z, or L / [ for objects
	Name  string
	Class string
}

// jObject is an instance: its fields' values by name (all classes of its
// hierarchy together) and, for classes with their own writeObject, what
// that wrote after the fields: raw block data and objects, in order.
type jObject struct {
	Class   *jClass
	Fields  map[string]any
	Block   []byte
	Objects []any
}

// jEnum is an enum constant.
type jEnum struct {
	Class *jClass
	Name  string
}

// jArray is an array; primitive elements are decoded as their Go types.
type jArray struct {
	Class *jClass
	Elems []any
}

// instanceOf reports whether the object's class or a superclass is name.
func (o *jObject) instanceOf(name string) bool {
	for c := o.Class; c != nil; c = c.Super {
		if c.Name == name {
			return true
		}
	}
	return false
}

type javaDecoder struct {
	b       []byte
	off     int
	handles []any
	depth   int
}

// decodeJavaObject decodes a stream holding one top-level object.
func decodeJavaObject(b []byte) (any, error) {
	d := &javaDecoder{b: b}
	m, err := d.u16()
	if err != nil {
		return nil, err
	}
	v, err := d.u16()
	if err != nil {
		return nil, err
	}
	if m != jsMagic || v != jsVersion {
		return nil, fmt.Errorf("%w: stream header %04x %04x, want aced 0005", ErrJavaSerial, m, v)
	}
	return d.content()
}

func (d *javaDecoder) errf(format string, args ...any) error {
	return fmt.Errorf("%w: at byte %d: %s", ErrJavaSerial, d.off, fmt.Sprintf(format, args...))
}

func (d *javaDecoder) need(n int) error {
	if n < 0 || len(d.b)-d.off < n {
		return d.errf("%d bytes needed, %d left", n, len(d.b)-d.off)
	}
	return nil
}

func (d *javaDecoder) u8() (byte, error) {
	if err := d.need(1); err != nil {
		return 0, err
	}
	d.off++
	return d.b[d.off-1], nil
}

func (d *javaDecoder) u16() (uint16, error) {
	if err := d.need(2); err != nil {
		return 0, err
	}
	d.off += 2
	return binary.BigEndian.Uint16(d.b[d.off-2:]), nil
}

func (d *javaDecoder) u32() (uint32, error) {
	if err := d.need(4); err != nil {
		return 0, err
	}
	d.off += 4
	return binary.BigEndian.Uint32(d.b[d.off-4:]), nil
}

func (d *javaDecoder) u64() (uint64, error) {
	if err := d.need(8); err != nil {
		return 0, err
	}
	d.off += 8
	return binary.BigEndian.Uint64(d.b[d.off-8:]), nil
}

func (d *javaDecoder) bytes(n int) ([]byte, error) {
	if err := d.need(n); err != nil {
		return nil, err
	}
	d.off += n
	return d.b[d.off-n : d.off], nil
}

// utf reads a writeUTF string (u16 length, modified UTF-8).
func (d *javaDecoder) utf() (string, error) {
	n, err := d.u16()
	if err != nil {
		return "", err
	}
	b, err := d.bytes(int(n))
	if err != nil {
		return "", err
	}
	s, err := decodeModifiedUTF8(b)
	if err != nil {
		return "", d.errf("%v", err)
	}
	return s, nil
}

func (d *javaDecoder) newHandle(v any) int {
	d.handles = append(d.handles, v)
	return len(d.handles) - 1
}

// content reads one object (block data is an error here).
func (d *javaDecoder) content() (any, error) {
	v, isBlock, err := d.contentOrBlock()
	if err != nil {
		return nil, err
	}
	if isBlock {
		return nil, d.errf("block data where an object was expected")
	}
	return v, nil
}

// contentOrBlock reads one object, or block data ([]byte, true).
func (d *javaDecoder) contentOrBlock() (any, bool, error) {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxJavaDepth {
		return nil, false, d.errf("objects nested deeper than %d", maxJavaDepth)
	}
	for {
		tc, err := d.u8()
		if err != nil {
			return nil, false, err
		}
		switch tc {
		case tcReset:
			d.handles = d.handles[:0]
			continue
		case tcBlockData:
			n, err := d.u8()
			if err != nil {
				return nil, false, err
			}
			b, err := d.bytes(int(n))
			return b, true, err
		case tcBlockDataLong:
			n, err := d.u32()
			if err != nil {
				return nil, false, err
			}
			if n > math.MaxInt32 {
				return nil, false, d.errf("block of %d bytes", n)
			}
			b, err := d.bytes(int(n))
			return b, true, err
		case tcNull:
			return nil, false, nil
		case tcReference:
			v, err := d.reference()
			return v, false, err
		case tcString:
			s, err := d.utf()
			if err != nil {
				return nil, false, err
			}
			d.newHandle(s)
			return s, false, nil
		case tcLongString:
			n, err := d.u64()
			if err != nil {
				return nil, false, err
			}
			if n > uint64(len(d.b)-d.off) {
				return nil, false, d.errf("string of %d bytes, %d left", n, len(d.b)-d.off)
			}
			b, _ := d.bytes(int(n))
			s, err := decodeModifiedUTF8(b)
			if err != nil {
				return nil, false, d.errf("%v", err)
			}
			d.newHandle(s)
			return s, false, nil
		case tcClassDesc, tcProxyClassDesc:
			d.off--
			c, err := d.classDesc()
			return c, false, err
		case tcClass:
			c, err := d.classDesc()
			if err != nil {
				return nil, false, err
			}
			d.newHandle(c)
			return c, false, nil
		case tcEnum:
			c, err := d.classDesc()
			if err != nil {
				return nil, false, err
			}
			e := &jEnum{Class: c}
			d.newHandle(e)
			name, err := d.content()
			if err != nil {
				return nil, false, err
			}
			s, ok := name.(string)
			if !ok {
				return nil, false, d.errf("enum constant name is %T, not a string", name)
			}
			e.Name = s
			return e, false, nil
		case tcArray:
			v, err := d.array()
			return v, false, err
		case tcObject:
			v, err := d.object()
			return v, false, err
		case tcException:
			return nil, false, d.errf("the stream records an exception thrown while writing it")
		default:
			return nil, false, d.errf("unknown type code 0x%02x", tc)
		}
	}
}

func (d *javaDecoder) reference() (any, error) {
	h, err := d.u32()
	if err != nil {
		return nil, err
	}
	i := int64(h) - baseWireHandle
	if i < 0 || i >= int64(len(d.handles)) {
		return nil, d.errf("reference to unknown handle 0x%x", h)
	}
	return d.handles[i], nil
}

// classDesc reads a class descriptor: new, a reference, or null.
func (d *javaDecoder) classDesc() (*jClass, error) {
	tc, err := d.u8()
	if err != nil {
		return nil, err
	}
	switch tc {
	case tcNull:
		return nil, nil
	case tcReference:
		v, err := d.reference()
		if err != nil {
			return nil, err
		}
		c, ok := v.(*jClass)
		if !ok {
			return nil, d.errf("reference to a %T where a class was expected", v)
		}
		return c, nil
	case tcProxyClassDesc:
		return nil, d.errf("proxy classes are not expected in a log index")
	case tcClassDesc:
	default:
		return nil, d.errf("type code 0x%02x where a class was expected", tc)
	}
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxJavaDepth {
		return nil, d.errf("classes nested deeper than %d", maxJavaDepth)
	}
	c := &jClass{}
	if c.Name, err = d.utf(); err != nil {
		return nil, err
	}
	if _, err := d.u64(); err != nil { // serialVersionUID
		return nil, err
	}
	d.newHandle(c)
	if c.Flags, err = d.u8(); err != nil {
		return nil, err
	}
	n, err := d.u16()
	if err != nil {
		return nil, err
	}
	if int(n)*3 > len(d.b)-d.off {
		return nil, d.errf("class %s claims %d fields", c.Name, n)
	}
	for i := 0; i < int(n); i++ {
		var f jField
		if f.Type, err = d.u8(); err != nil {
			return nil, err
		}
		if f.Name, err = d.utf(); err != nil {
			return nil, err
		}
		switch f.Type {
		case 'B', 'C', 'D', 'F', 'I', 'J', 'S', 'Z':
		case 'L', '[':
			v, err := d.content()
			if err != nil {
				return nil, err
			}
			s, ok := v.(string)
			if !ok {
				return nil, d.errf("field %s.%s: type name is %T", c.Name, f.Name, v)
			}
			f.Class = s
		default:
			return nil, d.errf("field %s.%s: unknown type code %q", c.Name, f.Name, f.Type)
		}
		c.Fields = append(c.Fields, f)
	}
	// Class annotations (none from ObjectOutputStream itself) are skipped.
	if _, _, err := d.annotation(); err != nil {
		return nil, err
	}
	if c.Super, err = d.classDesc(); err != nil {
		return nil, err
	}
	return c, nil
}

// annotation reads block data and objects up to TC_ENDBLOCKDATA.
func (d *javaDecoder) annotation() ([]byte, []any, error) {
	var block []byte
	var objs []any
	for {
		if err := d.need(1); err != nil {
			return nil, nil, err
		}
		if d.b[d.off] == tcEndBlockData {
			d.off++
			return block, objs, nil
		}
		v, isBlock, err := d.contentOrBlock()
		if err != nil {
			return nil, nil, err
		}
		if isBlock {
			block = append(block, v.([]byte)...)
		} else {
			objs = append(objs, v)
		}
	}
}

func (d *javaDecoder) value(t byte) (any, error) {
	switch t {
	case 'B':
		v, err := d.u8()
		return int8(v), err
	case 'Z':
		v, err := d.u8()
		return v != 0, err
	case 'C', 'S':
		v, err := d.u16()
		if t == 'S' {
			return int16(v), err
		}
		return v, err
	case 'I':
		v, err := d.u32()
		return int32(v), err
	case 'F':
		v, err := d.u32()
		return math.Float32frombits(v), err
	case 'J':
		v, err := d.u64()
		return int64(v), err
	case 'D':
		v, err := d.u64()
		return math.Float64frombits(v), err
	default:
		return d.content()
	}
}

func (d *javaDecoder) array() (any, error) {
	c, err := d.classDesc()
	if err != nil {
		return nil, err
	}
	if c == nil || len(c.Name) < 2 || c.Name[0] != '[' {
		return nil, d.errf("array of a class that is not an array type")
	}
	a := &jArray{Class: c}
	d.newHandle(a)
	n, err := d.u32()
	if err != nil {
		return nil, err
	}
	// Every element takes at least a byte.
	if int64(n) > int64(len(d.b)-d.off) {
		return nil, d.errf("array of %d elements, %d bytes left", n, len(d.b)-d.off)
	}
	t := c.Name[1]
	for i := uint32(0); i < n; i++ {
		v, err := d.value(t)
		if err != nil {
			return nil, err
		}
		a.Elems = append(a.Elems, v)
	}
	return a, nil
}

func (d *javaDecoder) object() (any, error) {
	c, err := d.classDesc()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, d.errf("object of a null class")
	}
	o := &jObject{Class: c, Fields: map[string]any{}}
	d.newHandle(o)
	var chain []*jClass
	for k := c; k != nil; k = k.Super {
		if len(chain) >= maxJavaDepth {
			return nil, d.errf("class hierarchy deeper than %d", maxJavaDepth)
		}
		chain = append(chain, k)
	}
	// Superclasses' data comes first.
	for i := len(chain) - 1; i >= 0; i-- {
		k := chain[i]
		switch {
		case k.Flags&scExternalizable != 0:
			if k.Flags&scBlockData == 0 {
				return nil, d.errf("class %s is externalizable in the old format", k.Name)
			}
			if err := d.objectAnnotation(o); err != nil {
				return nil, err
			}
		case k.Flags&scSerializable != 0:
			for _, f := range k.Fields {
				v, err := d.value(f.Type)
				if err != nil {
					return nil, err
				}
				o.Fields[f.Name] = v
			}
			if k.Flags&scWriteMethod != 0 {
				if err := d.objectAnnotation(o); err != nil {
					return nil, err
				}
			}
		default:
			return nil, d.errf("class %s is not serializable", k.Name)
		}
	}
	return o, nil
}

func (d *javaDecoder) objectAnnotation(o *jObject) error {
	b, objs, err := d.annotation()
	if err != nil {
		return err
	}
	o.Block = append(o.Block, b...)
	o.Objects = append(o.Objects, objs...)
	return nil
}
