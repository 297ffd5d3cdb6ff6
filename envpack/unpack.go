package envpack

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

// ErrUnsafeArchive marks archives refused because an entry would land
// outside the destination, or is of a kind Unpack does not write.
var ErrUnsafeArchive = errors.New("unsafe archive")

// maxManifest bounds the manifest read into memory.
const maxManifest = 16 << 20

// maxLinkHops bounds symlink resolution, like the kernel's limit.
const maxLinkHops = 40

// Unpack extracts a tar or tar.gz archive into destDir, which must be
// absent or empty. It refuses absolute names, names with "..", entries
// beneath symlinks, symlinks resolving outside destDir, hard links and
// device files. It returns the archive's manifest, or nil if it has none
// (an archive not made by Pack).
func Unpack(ctx context.Context, r io.Reader, destDir string) (*Manifest, error) {
	dest, err := filepath.Abs(destDir)
	if err != nil {
		return nil, err
	}
	if err := prepareDest(dest); err != nil {
		return nil, err
	}
	u := &unpacker{dest: dest, kinds: map[string]byte{}, links: map[string]string{}}
	m, err := u.run(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("unpacking into %s: %w", dest, err)
	}
	return m, nil
}

// UnpackFile is Unpack reading from the archive at archivePath.
func UnpackFile(ctx context.Context, archivePath, destDir string) (*Manifest, error) {
	f, err := os.Open(archivePath)
	if err != nil {
		return nil, fmt.Errorf("opening the archive: %w", err)
	}
	defer f.Close()
	return Unpack(ctx, f, destDir)
}

func prepareDest(dest string) error {
	ents, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", dest, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("unpacking into %s: %w", dest, err)
	case len(ents) > 0:
		return fmt.Errorf("unpacking into %s: the folder is not empty; pick a new or empty folder", dest)
	}
	return nil
}

type unpacker struct {
	dest     string
	kinds    map[string]byte   // every name written so far → its tar type
	links    map[string]string // symlinks to create at the end
	dirTimes []string
	manifest []byte
}

// openArchive accepts gzip-compressed or plain tar.
func openArchive(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("reading gzip header: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() error { return nil }, nil
}

func (u *unpacker) run(ctx context.Context, r io.Reader) (*Manifest, error) {
	zr, closeZ, err := openArchive(r)
	if err != nil {
		return nil, err
	}
	defer closeZ()
	tr := tar.NewReader(zr)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the archive: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return nil, err
		}
	}
	if err := u.finishLinks(); err != nil {
		return nil, err
	}
	// Folder times last: writing into a folder changes its time.
	for _, d := range u.dirTimes {
		_ = os.Chtimes(filepath.Join(u.dest, filepath.FromSlash(d)), archiveTime, archiveTime)
	}
	if u.manifest == nil {
		return nil, nil
	}
	return parseManifest(u.manifest)
}

// cleanName validates an entry name and returns it cleaned ("" for the root).
func cleanName(name string) (string, error) {
	if strings.ContainsRune(name, 0) || strings.Contains(name, "\\") {
		return "", fmt.Errorf("%w: entry %q has a NUL or backslash in its name", ErrUnsafeArchive, name)
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: entry %q has an absolute path", ErrUnsafeArchive, name)
	}
	for _, c := range strings.Split(name, "/") {
		if c == ".." {
			return "", fmt.Errorf("%w: entry %q climbs out with \"..\"", ErrUnsafeArchive, name)
		}
	}
	c := path.Clean(name)
	if c == "." {
		return "", nil
	}
	return c, nil
}

