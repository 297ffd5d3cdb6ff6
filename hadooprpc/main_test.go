package hadooprpc_test

import (
	"os"
	"testing"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

var hadoop cluster.Shared

func TestMain(m *testing.M) {
	// The same binary serves as the application master of TestAMLifecycle:
	// the NodeManager runs it with SPINDLE_TEST_AM set.
	if os.Getenv(testAMEnv) != "" {
		os.Exit(runTestAM())
	}
	os.Exit(cluster.RunTests(m, &hadoop))
}
