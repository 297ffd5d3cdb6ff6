package envpack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/hadooprpc"
)

// archiveExt ends every cached archive's name: <sha256>.tar.gz.
const archiveExt = ".tar.gz"

// Cache is a per-user, content-addressed folder of environment archives on
// HDFS. An archive is stored once under its SHA-256 and never rewritten,
// so its HDFS modification time stays the same and NodeManagers reuse
// what they already localized.
type Cache struct {
	fs   *hdfs.Client
	root string
}

// Entry is one cached archive.
type Entry struct {
	Hash    string // hex SHA-256 of the archive
	Path    string // absolute HDFS path
	Size    int64
	ModTime time.Time
	// Reused is set by Put when the archive was already cached.
	Reused bool
}

// ErrNotCached is returned when no cached archive matches.
var ErrNotCached = errors.New("no such environment in the HDFS cache")

// DefaultCacheRoot is the cache folder of user: /user/<user>/.spindle/envs.
func DefaultCacheRoot(user string) string {
	return "/user/" + user + "/.spindle/envs"
}

// NewCache uses fs with the cache folder root (see DefaultCacheRoot).
func NewCache(fs *hdfs.Client, root string) *Cache {
	return &Cache{fs: fs, root: path.Clean(root)}
}

// Root is the cache folder.
func (c *Cache) Root() string { return c.root }

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// Put stores the archive at localPath unless an archive with its hash is
// already cached, and returns the cached entry. sha256Hex may be given when
// known (PackResult.SHA256, Archive.SHA256); empty means hash the file.
func (c *Cache) Put(ctx context.Context, localPath, sha256Hex string) (Entry, error) {
	size := int64(-1)
	if sha256Hex == "" {
		var err error
		if sha256Hex, size, err = sha256File(localPath); err != nil {
			return Entry{}, fmt.Errorf("caching %s on HDFS: %w", localPath, err)
		}
	}
	if !isHash(sha256Hex) {
		return Entry{}, fmt.Errorf("caching %s on HDFS: %q is not a lowercase hex SHA-256", localPath, sha256Hex)
	}
	f, err := os.Open(localPath)
	if err != nil {
		return Entry{}, fmt.Errorf("caching %s on HDFS: %w", localPath, err)
	}
	defer f.Close()
	if size < 0 {
		st, err := f.Stat()
		if err != nil {
			return Entry{}, err
		}
		size = st.Size()
	}
	final := path.Join(c.root, sha256Hex+archiveExt)
	if e, err := c.stat(final, sha256Hex); err == nil {
		if e.Size == size {
			e.Reused = true
			return e, nil
		}
		return Entry{}, fmt.Errorf("caching %s on HDFS: %s exists with %d bytes, not %d: remove it with `spindle env rm %s`", localPath, final, e.Size, size, sha256Hex[:12])
	} else if !errors.Is(err, os.ErrNotExist) {
		return Entry{}, fmt.Errorf("caching %s on HDFS: %w", localPath, err)
	}
	if err := c.fs.MkdirAll(c.root, 0o755); err != nil {
		return Entry{}, fmt.Errorf("creating the HDFS cache folder %s: %w", c.root, err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	// Upload under a temporary name so no one sees a partial archive.
	tmp := path.Join(c.root, ".tmp-"+sha256Hex[:16]+"-"+hex.EncodeToString(rnd[:]))
	w, err := c.fs.Create(tmp)
	if err != nil {
		return Entry{}, fmt.Errorf("uploading to %s: %w", tmp, err)
	}
	_, err = io.Copy(w, &ctxReader{ctx: ctx, r: f})
	if cerr := hadooprpc.CloseHDFSFile(ctx, w); err == nil {
		err = cerr
	}
	if err != nil {
		_ = c.fs.Remove(tmp)
		return Entry{}, fmt.Errorf("uploading %s to %s: %w", localPath, tmp, err)
	}
	// Another submit may have finished first: keep its file (and time).
	if e, err := c.stat(final, sha256Hex); err == nil {
		_ = c.fs.Remove(tmp)
		e.Reused = true
		return e, nil
	}
	if err := c.fs.Rename(tmp, final); err != nil {
		_ = c.fs.Remove(tmp)
		return Entry{}, fmt.Errorf("moving the upload to %s: %w", final, err)
	}
	return c.stat(final, sha256Hex)
}

// Get returns the cached archive with this hash, or ErrNotCached.
func (c *Cache) Get(ctx context.Context, hash string) (Entry, error) {
	if !isHash(hash) {
		return Entry{}, fmt.Errorf("%q is not a lowercase hex SHA-256", hash)
	}
	e, err := c.stat(path.Join(c.root, hash+archiveExt), hash)
	if errors.Is(err, os.ErrNotExist) {
		return Entry{}, fmt.Errorf("%s: %w", hash, ErrNotCached)
	}
	return e, err
}

func (c *Cache) stat(p, hash string) (Entry, error) {
	st, err := c.fs.Stat(p)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Hash: hash, Path: p, Size: st.Size(), ModTime: st.ModTime()}, nil
}

// List returns the cached archives, newest first. A missing cache folder
// is an empty cache.
func (c *Cache) List(ctx context.Context) ([]Entry, error) {
	infos, err := c.fs.ReadDir(c.root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing the HDFS cache %s: %w", c.root, err)
	}
	var out []Entry
	for _, fi := range infos {
		h, ok := strings.CutSuffix(fi.Name(), archiveExt)
		if !ok || !isHash(h) || fi.IsDir() {
			continue
		}
		out = append(out, Entry{Hash: h, Path: path.Join(c.root, fi.Name()), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ModTime.Equal(out[j].ModTime) {
			return out[i].ModTime.After(out[j].ModTime)
		}
		return out[i].Hash < out[j].Hash
	})
	return out, nil
}

// Remove deletes the cached archive whose hash starts with prefix (at
// least 6 characters, and matching exactly one archive). Applications
// still running with it keep their localized copies.
func (c *Cache) Remove(ctx context.Context, prefix string) (Entry, error) {
	prefix = strings.ToLower(strings.TrimSuffix(prefix, archiveExt))
	if len(prefix) < 6 {
		return Entry{}, fmt.Errorf("give at least 6 characters of the hash to remove, got %q", prefix)
	}
	all, err := c.List(ctx)
	if err != nil {
		return Entry{}, err
	}
	var match []Entry
	for _, e := range all {
		if strings.HasPrefix(e.Hash, prefix) {
			match = append(match, e)
		}
	}
	switch len(match) {
	case 0:
		return Entry{}, fmt.Errorf("%s: %w", prefix, ErrNotCached)
	case 1:
	default:
		return Entry{}, fmt.Errorf("%q matches %d cached environments: give more of the hash", prefix, len(match))
	}
	if err := c.fs.Remove(match[0].Path); err != nil {
		return Entry{}, fmt.Errorf("removing %s: %w", match[0].Path, err)
	}
	return match[0], nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
