package envpack

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// cacheFile writes a file of size bytes in dir, last modified age ago.
func cacheFile(t *testing.T, dir, name string, size int, age time.Duration) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(-age)
	if err := os.Chtimes(p, when, when); err != nil {
		t.Fatal(err)
	}
}

func fingerprints(es []LocalEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Fingerprint)
	}
	return out
}

// TestPruneLocalAgeThenLeastRecentlyUsed: archives unused for longer than
// MaxAge go, then the least recently used until the cache fits MaxSize;
// recently used ones stay whatever the limits; killed packs' temporary
// files and records without their archive go too.
func TestPruneLocalAgeThenLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	day := 24 * time.Hour
	for _, e := range []struct {
		fp   string
		size int
		age  time.Duration
	}{{"old", 10, 40 * day}, {"lru1", 20, 10 * day}, {"lru2", 20, 5 * day}, {"kept", 20, 2 * day}, {"recent", 200, 10 * time.Minute}} {
		cacheFile(t, dir, e.fp+".tar.gz", e.size, e.age)
		cacheFile(t, dir, e.fp+".json", 10, e.age)
	}
	cacheFile(t, dir, ".killed.tar.gz.tmp-1", 50, 2*day)
	cacheFile(t, dir, ".packing.tar.gz.tmp-2", 50, time.Minute)
	cacheFile(t, dir, "orphan.json", 10, day)

	res, err := PruneLocal(dir, CacheLimits{MaxAge: 30 * day, MaxSize: 260, KeepRecent: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := fingerprints(res.Removed); !slices.Equal(got, []string{"old", "lru1", "lru2"}) {
		t.Errorf("removed %v, want old (age), then lru1 and lru2 (least recently used, over 260 bytes)", got)
	}
	if got := fingerprints(res.Kept); !slices.Equal(got, []string{"recent", "kept"}) {
		t.Errorf("kept %v, want recent and kept, newest first", got)
	}
	if res.Freed != 20+30+30+50 {
		t.Errorf("freed %d bytes, want %d", res.Freed, 20+30+30+50)
	}
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".packing.tar.gz.tmp-2", "kept.json", "kept.tar.gz", "recent.json", "recent.tar.gz"}
	if !slices.Equal(left, want) {
		t.Errorf("left in the cache: %v, want %v", left, want)
	}

	// The recently used archive is over the size alone: it stays, unless
	// recent use is not protected (an explicit prune).
	res, err = PruneLocal(dir, CacheLimits{MaxAge: -1, MaxSize: 0, KeepRecent: time.Hour}, time.Now())
	if err != nil || !slices.Equal(fingerprints(res.Removed), []string{"kept"}) {
		t.Errorf("--max-size 0: removed %v, %v; want kept only", fingerprints(res.Removed), err)
	}
	res, err = PruneLocal(dir, CacheLimits{MaxAge: -1, MaxSize: 0, KeepRecent: -1}, time.Now())
	if err != nil || !slices.Equal(fingerprints(res.Removed), []string{"recent"}) {
		t.Errorf("--max-size 0 without recent-use protection: removed %v, %v; want recent", fingerprints(res.Removed), err)
	}
	if res, err := PruneLocal(filepath.Join(dir, "missing"), DefaultCacheLimits, time.Now()); err != nil || len(res.Removed)+len(res.Kept) != 0 {
		t.Errorf("a missing cache: %+v, %v", res, err)
	}
}

// TestPackCachedBoundsTheCache: using the cache renews an archive's last
// use and prunes what is older than DefaultCacheLimits allow.
func TestPackCachedBoundsTheCache(t *testing.T) {
	src := newVenv(t, filepath.Join(t.TempDir(), "venv"))
	cache := t.TempDir()
	cacheFile(t, cache, "stale.tar.gz", 10, 31*24*time.Hour)
	cacheFile(t, cache, "stale.json", 10, 31*24*time.Hour)

	a, err := PackCached(context.Background(), src, cache, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, "stale.tar.gz")); !os.IsNotExist(err) {
		t.Fatalf("an archive unused for 31 days is still cached: %v", err)
	}
	tenDays := time.Now().Add(-10 * 24 * time.Hour)
	if err := os.Chtimes(a.Path, tenDays, tenDays); err != nil {
		t.Fatal(err)
	}
	b, err := PackCached(context.Background(), src, cache, Options{})
	if err != nil || !b.Reused || b.Path != a.Path {
		t.Fatalf("second PackCached: %+v, %v; want the same archive reused", b, err)
	}
	if st, err := os.Stat(b.Path); err != nil || time.Since(st.ModTime()) > time.Hour {
		t.Fatalf("a reused archive's last use was not renewed: %v %v", st.ModTime(), err)
	}
}
