package yarnlogs

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// The index of an IndexedFile node file: LogAggregationIndexedFileController's
// IndexedLogsMeta, Java-serialized. Each upload cycle (one at an
// application's end, one per interval under rolling aggregation) adds an
// IndexedPerAggregationLogMeta listing, per container, the files it wrote:
// where their compressed bytes start, how long they are compressed and not.

const ifileClassPrefix = "org.apache.hadoop.yarn.logaggregation.filecontroller.ifile.LogAggregationIndexedFileController$"

// IndexedMeta is a node file's index.
type IndexedMeta struct {
	Version     int32
	User        string
	NodeID      string
	Compression string
	ACLs        map[string]string
	// Uploads are the upload cycles, oldest first.
	Uploads []IndexedUpload
}

// IndexedUpload is what one upload cycle wrote.
type IndexedUpload struct {
	// NodeFile is the node file name the cycle was for.
	NodeFile string
	Time     time.Time
	// Containers are in the order `yarn logs` prints them: that of the
	// Java HashMap it reads them into.
	Containers []IndexedContainer
}

// IndexedContainer is one container's files in one upload.
type IndexedContainer struct {
	ID    string
	Files []IndexedFileMeta
}

// IndexedFileMeta says where one log file's bytes are.
type IndexedFileMeta struct {
	Container string
	Name      string
	// Size is the file's length; CompressedSize the length of its bytes in
	// the node file, from Start.
	Size           int64
	CompressedSize int64
	Start          int64
	ModTime        time.Time
}

// parseIndexedMeta decodes a serialized IndexedLogsMeta.
func parseIndexedMeta(b []byte) (*IndexedMeta, error) {
	v, err := decodeJavaObject(b)
	if err != nil {
		return nil, err
	}
	o, err := asObject(v, ifileClassPrefix+"IndexedLogsMeta")
	if err != nil {
		return nil, err
	}
	m := &IndexedMeta{ACLs: map[string]string{}}
	m.Version, _ = o.Fields["version"].(int32)
	if m.User, err = stringField(o, "user"); err != nil {
		return nil, err
	}
	if m.NodeID, err = stringField(o, "nodeId"); err != nil {
		return nil, err
	}
	if m.Compression, err = stringField(o, "compressName"); err != nil {
		return nil, err
	}
	// ACLs are informational: any map of enum or string keys will do.
	if acl, ok := o.Fields["acls"].(*jObject); ok {
		if keys, vals, err := javaMap(acl); err == nil {
			for i, k := range keys {
				var ks string
				switch k := k.(type) {
				case *jEnum:
					ks = k.Name
				case string:
					ks = k
				}
				if s, ok := vals[i].(string); ok && ks != "" {
					m.ACLs[ks] = s
				}
			}
		}
	}
	uploads, err := javaList(o.Fields["logMetas"])
	if err != nil {
		return nil, fmt.Errorf("%w: logMetas: %v", ErrJavaSerial, err)
	}
	for _, u := range uploads {
		up, err := parseUpload(u)
		if err != nil {
			return nil, err
		}
		m.Uploads = append(m.Uploads, up)
	}
	return m, nil
}

func parseUpload(v any) (IndexedUpload, error) {
	var up IndexedUpload
	o, err := asObject(v, ifileClassPrefix+"IndexedPerAggregationLogMeta")
	if err != nil {
		return up, err
	}
	if up.NodeFile, err = stringField(o, "remoteNodeLogFileName"); err != nil {
		return up, err
	}
	if ts, ok := o.Fields["uploadTimeStamp"].(int64); ok {
		up.Time = time.UnixMilli(ts)
	}
	mo, ok := o.Fields["logMetas"].(*jObject)
	if !ok {
		return up, fmt.Errorf("%w: an upload's logMetas is %T, not a map", ErrJavaSerial, o.Fields["logMetas"])
	}
	keys, vals, err := javaMap(mo)
	if err != nil {
		return up, err
	}
	for i, k := range keys {
		id, ok := k.(string)
		if !ok {
			return up, fmt.Errorf("%w: container key is %T, not a string", ErrJavaSerial, k)
		}
		files, err := javaList(vals[i])
		if err != nil {
			return up, fmt.Errorf("%w: files of %s: %v", ErrJavaSerial, id, err)
		}
		c := IndexedContainer{ID: id}
		for _, f := range files {
			fm, err := parseFileMeta(f)
			if err != nil {
				return up, err
			}
			c.Files = append(c.Files, fm)
		}
		up.Containers = append(up.Containers, c)
	}
	return up, nil
}

