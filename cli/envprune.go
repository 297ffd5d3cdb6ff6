package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/envpack"
	"github.com/spindle-yarn/spindle/spec"
)

// localEnvJSON is one archive in `spindle env prune --json`.
type localEnvJSON struct {
	Fingerprint string `json:"fingerprint"`
	Path        string `json:"path"`
	Size        int64  `json:"size"`
	LastUsed    string `json:"last_used_at"`
}

type envPruneJSON struct {
	Cache   string         `json:"cache"`
	Removed []localEnvJSON `json:"removed"`
	Kept    []localEnvJSON `json:"kept"`
	Freed   int64          `json:"freed_bytes"`
	Size    int64          `json:"size_bytes"` // what is kept
}

func newEnvPruneCmd(e *env) *cobra.Command {
	var maxSize, olderThan string
	var asJSON bool
	def := envpack.DefaultCacheLimits
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Bound the local cache of packed environments (~/.cache/spindle/envs)",
		Long: fmt.Sprintf(`submit packs a local environment folder once per content into ~/.cache/spindle/envs
(under $XDG_CACHE_HOME when set) and reuses the archive while the folder is unchanged.
Each submit prunes that cache: archives not used for %s go, then the least recently
used until it holds at most %s; archives used within the last %s stay.
env prune does the same now, with the limits given and without sparing recent ones
(--max-size 0 empties the cache).`, humanAge(def.MaxAge), sizeFlag(def.MaxSize), humanAge(def.KeepRecent)),
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			size, err := spec.ParseByteSize(maxSize)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("--max-size: %w", err))
			}
			age, err := parseAge(olderThan)
			if err != nil {
				return withCode(ExitUsage, fmt.Errorf("--older-than: %w", err))
			}
			dir, err := envpack.DefaultLocalCacheDir()
			if err != nil {
				return err
			}
			res, err := envpack.PruneLocal(dir, envpack.CacheLimits{MaxAge: age, MaxSize: int64(size), KeepRecent: -1}, time.Now())
			out := envPruneJSON{Cache: dir, Removed: localEnvs(res.Removed), Kept: localEnvs(res.Kept), Freed: res.Freed}
			for _, k := range res.Kept {
				out.Size += k.Size
			}
			if asJSON {
				if jerr := writeJSON(e.stdout, out); jerr != nil && err == nil {
					err = jerr
				}
				return err
			}
			for _, r := range res.Removed {
				fmt.Fprintf(e.stdout, "removed %s (%s, last used %s)\n", r.Path, humanBytes(r.Size), r.LastUsed.Local().Format(shortTime))
			}
			fmt.Fprintf(e.stdout, "%s: %d removed, %s freed; %d kept, %s\n", dir, len(res.Removed), humanBytes(res.Freed), len(res.Kept), humanBytes(out.Size))
			return err
		},
	}
	cmd.Flags().StringVar(&maxSize, "max-size", sizeFlag(def.MaxSize), "then remove the least recently used archives until the cache holds at most this (e.g. 500MiB, 0)")
	cmd.Flags().StringVar(&olderThan, "older-than", humanAge(def.MaxAge), "remove archives not used for this long (e.g. 7d, 12h, 0)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print what was removed and kept as JSON")
	return cmd
}

func localEnvs(es []envpack.LocalEntry) []localEnvJSON {
	out := make([]localEnvJSON, 0, len(es))
	for _, e := range es {
		out = append(out, localEnvJSON{Fingerprint: e.Fingerprint, Path: e.Path, Size: e.Size,
			LastUsed: e.LastUsed.UTC().Format(time.RFC3339)})
	}
	return out
}

// maxAge bounds --older-than so that now minus it stays a valid time.
const maxAge = 100 * 365 * 24 * time.Hour

// parseAge reads a duration as Go writes it (12h, 90m) or in whole days
// (30d); 0 or more.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days (e.g. 30d)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration: use e.g. 30d, 12h or 0", s)
		}
	}
	if d < 0 {
		return 0, errors.New("must not be negative")
	}
	if d > maxAge {
		return 0, fmt.Errorf("%s is more than %d days", s, maxAge/(24*time.Hour))
	}
	return d, nil
}

// humanAge writes whole days as 30d, whole hours as 1h.
func humanAge(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d > 0 && d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// sizeFlag writes a size the way --max-size reads it back (2GiB).
func sizeFlag(n int64) string {
	for _, u := range []struct {
		unit  string
		shift uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n > 0 && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.unit)
		}
	}
	return fmt.Sprintf("%dB", n)
}
