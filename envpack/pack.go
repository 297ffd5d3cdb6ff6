package envpack

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/klauspost/pgzip"
)

// Options tune Pack.
type Options struct {
	// Standalone bundles a venv's base interpreter (executable, standard
	// library, libpython) so nodes need no Python of their own. Conda
	// environments already carry their interpreter.
	Standalone bool
	// Force packs despite relocation problems (they are listed in the
	// manifest's Forced field).
	Force bool
	// Level is the gzip level, 1 (fastest) to 9; 0 means DefaultLevel.
	Level int
	// Progress, when set, is called as content is read, with the bytes
	// done so far and the total.
	Progress func(done, total int64)
}

// DefaultLevel is the gzip level Pack uses unless told otherwise: with
// klauspost's compressor it is smaller than zlib at level 4 (venv-pack's
// default) while being much faster.
const DefaultLevel = 5

// PackResult describes a written archive.
type PackResult struct {
	Manifest *Manifest
	Env      *Env
	Entries  int   // archive entries, folders and links included
	Content  int64 // bytes of file content before compression
	Size     int64 // bytes of the archive
	SHA256   string
}

// NotRelocatableError lists why an environment cannot be moved safely.
type NotRelocatableError struct {
	Prefix   string
	Problems []string
}

func (e *NotRelocatableError) Error() string {
	return fmt.Sprintf("environment %s cannot be relocated:\n  - %s\n(pass --force / Options.Force to pack it anyway)", e.Prefix, strings.Join(e.Problems, "\n  - "))
}

type entry struct {
	name   string // archive path: slash-separated, relative, no trailing slash
	src    string // file to read; "" for synthetic entries
	typ    byte   // tar.TypeDir, tar.TypeReg or tar.TypeSymlink
	mode   int64
	size   int64
	mtime  int64 // of src, seconds
	link   string
	base   bool   // part of the bundled base interpreter
	data   []byte // synthetic content
	hasSrc bool
}

type packer struct {
	env     *Env
	root    string // folder actually walked (srcDir, absolute)
	opts    Options
	man     *Manifest
	entries map[string]*entry
	baseExe string // archive name of the bundled executable
}

// Pack writes srcDir as a relocatable, deterministic tar.gz to w.
func Pack(ctx context.Context, srcDir string, w io.Writer, opts Options) (*PackResult, error) {
	root, err := realRoot(srcDir)
	if err != nil {
		return nil, err
	}
	env, err := Inspect(root)
	if err != nil {
		return nil, err
	}
	p := &packer{env: env, root: root, opts: opts, entries: map[string]*entry{}}
	p.man = &Manifest{
		Format: manifestFormat, Kind: env.Kind, Prefix: env.Prefix, PythonVersion: env.PythonVersion,
		BaseInterpreter: env.BaseInterpreter, BasePrefix: env.BasePrefix,
	}
	probs := append([]string(nil), env.Problems...)
	if opts.Standalone && env.Kind == KindVenv {
		p.man.Standalone = true
		if !within(env.BasePrefix, env.BaseInterpreter) {
			probs = append(probs, fmt.Sprintf("base interpreter %s is outside its prefix %s, so --standalone cannot bundle it", env.BaseInterpreter, env.BasePrefix))
		}
	}
	if len(probs) > 0 {
		if !opts.Force {
			return nil, &NotRelocatableError{Prefix: env.Prefix, Problems: probs}
		}
		p.man.Forced = probs
	}
	if err := p.collectEnv(); err != nil {
		return nil, err
	}
	if p.man.Standalone {
		if err := p.collectBase(); err != nil {
			return nil, err
		}
	}
	return p.write(ctx, w)
}

// PackFile packs srcDir into outPath, replacing it only once the archive is
// complete.
func PackFile(ctx context.Context, srcDir, outPath string, opts Options) (*PackResult, error) {
	dir := filepath.Dir(outPath)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(outPath)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating the archive next to %s: %w", outPath, err)
	}
	defer os.Remove(tmp.Name())
	res, err := Pack(ctx, srcDir, tmp, opts)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), outPath); err != nil {
		return nil, fmt.Errorf("moving the archive into place at %s: %w", outPath, err)
	}
	return res, nil
}

func (p *packer) add(e *entry) {
	p.entries[e.name] = e
	for d := path.Dir(e.name); d != "." && d != "/"; d = path.Dir(d) {
		if _, ok := p.entries[d]; ok {
			break
		}
		p.entries[d] = &entry{name: d, typ: tar.TypeDir, mode: 0o755, base: e.base}
	}
}

