package cli

import (
	"fmt"
	"strconv"

	"github.com/spindle-yarn/spindle/spec"
)

// countValue is an int flag bounded to lo..hi (spec/limits.go): a count
// such as --workers 2147483648 or 3e9 is refused while the flags are
// parsed (exit 2), naming the limit, before anything reaches the cluster.
type countValue struct {
	n      *int
	lo, hi int64
}

func newCount(n *int, lo, hi int64) *countValue { return &countValue{n: n, lo: lo, hi: hi} }

func (v *countValue) Set(s string) error {
	n, err := spec.ParseWhole(s)
	if err != nil {
		return fmt.Errorf("%w: use %d to %d", err, v.lo, v.hi)
	}
	if err := spec.CheckRange("", n, v.lo, v.hi); err != nil {
		return err
	}
	*v.n = int(n)
	return nil
}

func (v *countValue) String() string { return strconv.Itoa(*v.n) }
func (v *countValue) Type() string   { return "int" }
