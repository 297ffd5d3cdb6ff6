package envpack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CacheLimits bound the local cache of packed environments. A negative
// value is no limit.
type CacheLimits struct {
	// MaxAge: archives not used for longer are removed.
	MaxAge time.Duration
	// MaxSize: then the least recently used archives are removed until
	// the cache holds at most this many bytes.
	MaxSize int64
	// KeepRecent: archives used more recently are kept whatever the
	// limits, so that one process never removes what another is about to
	// upload.
	KeepRecent time.Duration
}

// DefaultCacheLimits are applied each time PackCached uses the cache.
var DefaultCacheLimits = CacheLimits{MaxAge: 30 * 24 * time.Hour, MaxSize: 2 << 30, KeepRecent: time.Hour}

// staleTemp is the age after which a half-written archive (a pack that was
// killed) is removed.
const staleTemp = 24 * time.Hour

// LocalEntry is one packed environment in the local cache.
type LocalEntry struct {
	Fingerprint string
	Path        string
	Size        int64 // the archive and its record
	// LastUsed is when it was packed or last reused (the archive's
	// modification time, renewed on reuse).
	LastUsed time.Time
}

// PruneResult says what PruneLocal did.
type PruneResult struct {
	Removed []LocalEntry
	Kept    []LocalEntry // newest first
	// Freed counts the removed entries' bytes and stale temporary files'.
	Freed int64
}

// PruneLocal removes from the local cache cacheDir the archives not used
// within l.MaxAge, then the least recently used ones until the cache holds
// at most l.MaxSize bytes; archives used within l.KeepRecent stay. It also
// removes half-written archives older than a day and records without an
// archive. A missing cacheDir is an empty cache.
func PruneLocal(cacheDir string, l CacheLimits, now time.Time) (PruneResult, error) {
	var res PruneResult
	dirents, err := os.ReadDir(cacheDir)
	if errors.Is(err, os.ErrNotExist) {
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("reading the environment cache %s: %w", cacheDir, err)
	}
	var errs []error
	archives := map[string]bool{}
	for _, d := range dirents {
		if fp, ok := strings.CutSuffix(d.Name(), archiveExt); ok && !strings.HasPrefix(d.Name(), ".") {
			archives[fp] = true
		}
	}
	var entries []LocalEntry
	var total int64
	for _, d := range dirents {
		name, full := d.Name(), filepath.Join(cacheDir, d.Name())
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		switch fp, isArchive := strings.CutSuffix(name, archiveExt); {
		case strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp"):
			if now.Sub(info.ModTime()) > staleTemp {
				if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				} else {
					res.Freed += info.Size()
				}
			}
		case isArchive:
			e := LocalEntry{Fingerprint: fp, Path: full, Size: info.Size(), LastUsed: info.ModTime()}
			if rec, err := os.Stat(filepath.Join(cacheDir, fp+".json")); err == nil {
				e.Size += rec.Size()
			}
			entries = append(entries, e)
			total += e.Size
		case strings.HasSuffix(name, ".json") && !archives[strings.TrimSuffix(name, ".json")]:
			// A record whose archive is gone; a pack in progress writes the
			// archive first, so this is not one.
			if err := os.Remove(full); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	// Oldest use first: the first removed when over the size limit.
	sort.Slice(entries, func(i, j int) bool {
		if !entries[i].LastUsed.Equal(entries[j].LastUsed) {
			return entries[i].LastUsed.Before(entries[j].LastUsed)
		}
		return entries[i].Fingerprint < entries[j].Fingerprint
	})
	for _, e := range entries {
		idle := now.Sub(e.LastUsed)
		tooOld := l.MaxAge >= 0 && idle > l.MaxAge
		tooBig := l.MaxSize >= 0 && total > l.MaxSize
		if (l.KeepRecent >= 0 && idle < l.KeepRecent) || (!tooOld && !tooBig) {
			res.Kept = append(res.Kept, e)
			continue
		}
		if err := removeLocalEntry(e); err != nil {
			errs = append(errs, err)
			res.Kept = append(res.Kept, e)
			continue
		}
		total -= e.Size
		res.Freed += e.Size
		res.Removed = append(res.Removed, e)
	}
	// Newest first reads better in a listing.
	for i, j := 0, len(res.Kept)-1; i < j; i, j = i+1, j-1 {
		res.Kept[i], res.Kept[j] = res.Kept[j], res.Kept[i]
	}
	return res, errors.Join(errs...)
}

// removeLocalEntry removes the archive, then its record: a record never
// stands for an archive that is gone.
func removeLocalEntry(e LocalEntry) error {
	if err := os.Remove(e.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", e.Path, err)
	}
	rec := strings.TrimSuffix(e.Path, archiveExt) + ".json"
	if err := os.Remove(rec); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing %s: %w", rec, err)
	}
	return nil
}