// collectEnv lists the environment's own files.
func (p *packer) collectEnv() error {
	return filepath.WalkDir(p.root, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading the environment: %w", err)
		}
		if full == p.root {
			return nil
		}
		name := filepath.ToSlash(strings.TrimPrefix(full, p.root+string(filepath.Separator)))
		if name == metaDir {
			return filepath.SkipDir // Spindle's own state from an earlier unpack
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading the environment: %w", err)
		}
		return p.addLocal(name, full, info, false, p.root, p.env.Prefix)
	})
}

// addLocal adds one walked file; root is the tree's real path and prefix
// the path its files use for it (they differ when reached via a symlink).
func (p *packer) addLocal(name, full string, info fs.FileInfo, base bool, root, prefix string) error {
	e := &entry{name: name, src: full, hasSrc: true, mode: int64(info.Mode().Perm()), mtime: info.ModTime().Unix(), base: base}
	switch {
	case info.IsDir():
		e.typ = tar.TypeDir
		e.hasSrc = false
	case info.Mode().IsRegular():
		e.typ = tar.TypeReg
		e.size = info.Size()
	case info.Mode()&fs.ModeSymlink != 0:
		return p.addSymlink(e, full, base, root, prefix)
	default:
		return nil // sockets, pipes, devices do not belong in an archive
	}
	p.add(e)
	return nil
}

func (p *packer) addSymlink(e *entry, full string, base bool, root, prefix string) error {
	target, err := os.Readlink(full)
	if err != nil {
		return fmt.Errorf("reading link %s: %w", full, err)
	}
	dir := path.Dir(e.name)
	abs := target
	if !filepath.IsAbs(target) {
		abs = filepath.Join(filepath.Dir(full), target)
	}
	// Inside the tree: keep it, relative.
	for _, r := range []string{root, prefix} {
		if within(r, abs) {
			e.typ, e.mode, e.hasSrc = tar.TypeSymlink, 0o777, false
			inside := filepath.ToSlash(strings.TrimPrefix(filepath.Clean(abs), r))
			inside = strings.TrimPrefix(inside, "/")
			if base {
				inside = path.Join(BaseDir, inside)
			}
			e.link = relPath(dir, inside)
			if e.link == "." {
				return nil // a link to the root itself: drop it
			}
			p.add(e)
			return nil
		}
	}
	// A venv's interpreter links lead to the base Python.
	if !base && p.env.Kind == KindVenv && dir == "bin" && strings.HasPrefix(path.Base(e.name), "python") {
		if p.man.Standalone {
			e.typ, e.mode, e.hasSrc = tar.TypeSymlink, 0o777, false
			e.link = relPath("bin", path.Join(BaseDir, "bin", filepath.Base(p.env.BaseInterpreter)))
			p.add(e)
			return nil
		}
		p.man.ExternalLinks = append(p.man.ExternalLinks, Link{Path: e.name, Target: abs})
		return nil
	}
	// Anything else outside: carry the file itself.
	st, err := os.Stat(full)
	if err != nil {
		return nil // dangling link outside the tree: nothing to carry
	}
	if st.IsDir() {
		where := "environment"
		if base {
			where = "base interpreter"
		}
		if !p.opts.Force {
			return &NotRelocatableError{Prefix: p.env.Prefix, Problems: []string{fmt.Sprintf("%s's %s links to folder %s outside it", where, e.name, target)}}
		}
		p.man.Forced = append(p.man.Forced, fmt.Sprintf("link %s to folder %s outside was left out", e.name, target))
		return nil
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	e.typ, e.size, e.mode, e.mtime = tar.TypeReg, st.Size(), int64(st.Mode().Perm()), st.ModTime().Unix()
	p.add(e)
	return nil
}

// collectBase lists the parts of the base interpreter's prefix a running
// Python needs: the executable, libpython and the standard library without
// its tests, IDLE, demos, static library and third-party packages.
func (p *packer) collectBase() error {
	bp := p.env.BasePrefix
	exeRel := filepath.ToSlash(strings.TrimPrefix(p.env.BaseInterpreter, bp+"/"))
	st, err := os.Stat(p.env.BaseInterpreter)
	if err != nil {
		return fmt.Errorf("bundling the base interpreter: %w", err)
	}
	p.baseExe = path.Join(BaseDir, exeRel)
	p.add(&entry{name: p.baseExe, src: p.env.BaseInterpreter, hasSrc: true, typ: tar.TypeReg, size: st.Size(),
		mode: int64(st.Mode().Perm()), mtime: st.ModTime().Unix(), base: true})
	exeName := path.Base(exeRel)
	for _, alias := range []string{"python3", "python"} {
		if alias != exeName {
			p.add(&entry{name: path.Join(BaseDir, path.Dir(exeRel), alias), typ: tar.TypeSymlink, mode: 0o777, link: exeName, base: true})
		}
	}
	lib := filepath.Join(bp, p.env.libDir)
	libs, _ := filepath.Glob(filepath.Join(lib, "libpython*.so*"))
	sort.Strings(libs)
	for _, l := range libs {
		info, err := os.Lstat(l)
		if err != nil {
			return fmt.Errorf("bundling the base interpreter: %w", err)
		}
		if err := p.addLocal(path.Join(BaseDir, p.env.libDir, filepath.Base(l)), l, info, true, bp, bp); err != nil {
			return err
		}
	}
	mm := p.env.PythonVersion
	if parts := strings.SplitN(mm, ".", 3); len(parts) >= 2 {
		mm = parts[0] + "." + parts[1]
	}
	stdlib := filepath.Join(lib, "python"+mm)
	if !exists(filepath.Join(stdlib, "os.py")) {
		return fmt.Errorf("bundling the base interpreter: its standard library is not at %s (no os.py)", stdlib)
	}
	skip := map[string]bool{"test": true, "idlelib": true, "turtledemo": true, "site-packages": true, "dist-packages": true}
	return filepath.WalkDir(stdlib, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("bundling the base interpreter: %w", err)
		}
		relStd := filepath.ToSlash(strings.TrimPrefix(full, stdlib))
		relStd = strings.TrimPrefix(relStd, "/")
		top, _, _ := strings.Cut(relStd, "/")
		if d.IsDir() && relStd != "" && !strings.Contains(relStd, "/") && skip[top] {
			if top == "site-packages" {
				p.add(&entry{name: path.Join(BaseDir, p.env.libDir, "python"+mm, top), typ: tar.TypeDir, mode: 0o755, base: true})
			}
			return filepath.SkipDir
		}
		if strings.HasPrefix(top, "config-") && strings.HasSuffix(d.Name(), ".a") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("bundling the base interpreter: %w", err)
		}
		name := path.Join(BaseDir, p.env.libDir, "python"+mm, relStd)
		return p.addLocal(name, full, info, true, bp, bp)
	})
}

