// Package integration holds Spindle's end-to-end tests. Each runs against the
// real local Hadoop started by integration/cluster: a ResourceManager, two
// NodeManagers, a NameNode and a DataNode.
package integration

import (
	"os"
	"testing"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

var hadoop cluster.Shared

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m, &hadoop)) }