func parseFileMeta(v any) (IndexedFileMeta, error) {
	var f IndexedFileMeta
	o, err := asObject(v, ifileClassPrefix+"IndexedFileLogMeta")
	if err != nil {
		return f, err
	}
	if f.Container, err = stringField(o, "containerId"); err != nil {
		return f, err
	}
	if f.Name, err = stringField(o, "fileName"); err != nil {
		return f, err
	}
	f.Size, _ = o.Fields["fileSize"].(int64)
	f.CompressedSize, _ = o.Fields["fileCompressedSize"].(int64)
	f.Start, _ = o.Fields["startIndex"].(int64)
	// Hadoop before 3.3 spelled it lastModificatedTime.
	mt, ok := o.Fields["lastModifiedTime"].(int64)
	if !ok {
		mt, _ = o.Fields["lastModificatedTime"].(int64)
	}
	f.ModTime = time.UnixMilli(mt)
	if f.Size < 0 || f.CompressedSize < 0 || f.Start < 0 {
		return f, fmt.Errorf("%w: log file %s of %s has negative offsets (start %d, %d bytes, %d compressed)",
			ErrJavaSerial, f.Name, f.Container, f.Start, f.Size, f.CompressedSize)
	}
	return f, nil
}

func asObject(v any, class string) (*jObject, error) {
	o, ok := v.(*jObject)
	if !ok {
		return nil, fmt.Errorf("%w: found %T where a %s was expected", ErrJavaSerial, v, shortClass(class))
	}
	if o.Class.Name != class {
		return nil, fmt.Errorf("%w: found a %s where a %s was expected", ErrJavaSerial, o.Class.Name, shortClass(class))
	}
	return o, nil
}

func shortClass(c string) string { return c[strings.LastIndexAny(c, ".$")+1:] }

// stringField returns a String field; null reads as "".
func stringField(o *jObject, name string) (string, error) {
	switch v := o.Fields[name].(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	default:
		return "", fmt.Errorf("%w: %s.%s is %T, not a string", ErrJavaSerial, shortClass(o.Class.Name), name, v)
	}
}

// javaList returns an ArrayList's or LinkedList's elements; null is empty.
func javaList(v any) ([]any, error) {
	if v == nil {
		return nil, nil
	}
	o, ok := v.(*jObject)
	if !ok {
		return nil, fmt.Errorf("%T is not a list", v)
	}
	if !o.instanceOf("java.util.ArrayList") && !o.instanceOf("java.util.LinkedList") {
		return nil, fmt.Errorf("unsupported list class %s", o.Class.Name)
	}
	return o.Objects, nil
}