// countingHash records the size and SHA-256 of what passes through.
type countingHash struct {
	w io.Writer
	h hashWriter
	n int64
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func (c *countingHash) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.h.Write(b[:n])
	c.n += int64(n)
	return n, err
}

func (p *packer) write(ctx context.Context, w io.Writer) (*PackResult, error) {
	names := make([]string, 0, len(p.entries))
	var total int64
	for n, e := range p.entries {
		names = append(names, n)
		total += e.size
	}
	sort.Strings(names)
	level := p.opts.Level
	if level == 0 {
		level = DefaultLevel
	}
	out := &countingHash{w: w, h: sha256.New()}
	gz, err := pgzip.NewWriterLevel(out, level)
	if err != nil {
		return nil, fmt.Errorf("gzip level %d: %w", level, err)
	}
	// Fixed block size: the output does not depend on the number of CPUs.
	if err := gz.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	var done int64
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e := p.entries[n]
		hdr := &tar.Header{Name: e.name, Mode: e.mode, ModTime: archiveTime, Typeflag: e.typ, Format: tar.FormatPAX}
		switch e.typ {
		case tar.TypeDir:
			hdr.Name += "/"
			hdr.Mode = e.mode | 0o700
		case tar.TypeSymlink:
			hdr.Linkname = e.link
		case tar.TypeReg:
			data := e.data
			if e.hasSrc {
				data, err = os.ReadFile(e.src)
				if err != nil {
					return nil, fmt.Errorf("reading %s: %w", e.src, err)
				}
				done += e.size
				data = p.process(e, data)
			}
			hdr.Size = int64(len(data))
			if err := tw.WriteHeader(hdr); err != nil {
				return nil, fmt.Errorf("writing %s into the archive: %w", e.name, err)
			}
			if _, err := tw.Write(data); err != nil {
				return nil, fmt.Errorf("writing %s into the archive: %w", e.name, err)
			}
			if p.opts.Progress != nil {
				p.opts.Progress(done, total)
			}
			continue
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing %s into the archive: %w", e.name, err)
		}
	}
	sort.Slice(p.man.Fixups, func(i, j int) bool { return p.man.Fixups[i].Path < p.man.Fixups[j].Path })
	sort.Slice(p.man.ExternalLinks, func(i, j int) bool { return p.man.ExternalLinks[i].Path < p.man.ExternalLinks[j].Path })
	sort.Strings(p.man.LibraryPath)
	mb, err := json.MarshalIndent(p.man, "", "  ")
	if err != nil {
		return nil, err
	}
	for _, h := range []*tar.Header{
		{Name: metaDir + "/", Mode: 0o755, ModTime: archiveTime, Typeflag: tar.TypeDir, Format: tar.FormatPAX},
		{Name: ManifestPath, Mode: 0o644, ModTime: archiveTime, Typeflag: tar.TypeReg, Size: int64(len(mb)), Format: tar.FormatPAX},
	} {
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing the manifest: %w", err)
		}
	}
	if _, err := tw.Write(mb); err != nil {
		return nil, fmt.Errorf("writing the manifest: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finishing the archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("finishing the archive: %w", err)
	}
	return &PackResult{Manifest: p.man, Env: p.env, Entries: len(names) + 2, Content: done,
		Size: out.n, SHA256: hex.EncodeToString(out.h.Sum(nil))}, nil
}

