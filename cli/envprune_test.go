package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEnvPrune: `spindle env prune` bounds the local cache by age and size
// as asked, says what it removed (--json for scripts), and refuses bad
// limits with exit 2.
func TestEnvPrune(t *testing.T) {
	cacheHome := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cacheHome)
	dir := filepath.Join(cacheHome, "spindle", "envs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, age := range map[string]time.Duration{"a": 10 * 24 * time.Hour, "b": 2 * 24 * time.Hour, "c": time.Minute} {
		for _, ext := range []string{".tar.gz", ".json"} {
			p := filepath.Join(dir, name+ext)
			if err := os.WriteFile(p, make([]byte, 600), 0o644); err != nil {
				t.Fatal(err)
			}
			when := time.Now().Add(-age)
			os.Chtimes(p, when, when)
		}
	}

	out, _ := mustRun(t, ExitOK, "env", "prune", "--older-than", "7d", "--max-size", "1500B", "--json")
	var got envPruneJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Cache != dir || len(got.Removed) != 2 || got.Removed[0].Fingerprint != "a" || got.Removed[1].Fingerprint != "b" ||
		len(got.Kept) != 1 || got.Kept[0].Fingerprint != "c" || got.Freed != 2400 || got.Size != 1200 {
		t.Fatalf("prune --json: %+v; want a (older than 7d) and b (over 1500 bytes) removed, c kept", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.tar.gz")); err != nil {
		t.Fatal(err)
	}

	// The defaults read back; the newest archive is well within them.
	out, _ = mustRun(t, ExitOK, "env", "prune")
	if !strings.Contains(out, "0 removed") || !strings.Contains(out, "1 kept") {
		t.Errorf("env prune: %q", out)
	}
	out, _ = mustRun(t, ExitOK, "env", "prune", "--max-size", "0")
	if !strings.Contains(out, "removed "+filepath.Join(dir, "c.tar.gz")) || !strings.Contains(out, "0 kept") {
		t.Errorf("env prune --max-size 0 does not empty the cache: %q", out)
	}

	for _, bad := range [][]string{{"--older-than", "-1d"}, {"--older-than", "a week"}, {"--older-than", "99999d"}, {"--max-size", "lots"}, {"--max-size", "-5GiB"}} {
		code, _, errOut := run(append([]string{"env", "prune"}, bad...)...)
		if code != ExitUsage || !strings.Contains(errOut, bad[0]) {
			t.Errorf("env prune %v: exit %d, stderr %q; want 2 naming the flag", bad, code, errOut)
		}
	}
}
