package yarnlogs

import (
	"os"
	"testing"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

// hadoop is the local cluster of this test binary; with -short none starts
// and the tests needing it skip.
var hadoop cluster.Shared

func TestMain(m *testing.M) {
	os.Exit(cluster.RunTests(m, &hadoop))
}