// process applies pack-time relocation to one file's content and records
// the fix-ups left for unpack time.
func (p *packer) process(e *entry, data []byte) []byte {
	if src, ok := pycSource(e.name); ok {
		if s := p.entries[src]; s != nil && s.hasSrc && s.typ == tar.TypeReg {
			fixPycMtime(data, s.mtime, s.size)
		}
	}
	if e.base {
		bp := p.env.BasePrefix
		if changed, stuck := patchRunpath(data, path.Dir(e.name), bp, BaseDir); changed || len(stuck) > 0 {
			for _, s := range stuck {
				if !contains(p.man.LibraryPath, s) {
					p.man.LibraryPath = append(p.man.LibraryPath, s)
				}
			}
			return data
		}
		if bytes.Contains(data, []byte(bp)) && looksText(data) {
			p.man.Fixups = append(p.man.Fixups, Fixup{Path: e.name, Mode: FixupText, Placeholder: bp, Target: BaseDir})
		}
		return data
	}
	prefix := p.env.Prefix
	if e.name == "pyvenv.cfg" && p.man.Standalone {
		data = p.standaloneCfg(data)
	}
	if cf, ok := p.env.condaFiles[e.name]; ok && cf.placeholder != "" && cf.mode == FixupBinary {
		if bytes.Contains(data, []byte(prefix)) {
			p.man.Fixups = append(p.man.Fixups, Fixup{Path: e.name, Mode: FixupBinary, Placeholder: prefix})
		}
		return data
	}
	if !bytes.Contains(data, []byte(prefix)) {
		return data
	}
	if nd := rewriteShebang(data, prefix); nd != nil {
		data = nd
		if !bytes.Contains(data, []byte(prefix)) {
			return data
		}
	}
	if looksText(data) {
		p.man.Fixups = append(p.man.Fixups, Fixup{Path: e.name, Mode: FixupText, Placeholder: prefix})
	}
	return data
}

// standaloneCfg points pyvenv.cfg at the bundled interpreter; the prefix in
// it is then fixed up like any other text.
func (p *packer) standaloneCfg(data []byte) []byte {
	home := p.env.Prefix + "/" + path.Dir(p.baseExe)
	exe := p.env.Prefix + "/" + p.baseExe
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		k, _, ok := strings.Cut(line, "=")
		switch key := strings.ToLower(strings.TrimSpace(k)); {
		case !ok:
		case key == "home":
			line = "home = " + home
		case key == "executable" || key == "base-executable":
			line = key + " = " + exe
		case key == "base-prefix" || key == "base-exec-prefix":
			line = key + " = " + p.env.Prefix + "/" + BaseDir
		}
		out = append(out, line)
	}
	return []byte(strings.Join(out, "\n"))
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sha256File hashes a local file.
func sha256File(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hashing %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// realRoot is srcDir absolute with symlinks resolved: a venv reached
// through a symlink (./venv -> /opt/envs/x) is packed as its folder's
// contents, not as the link, and its prefix is the one its files name.
func realRoot(srcDir string) (string, error) {
	root, err := filepath.Abs(srcDir)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	return root, nil
}
