package spec

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

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
	// MaxSchedulerWait bounds a pool's scheduler_wait.
	MaxSchedulerWait = 24 * time.Hour
	// MaxSpecBytes is the largest spec file read.
	MaxSpecBytes = 1 << 20
	// MaxGPUs bounds one container's GPUs (a device count, like vcores).
	MaxGPUs = 1 << 10
	// MaxAttempts bounds max_attempts; the ResourceManager caps it further
	// (yarn.resourcemanager.am.max-attempts).
	MaxAttempts = 100
	// MaxRestarts bounds max_restarts (-1, unlimited, is allowed).
	MaxRestarts = 1_000_000
)

// ErrLimit: a number is outside what spindle accepts. Errors wrapping it
// name the key and the limit.
var ErrLimit = errors.New("outside spindle's limits")

// CheckRange returns an error wrapping ErrLimit, naming key (if any) and
// the range, unless lo <= n <= hi.
func CheckRange(key string, n int64, lo, hi int64) error {
	if n >= lo && n <= hi {
		return nil
	}
	err := fmt.Errorf("%d is %w: use %d to %d", n, ErrLimit, lo, hi)
	if key != "" {
		err = fmt.Errorf("%s: %w", key, err)
	}
	return err
}

// CheckInstances checks a pool's worker count, as every entry point
// (spec, flags, control API) must before it reaches the ResourceManager.
func CheckInstances(key string, n int64) error { return CheckRange(key, n, 0, MaxInstances) }

// ParseWhole reads a whole number as YAML and JSON let one be written:
// 12, -1, 3e9, 1e12 (an integral float), so that a huge count written in
// exponent form reaches the range checks instead of being misread.
// Fractions, and numbers beyond int64, are errors.
func ParseWhole(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q is not a whole number", s)
	case math.IsNaN(f) || math.Trunc(f) != f:
		return 0, fmt.Errorf("%q is not a whole number", s)
	case errors.Is(err, strconv.ErrRange) || f >= math.MaxInt64 || f < math.MinInt64:
		return 0, fmt.Errorf("%q is far %w", s, ErrLimit)
	}
	return int64(f), nil
}

// yamlInt decodes every int of a spec through ParseWhole: the YAML library
// would turn 2.5 into 2 and take 0x7fffffffffffffff as it is.
func yamlInt(n *int, raw []byte) error {
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return err
	}
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		s = fmt.Sprint(x)
	}
	w, err := ParseWhole(s)
	if err == nil && int64(int(w)) != w {
		err = fmt.Errorf("%q is far %w", s, ErrLimit)
	}
	if err != nil {
		// The library gives no position here: say which keys take counts.
		return fmt.Errorf("%w (instances, vcores, gpus, max_attempts and max_restarts are whole numbers within spindle's limits)", err)
	}
	*n = int(w)
	return nil
}
