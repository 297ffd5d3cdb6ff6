//go:build !unix

package envpack

// withLock has no file lock to take here; environments are activated on
// Linux nodes.
func withLock(_ string, fn func() error) error { return fn() }