// javaMap returns a HashMap's (or LinkedHashMap's) keys and values in the
// order Java iterates the map once deserialized.
func javaMap(o *jObject) (keys, vals []any, err error) {
	if !o.instanceOf("java.util.HashMap") {
		return nil, nil, fmt.Errorf("%w: unsupported map class %s", ErrJavaSerial, o.Class.Name)
	}
	if len(o.Objects)%2 != 0 {
		return nil, nil, fmt.Errorf("%w: %s holds an odd number of keys and values", ErrJavaSerial, o.Class.Name)
	}
	if len(o.Block) < 8 {
		return nil, nil, fmt.Errorf("%w: %s has no size", ErrJavaSerial, o.Class.Name)
	}
	if n := binary.BigEndian.Uint32(o.Block[4:8]); int64(n) != int64(len(o.Objects)/2) {
		return nil, nil, fmt.Errorf("%w: %s claims %d entries and holds %d", ErrJavaSerial, o.Class.Name, n, len(o.Objects)/2)
	}
	for i := 0; i < len(o.Objects); i += 2 {
		keys = append(keys, o.Objects[i])
		vals = append(vals, o.Objects[i+1])
	}
	if o.instanceOf("java.util.LinkedHashMap") {
		return keys, vals, nil // insertion order
	}
	lf, _ := o.Fields["loadFactor"].(float32)
	hashes := make([]uint32, len(keys))
	for i, k := range keys {
		hashes[i] = javaHashCode(k)
	}
	order := hashMapOrder(hashes, readObjectCapacity(len(keys), lf), false)
	k2, v2 := make([]any, len(keys)), make([]any, len(vals))
	for i, j := range order {
		k2[i], v2[i] = keys[j], vals[j]
	}
	return k2, v2, nil
}

// readObjectCapacity is the table size HashMap.readObject picks for n
// entries: room for them all at the stream's load factor.
func readObjectCapacity(n int, loadFactor float32) int {
	lf := loadFactor
	if !(lf >= 0.25) { // also NaN
		lf = 0.25
	}
	if lf > 4 {
		lf = 4
	}
	fc := float32(n)/lf + 1
	if fc < 16 {
		return 16
	}
	if fc >= 1<<30 {
		return 1 << 30
	}
	c := 1
	for c < int(fc) {
		c <<= 1
	}
	return c
}

// JavaHashSetOrder returns the order in which a java.util.HashSet (or
// HashMap) created empty iterates strings added to it in the given order,
// as `yarn logs` iterates its sets of log file names and maps of
// containers: the i-th element of the result indexes keys.
func JavaHashSetOrder(keys []string) []int {
	hashes := make([]uint32, len(keys))
	for i, k := range keys {
		hashes[i] = javaHashCode(k)
	}
	return hashMapOrder(hashes, 16, true)
}

// hashMapOrder returns the order in which a java.util.HashMap iterates
// keys (given by String.hashCode) inserted in the given order: by bucket,
// then insertion within a bucket. The table starts at capacity entries;
// with grow it doubles once it holds more than 3/4 of that (the default
// load factor, as put does); it also doubles when a bucket reaches 9
// entries while smaller than 64 (treeifyBin). Bins that would become trees
// (9 colliding keys in a table of 64 or more) are kept in insertion order,
// which Java keeps only approximately.
func hashMapOrder(hashCodes []uint32, capacity int, grow bool) []int {
	n := len(hashCodes)
	if n == 0 {
		return nil
	}
	hashes := make([]uint32, n)
	for i, h := range hashCodes {
		hashes[i] = h ^ (h >> 16)
	}
	buckets := make([][]int, capacity)
	resize := func() {
		capacity *= 2
		nb := make([][]int, capacity)
		for _, old := range buckets {
			for _, j := range old {
				x := hashes[j] & uint32(capacity-1)
				nb[x] = append(nb[x], j)
			}
		}
		buckets = nb
	}
	for i := range hashes {
		b := hashes[i] & uint32(capacity-1)
		buckets[b] = append(buckets[b], i)
		if len(buckets[b]) > 8 && capacity < 64 {
			resize()
		}
		if grow && (i+1)*4 > capacity*3 {
			resize()
		}
	}
	order := make([]int, 0, n)
	for _, b := range buckets {
		order = append(order, b...)
	}
	return order
}

// javaHashCode is String.hashCode (over UTF-16 code units); other keys
// (enums, whose hash is an identity hash) sort by their position.
func javaHashCode(k any) uint32 {
	s, ok := k.(string)
	if !ok {
		return 0
	}
	var h uint32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + uint32(u)
	}
	return h
}
