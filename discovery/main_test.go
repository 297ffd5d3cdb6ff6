package discovery_test

import (
	"os"
	"testing"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

var hadoop cluster.Shared

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m, &hadoop)) }
