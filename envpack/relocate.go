package envpack

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
)

// rewriteShebang turns "#!PREFIX/bin/pythonX" into a header that finds the
// interpreter next to the script wherever the environment is, the same
// sh/Python polyglot pip writes for paths it cannot put in a shebang.
// It returns nil when the first line is not such a shebang.
func rewriteShebang(data []byte, prefix string) []byte {
	if !bytes.HasPrefix(data, []byte("#!")) {
		return nil
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return nil
	}
	interp := strings.TrimSpace(string(data[2:nl]))
	dir, name := path.Split(interp)
	if dir != prefix+"/bin/" || !strings.HasPrefix(name, "python") || strings.ContainsAny(name, " \t\"'$`\\") {
		return nil
	}
	head := "#!/bin/sh\n" +
		"'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")/" + name + "\" \"$0\" \"$@\"\n" +
		"' '''\n"
	out := make([]byte, 0, len(data)+len(head))
	out = append(out, head...)
	return append(out, data[nl+1:]...)
}

// looksText reports whether data has no NUL byte, the same test conda uses
// to tell text from binary files.
func looksText(data []byte) bool { return bytes.IndexByte(data, 0) < 0 }

// replaceBinary replaces old with new at the start of every NUL-terminated
// string that contains it, padding with NULs so every string keeps its
// length and offset. new must not be longer than old.
func replaceBinary(data []byte, old, new string) ([]byte, int, error) {
	if len(new) > len(old) {
		return nil, 0, fmt.Errorf("new prefix %s is %d bytes longer than %s, which is written into binary files; unpack to a path of at most %d characters",
			new, len(new)-len(old), old, len(old))
	}
	ob := []byte(old)
	out := make([]byte, 0, len(data))
	n := 0
	for {
		i := bytes.Index(data, ob)
		if i < 0 {
			break
		}
		end := bytes.IndexByte(data[i:], 0)
		if end < 0 {
			// Not NUL-terminated: no safe way to pad; leave the rest as is.
			break
		}
		str := data[i : i+end]
		fixed := bytes.ReplaceAll(str, ob, []byte(new))
		out = append(out, data[:i]...)
		out = append(out, fixed...)
		for k := len(fixed); k < len(str); k++ {
			out = append(out, 0)
		}
		data = data[i+end:]
		n++
	}
	return append(out, data...), n, nil
}

// fixPycMtime sets the source mtime recorded in a timestamp-based .pyc to
// the archive's fixed time when it matched the source file, so the bytecode
// stays valid next to sources that are unpacked with that time.
func fixPycMtime(pyc []byte, srcMtime int64, srcSize int64) bool {
	if len(pyc) < 16 {
		return false
	}
	if binary.LittleEndian.Uint32(pyc[4:8]) != 0 { // hash-based .pyc: no mtime
		return false
	}
	if binary.LittleEndian.Uint32(pyc[8:12]) != uint32(srcMtime) || binary.LittleEndian.Uint32(pyc[12:16]) != uint32(srcSize) {
		return false
	}
	binary.LittleEndian.PutUint32(pyc[8:12], uint32(archiveTime.Unix()))
	return true
}

// pycSource maps "dir/__pycache__/mod.cpython-311[.opt-1].pyc" to "dir/mod.py".
func pycSource(name string) (string, bool) {
	dir, file := path.Split(name)
	if !strings.HasSuffix(file, ".pyc") || path.Base(dir) != "__pycache__" {
		return "", false
	}
	mod, _, _ := strings.Cut(file, ".")
	return path.Join(path.Dir(path.Clean(dir)), mod+".py"), true
}

// patchRunpath rewrites the RUNPATH/RPATH entries of an ELF file that point
// into fromPrefix (the base Python's prefix) into $ORIGIN-relative ones, in
// place and padded with NULs. fileDir and toDir are archive paths: the
// file's folder and where fromPrefix lands. changed says whether data was
// modified; stuck lists entries that did not fit and need LD_LIBRARY_PATH.
func patchRunpath(data []byte, fileDir, fromPrefix, toDir string) (changed bool, stuck []string) {
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		return false, nil
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return false, nil
	}
	dyn := f.Section(".dynamic")
	if dyn == nil || dyn.Type == elf.SHT_NOBITS || int(dyn.Link) >= len(f.Sections) {
		return false, nil
	}
	strtab := f.Sections[dyn.Link]
	d, err := dyn.Data()
	if err != nil {
		return false, nil
	}
	entSize := 16
	if f.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	for off := 0; off+entSize <= len(d); off += entSize {
		var tag, val uint64
		if entSize == 16 {
			tag, val = f.ByteOrder.Uint64(d[off:]), f.ByteOrder.Uint64(d[off+8:])
		} else {
			tag, val = uint64(f.ByteOrder.Uint32(d[off:])), uint64(f.ByteOrder.Uint32(d[off+4:]))
		}
		if elf.DynTag(tag) == elf.DT_NULL {
			break
		}
		if elf.DynTag(tag) != elf.DT_RPATH && elf.DynTag(tag) != elf.DT_RUNPATH {
			continue
		}
		start := strtab.Offset + val
		if val >= strtab.Size || start >= uint64(len(data)) {
			continue
		}
		end := bytes.IndexByte(data[start:], 0)
		if end < 0 {
			continue
		}
		old := string(data[start : start+uint64(end)])
		var parts []string
		touched := false
		for _, p := range strings.Split(old, ":") {
			if p == fromPrefix || strings.HasPrefix(p, fromPrefix+"/") {
				target := path.Join(toDir, strings.TrimPrefix(p, fromPrefix))
				r := relPath(fileDir, target)
				parts = append(parts, "$ORIGIN/"+r)
				touched = true
				continue
			}
			parts = append(parts, p)
		}
		if !touched {
			continue
		}
		nw := strings.Join(parts, ":")
		if len(nw) > len(old) {
			for _, p := range strings.Split(old, ":") {
				if p == fromPrefix || strings.HasPrefix(p, fromPrefix+"/") {
					stuck = append(stuck, path.Join(toDir, strings.TrimPrefix(p, fromPrefix)))
				}
			}
			continue
		}
		copy(data[start:], nw)
		for k := start + uint64(len(nw)); k < start+uint64(end); k++ {
			data[k] = 0
		}
		changed = true
	}
	return changed, stuck
}

// relPath is the slash path from folder from to to, both relative to the
// same root.
func relPath(from, to string) string {
	fs := splitPath(from)
	ts := splitPath(to)
	i := 0
	for i < len(fs) && i < len(ts) && fs[i] == ts[i] {
		i++
	}
	var parts []string
	for range fs[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, ts[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

func splitPath(p string) []string {
	p = path.Clean(p)
	if p == "." || p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
