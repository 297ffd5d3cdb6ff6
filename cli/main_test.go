package cli

import (
	"os"
	"testing"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

// hadoop is the local Hadoop cluster the integration tests in this package
// run the commands against (not started under -short).
var hadoop cluster.Shared

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m, &hadoop)) }
