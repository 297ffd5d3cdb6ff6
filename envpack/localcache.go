package envpack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Archive is a packed environment on local disk.
type Archive struct {
	Path        string
	SHA256      string
	Size        int64
	Fingerprint string
	// Reused is true when the archive was already there for this fingerprint.
	Reused bool
}

// DefaultLocalCacheDir is where PackCached keeps archives: the user's cache
// folder, spindle/envs.
func DefaultLocalCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache folder: %w", err)
	}
	return filepath.Join(d, "spindle", "envs"), nil
}

type cacheRecord struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// PackCached packs srcDir into cacheDir once per fingerprint: when the
// environment's files are unchanged since the last call it returns the
// same archive without reading them. Each call then prunes the cache to
// DefaultCacheLimits (best effort: a failure to prune is not the caller's).
func PackCached(ctx context.Context, srcDir, cacheDir string, opts Options) (*Archive, error) {
	a, err := packCached(ctx, srcDir, cacheDir, opts)
	if err == nil {
		_, _ = PruneLocal(cacheDir, DefaultCacheLimits, time.Now())
	}
	return a, err
}

func packCached(ctx context.Context, srcDir, cacheDir string, opts Options) (*Archive, error) {
	fp, err := Fingerprint(srcDir, opts)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the environment cache %s: %w", cacheDir, err)
	}
	arch := filepath.Join(cacheDir, fp+".tar.gz")
	recPath := filepath.Join(cacheDir, fp+".json")
	if b, err := os.ReadFile(recPath); err == nil {
		var rec cacheRecord
		if json.Unmarshal(b, &rec) == nil {
			if st, err := os.Stat(arch); err == nil && st.Size() == rec.Size && rec.SHA256 != "" {
				// The archive's time is when it was last used, for pruning.
				now := time.Now()
				_ = os.Chtimes(arch, now, now)
				return &Archive{Path: arch, SHA256: rec.SHA256, Size: rec.Size, Fingerprint: fp, Reused: true}, nil
			}
		}
	}
	res, err := PackFile(ctx, srcDir, arch, opts)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(cacheRecord{SHA256: res.SHA256, Size: res.Size})
	tmp := recPath + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return nil, fmt.Errorf("recording the packed environment: %w", err)
	}
	if err := os.Rename(tmp, recPath); err != nil {
		return nil, fmt.Errorf("recording the packed environment: %w", err)
	}
	return &Archive{Path: arch, SHA256: res.SHA256, Size: res.Size, Fingerprint: fp}, nil
}
