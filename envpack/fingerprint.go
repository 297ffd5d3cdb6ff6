package envpack

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Fingerprint is a key for an environment's content that reads no file:
// the path, size, modification time, mode and link target of every file,
// the pack options that change the archive, and for Standalone the same
// of the base interpreter's prefix. Equal fingerprints mean the archive
// Pack would write is the same, short of a file rewritten with its size and
// time restored.
func Fingerprint(srcDir string, opts Options) (string, error) {
	root, err := realRoot(srcDir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	level := opts.Level
	if level == 0 {
		level = DefaultLevel
	}
	fmt.Fprintf(h, "spindle-envpack %d level=%d standalone=%t force=%t root=%s\n", manifestFormat, level, opts.Standalone, opts.Force, root)
	if err := fingerprintTree(h, root, true); err != nil {
		return "", fmt.Errorf("fingerprinting %s: %w", root, err)
	}
	if opts.Standalone {
		cfg, err := readPyvenvCfg(root)
		if err == nil && cfg["home"] != "" {
			base := filepath.Dir(cfg["home"])
			fmt.Fprintf(h, "base %s\n", base)
			if err := fingerprintTree(h, base, false); err != nil {
				return "", fmt.Errorf("fingerprinting base interpreter %s: %w", base, err)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fingerprintTree(h interface{ Write([]byte) (int, error) }, root string, skipMeta bool) error {
	buf := make([]byte, 0, 256)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, root)
		if skipMeta && name == string(filepath.Separator)+metaDir {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		buf = buf[:0]
		buf = append(buf, name...)
		buf = append(buf, 0)
		buf = strconv.AppendUint(buf, uint64(info.Mode()), 16)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, info.Size(), 10)
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, info.ModTime().UnixNano(), 10)
		if info.Mode()&fs.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			buf = append(buf, ' ')
			buf = append(buf, t...)
		}
		buf = append(buf, '\n')
		h.Write(buf)
		return nil
	})
}

func sha256Bytes(b []byte) (string, error) {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}
