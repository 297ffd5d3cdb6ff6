package appmaster

import (
	"fmt"
	"strings"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/hadooprpc"
)

// envUnusable: the container's runtime found the environment already on
// the node (python://, conda://, venv://) missing or unable to import
// distributed. Replacing the container would only repeat that (YARN tends
// to place it on the same node), so its service gives up at once. Both
// the exit status and the runtime's message must match: a Dask process
// exiting 78 on its own is an ordinary failure.
func envUnusable(c *container) bool {
	return c.exitStatus == rt.ExitEnvUnusable && strings.Contains(c.diagnostics, rt.EnvUnusableMsg)
}

// envGiveUpReason names the service, the node and the runtime's cause
// (which names the environment's path).
func (am *AM) envGiveUpReason(c *container, why string) string {
	name := c.service.name
	if c.service.role == "worker" {
		name = fmt.Sprintf("worker pool %q", name)
	}
	return fmt.Sprintf("%s gave up without retrying: the Python environment %s is not usable on node %s (container %s, %s)",
		name, am.plan.Spec.Environment, hadooprpc.NodeAddress(c.yarn.GetNodeId()), c.id, why)
}