func (u *unpacker) entry(hdr *tar.Header, tr io.Reader) error {
	name, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "" {
		return nil // the root folder itself
	}
	// No entry may lie beneath a symlink or a file of this archive.
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if k, ok := u.kinds[d]; ok && k != tar.TypeDir {
			return fmt.Errorf("%w: entry %q lies beneath %q, which is not a folder", ErrUnsafeArchive, name, d)
		}
	}
	if k, ok := u.kinds[name]; ok && (k != tar.TypeDir || hdr.Typeflag != tar.TypeDir) {
		return fmt.Errorf("%w: entry %q appears twice", ErrUnsafeArchive, name)
	}
	full := filepath.Join(u.dest, filepath.FromSlash(name))
	mode := os.FileMode(hdr.Mode) & 0o777
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := u.mkdirs(name); err != nil {
			return err
		}
		if err := os.Chmod(full, mode|0o700); err != nil {
			return err
		}
		u.dirTimes = append(u.dirTimes, name)
	case tar.TypeReg, tar.TypeRegA:
		if err := u.mkdirs(path.Dir(name)); err != nil {
			return err
		}
		if hdr.Size < 0 {
			return fmt.Errorf("%w: entry %q has a negative size", ErrUnsafeArchive, name)
		}
		// A sparse file's holes cost nothing in the archive but are written
		// out in full: a few bytes could fill the disk. Pack never makes them.
		for k := range hdr.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return fmt.Errorf("%w: entry %q is a sparse file, which spindle does not unpack", ErrUnsafeArchive, name)
			}
		}
		var src io.Reader = tr
		if name == ManifestPath {
			if hdr.Size > maxManifest {
				return fmt.Errorf("%w: manifest of %d bytes", ErrUnsafeArchive, hdr.Size)
			}
			b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
			if err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			u.manifest = b
			src = bytes.NewReader(b)
		}
		f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode|0o600)
		if err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		_, err = io.Copy(f, src)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		if mode&0o600 != 0o600 {
			// Owner write stays so Activate can fix files up; read for the rest.
			if err := os.Chmod(full, mode|0o600); err != nil {
				return err
			}
		}
		mt := hdr.ModTime
		if mt.IsZero() || mt.Before(time.Unix(0, 0)) {
			mt = archiveTime
		}
		if err := os.Chtimes(full, mt, mt); err != nil {
			return err
		}
	case tar.TypeSymlink:
		if hdr.Linkname == "" || strings.ContainsRune(hdr.Linkname, 0) {
			return fmt.Errorf("%w: symlink %q has an empty or invalid target", ErrUnsafeArchive, name)
		}
		if path.IsAbs(hdr.Linkname) {
			return fmt.Errorf("%w: symlink %q points to the absolute path %q", ErrUnsafeArchive, name, hdr.Linkname)
		}
		if err := u.mkdirs(path.Dir(name)); err != nil {
			return err
		}
		u.links[name] = hdr.Linkname
	case tar.TypeXGlobalHeader:
		return nil
	case tar.TypeLink:
		return fmt.Errorf("%w: entry %q is a hard link, which spindle archives never contain", ErrUnsafeArchive, name)
	default:
		return fmt.Errorf("%w: entry %q is of type %q (device, pipe or unknown), which spindle does not unpack", ErrUnsafeArchive, name, hdr.Typeflag)
	}
	u.kinds[name] = hdr.Typeflag
	return nil
}

// mkdirs creates name and its missing parents as real folders.
func (u *unpacker) mkdirs(name string) error {
	if name == "." || name == "" {
		return nil
	}
	if k, ok := u.kinds[name]; ok {
		if k != tar.TypeDir {
			return fmt.Errorf("%w: %q is needed as a folder but is not one", ErrUnsafeArchive, name)
		}
		return nil
	}
	if err := u.mkdirs(path.Dir(name)); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(u.dest, filepath.FromSlash(name)), 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating folder %s: %w", name, err)
	}
	u.kinds[name] = tar.TypeDir
	return nil
}

// finishLinks checks every symlink against the whole tree, other links
// included, and only then creates them: no file is ever written through a
// link, and no link can lead outside destDir, however chained.
func (u *unpacker) finishLinks() error {
	names := make([]string, 0, len(u.links))
	for n := range u.links {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := resolveInside(n, u.links); err != nil {
			return err
		}
	}
	for _, n := range names {
		if err := u.mkdirs(path.Dir(n)); err != nil {
			return err
		}
		if err := os.Symlink(u.links[n], filepath.Join(u.dest, filepath.FromSlash(n))); err != nil {
			return fmt.Errorf("creating link %s: %w", n, err)
		}
	}
	return nil
}

// resolveInside follows the symlink at name through links the way the
// kernel would, and fails if any step climbs above the root.
func resolveInside(name string, links map[string]string) error {
	stack := splitPath(path.Dir(name))
	pending := strings.Split(links[name], "/")
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return fmt.Errorf("%w: symlink %q -> %q leads outside the destination", ErrUnsafeArchive, name, links[name])
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, c)
		if t, ok := links[strings.Join(stack, "/")]; ok {
			hops++
			if hops > maxLinkHops {
				return fmt.Errorf("%w: symlink %q: too many levels of links", ErrUnsafeArchive, name)
			}
			if path.IsAbs(t) {
				return fmt.Errorf("%w: symlink %q leads to the absolute path %q", ErrUnsafeArchive, name, t)
			}
			stack = stack[:len(stack)-1]
			pending = append(strings.Split(t, "/"), pending...)
		}
	}
	return nil
}
