//go:build unix

package envpack

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// withLock runs fn holding an exclusive lock on dest/.spindle/lock, so
// containers sharing one localized folder fix it up once.
func withLock(dest string, fn func() error) error {
	if err := os.MkdirAll(filepath.Join(dest, metaDir), 0o755); err != nil {
		return fmt.Errorf("locking the environment: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dest, metaDir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("locking the environment: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking the environment: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}
