package cli

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// clusterInfoJSON is `spindle cluster info --json` (documented in the
// README; add fields, never rename them).
type clusterInfoJSON struct {
	NodeManagers nodeCountsJSON `json:"node_managers"`
	Queues       queueJSON      `json:"queues"`
}

// nodeCountsJSON counts NodeManagers by state, as the ResourceManager's
// cluster metrics report them.
type nodeCountsJSON struct {
	Total           int32 `json:"total"`
	Active          int32 `json:"active"`
	Decommissioning int32 `json:"decommissioning"`
	Decommissioned  int32 `json:"decommissioned"`
	Lost            int32 `json:"lost"`
	Unhealthy       int32 `json:"unhealthy"`
	Rebooted        int32 `json:"rebooted"`
	Shutdown        int32 `json:"shutdown"`
}

// queueJSON is one scheduler queue and its children. Capacities are
// percentages: capacity and maximum capacity of the parent queue, used
// capacity of the queue's own guaranteed capacity (above 100 when it
// borrows idle resources).
type queueJSON struct {
	Name                   string      `json:"name"`
	Path                   string      `json:"path"`
	State                  string      `json:"state"`
	CapacityPercent        float64     `json:"capacity_percent"`
	MaximumCapacityPercent float64     `json:"maximum_capacity_percent"`
	UsedCapacityPercent    float64     `json:"used_capacity_percent"`
	AppsRunning            int64       `json:"apps_running"`
	AppsPending            int64       `json:"apps_pending"`
	AllocatedMemoryMB      int64       `json:"allocated_memory_mb"`
	AllocatedVcores        int64       `json:"allocated_vcores"`
	Children               []queueJSON `json:"children"`
}

func toNodeCounts(m *yarnpb.YarnClusterMetricsProto) nodeCountsJSON {
	return nodeCountsJSON{
		Total:           m.GetNumNodeManagers(),
		Active:          m.GetNumActiveNms(),
		Decommissioning: m.GetNumDecommissioningNms(),
		Decommissioned:  m.GetNumDecommissionedNms(),
		Lost:            m.GetNumLostNms(),
		Unhealthy:       m.GetNumUnhealthyNms(),
		Rebooted:        m.GetNumRebootedNms(),
		Shutdown:        m.GetNumShutdownNms(),
	}
}

// fractionToPercent turns a float32 fraction into a percentage with two
// decimals, so 1.0 prints as 100, not 100.00000149.
func fractionToPercent(f float32) float64 {
	return math.Round(float64(f)*100*100) / 100
}

func toQueueJSON(q *yarnpb.QueueInfoProto, parentPath string) queueJSON {
	path := q.GetQueuePath()
	if path == "" {
		path = q.GetQueueName()
		if parentPath != "" {
			path = parentPath + "." + path
		}
	}
	st := q.GetQueueStatistics()
	out := queueJSON{
		Name:                   q.GetQueueName(),
		Path:                   path,
		State:                  enumName(q.GetState(), "Q_"),
		CapacityPercent:        fractionToPercent(q.GetCapacity()),
		MaximumCapacityPercent: fractionToPercent(q.GetMaximumCapacity()),
		UsedCapacityPercent:    fractionToPercent(q.GetCurrentCapacity()),
		AppsRunning:            st.GetNumAppsRunning(),
		AppsPending:            st.GetNumAppsPending(),
		AllocatedMemoryMB:      st.GetAllocatedMemoryMB(),
		AllocatedVcores:        st.GetAllocatedVCores(),
		Children:               []queueJSON{},
	}
	for _, c := range q.GetChildQueues() {
		out.Children = append(out.Children, toQueueJSON(c, path))
	}
	return out
}

func newClusterInfoCmd(e *env) *cobra.Command {
	var (
		rf     rmFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show NodeManager counts by state and the scheduler's queue tree",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var info clusterInfoJSON
			err := rf.withRM(cmd, "read cluster metrics and queues", func(ctx context.Context, rm *hadooprpc.ResourceManager) error {
				m, err := rm.ClusterMetrics(ctx)
				if err != nil {
					return err
				}
				root, err := rm.QueueInfo(ctx, "root", true, true)
				if err != nil {
					return err
				}
				info = clusterInfoJSON{NodeManagers: toNodeCounts(m), Queues: toQueueJSON(root, "")}
				return nil
			})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(e.stdout, info)
			}
			n := info.NodeManagers
			fmt.Fprintf(e.stdout, "NodeManagers: %d total, %d active, %d decommissioning, %d decommissioned, %d lost, %d unhealthy, %d rebooted, %d shutdown\n\n",
				n.Total, n.Active, n.Decommissioning, n.Decommissioned, n.Lost, n.Unhealthy, n.Rebooted, n.Shutdown)
			t := newTable(e.stdout, "QUEUE", "STATE", "CAPACITY", "MAX CAPACITY", "USED", "RUNNING", "PENDING", "MEMORY", "VCORES")
			var walk func(q queueJSON, depth int)
			walk = func(q queueJSON, depth int) {
				t.row(strings.Repeat("  ", depth)+q.Name, q.State, percent(q.CapacityPercent),
					percent(q.MaximumCapacityPercent), percent(q.UsedCapacityPercent),
					fmt.Sprint(q.AppsRunning), fmt.Sprint(q.AppsPending),
					fmt.Sprintf("%d MB", q.AllocatedMemoryMB), fmt.Sprint(q.AllocatedVcores))
				for _, c := range q.Children {
					walk(c, depth+1)
				}
			}
			walk(info.Queues, 0)
			return t.flush()
		},
	}
	rf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (fields documented in the README)")
	return cmd
}
