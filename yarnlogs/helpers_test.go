package yarnlogs

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spindle-yarn/spindle/yarnlogs/internal/tfile"
)

// content is LogFixtureWriter.content: lines "{label} line {n, 7 digits}\n"
// cut at size bytes.
func content(label string, size int) string {
	var b strings.Builder
	for n := 0; b.Len() < size; n++ {
		fmt.Fprintf(&b, "%s line %07d\n", label, n)
	}
	return b.String()[:size]
}

type fixtureFile struct {
	name string
	size int
}

// fixtureContainers is what LogFixtureWriter writes, big being container
// 2's stdout length and syslog container 1's syslog length.
func fixtureContainers(big, syslog int) map[string][]fixtureFile {
	return map[string][]fixtureFile{
		"container_1700000000000_0042_01_000001": {{"stderr", 0}, {"stdout", 23}, {"syslog", syslog}},
		"container_1700000000000_0042_01_000002": {{"prelaunch.out", 100}, {"stderr", 9}, {"stdout", big}},
	}
}

const fixtureApp = "application_1700000000000_0042"

// dirFS is FS over a local directory, paths being absolute within it.
type dirFS string

func (d dirFS) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d dirFS) ReadDir(dir string) ([]fs.FileInfo, error) {
	ents, err := os.ReadDir(d.path(dir))
	if err != nil {
		return nil, err
	}
	var out []fs.FileInfo
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}

func (d dirFS) Open(name string) (File, error)        { return os.Open(d.path(name)) }
func (d dirFS) Stat(name string) (fs.FileInfo, error) { return os.Stat(d.path(name)) }

// utf is Java's writeUTF for ASCII strings.
func utf(s string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(s))), s...)
}

// buildTFile writes an uncompressed TFile of the given records in one data
// block, as TFile.Writer lays it out, splitting values into chunks of at
// most chunk bytes. It lets tests make inputs Hadoop would not write.
func buildTFile(records [][2][]byte, chunk int) []byte {
	b := append([]byte(nil), tfile.Magic[:]...)
	dataOff := len(b)
	for _, r := range records {
		b = tfile.AppendVLong(b, int64(len(r[0])))
		b = append(b, r[0]...)
		v := r[1]
		for len(v) > chunk {
			b = tfile.AppendVLong(b, -int64(chunk))
			b = append(b, v[:chunk]...)
			v = v[chunk:]
		}
		b = tfile.AppendVLong(b, int64(len(v)))
		b = append(b, v...)
	}
	dataLen := len(b) - dataOff
	region := func(b []byte, off, n int) []byte {
		b = tfile.AppendVLong(b, int64(off))
		b = tfile.AppendVLong(b, int64(n))
		return tfile.AppendVLong(b, int64(n))
	}
	str := func(b []byte, s string) []byte { return append(tfile.AppendVLong(b, int64(len(s))), s...) }
	type meta struct {
		name     string
		off, len int
	}
	var metas []meta
	// TFile.meta: version 1.0, record count, no comparator.
	off := len(b)
	b = append(b, 0, 1, 0, 0)
	b = tfile.AppendVLong(b, int64(len(records)))
	b = str(b, "")
	metas = append(metas, meta{"TFile.meta", off, len(b) - off})
	// TFile.index: first key, then one entry for the data block.
	off = len(b)
	if len(records) > 0 {
		fk := str(nil, string(records[0][0]))
		b = append(tfile.AppendVLong(b, int64(len(fk))), fk...)
		e := tfile.AppendVLong(str(nil, string(records[len(records)-1][0])), int64(len(records)))
		b = append(tfile.AppendVLong(b, int64(len(e))), e...)
	} else {
		b = tfile.AppendVLong(b, 0)
	}
	metas = append(metas, meta{"TFile.index", off, len(b) - off})
	// BCFile.index: compression and the data block regions.
	off = len(b)
	b = str(b, "none")
	if len(records) > 0 {
		b = tfile.AppendVLong(b, 1)
		b = region(b, dataOff, dataLen)
	} else {
		b = tfile.AppendVLong(b, 0)
	}
	metas = append(metas, meta{"BCFile.index", off, len(b) - off})
	metaOff := len(b)
	b = tfile.AppendVLong(b, int64(len(metas)))
	for _, m := range metas {
		b = str(b, "data:"+m.name)
		b = str(b, "none")
		b = region(b, m.off, m.len)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(metaOff))
	b = append(b, 0, 1, 0, 0)
	return append(b, tfile.Magic[:]...)
}

// yarnHeader is the records a NodeManager writes first.
func yarnHeader(owner string) [][2][]byte {
	return [][2][]byte{
		{utf("VERSION"), {0, 0, 0, 1}},
		{utf("APPLICATION_OWNER"), utf(owner)},
		{utf("APPLICATION_ACL"), append(utf("VIEW_APP"), utf("alice")...)},
	}
}

// containerValue encodes files as AggregatedLogFormat.LogValue does.
func containerValue(files ...[2]string) []byte {
	var v []byte
	for _, f := range files {
		v = append(v, utf(f[0])...)
		v = append(v, utf(fmt.Sprint(len(f[1])))...)
		v = append(v, f[1]...)
	}
	return v
}

func readAll(l *NodeLog) (map[string]map[string]string, []string, error) {
	got := map[string]map[string]string{}
	var order []string
	for {
		c, err := l.NextContainer()
		if err == io.EOF {
			return got, order, nil
		}
		if err != nil {
			return got, order, err
		}
		got[c] = map[string]string{}
		for {
			f, err := l.NextFile()
			if err == io.EOF {
				break
			}
			if err != nil {
				return got, order, err
			}
			b, err := io.ReadAll(f)
			if err != nil {
				return got, order, err
			}
			if int64(len(b)) != f.Length {
				return got, order, fmt.Errorf("%s/%s: read %d of %d bytes", c, f.Name, len(b), f.Length)
			}
			got[c][f.Name] = string(b)
			order = append(order, c+"/"+f.Name)
		}
	}
}
