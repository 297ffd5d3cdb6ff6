package spec

// Limits on the numbers a spec, a flag or the control API may ask for.
// YARN carries container counts as int32 and wraps silently past them, and
// one overflowing ask can stop a shared queue from allocating for every
// user, so every entry point checks against these before anything reaches
// the ResourceManager.
const (
	// MaxInstances is the most workers one pool may ask for: far beyond
	// what a Dask scheduler handles well, far below int32.
	MaxInstances = 10000
	// MaxVCores and MaxMemoryMiB bound one container's ask; the cluster's
	// own maximum allocation (checked at submit) is usually much lower.
	MaxVCores    = 1 << 16
	MaxMemoryMiB = 1 << 31 // 2 PiB: YARN's memory is an int64 of MiB
	// MaxSpecBytes is the largest spec file read.
	MaxSpecBytes = 1 << 20
)
