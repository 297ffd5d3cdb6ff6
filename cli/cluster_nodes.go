package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// nodeJSON is one element of `spindle cluster nodes --json` (documented in
// the README; add fields, never rename them).
type nodeJSON struct {
	ID                 string   `json:"id"`
	State              string   `json:"state"`
	HTTPAddress        string   `json:"http_address"`
	Rack               string   `json:"rack"`
	Containers         int32    `json:"containers"`
	MemoryUsedMB       int64    `json:"memory_used_mb"`
	MemoryTotalMB      int64    `json:"memory_total_mb"`
	VcoresUsed         int32    `json:"vcores_used"`
	VcoresTotal        int32    `json:"vcores_total"`
	Labels             []string `json:"labels"`
	HealthReport       string   `json:"health_report"`
	LastHealthReportAt *string  `json:"last_health_report_at"`
}

func toNodeJSON(n *yarnpb.NodeReportProto) nodeJSON {
	labels := append([]string{}, n.GetNodeLabels()...)
	slices.Sort(labels)
	return nodeJSON{
		ID:                 hadooprpc.NodeAddress(n.GetNodeId()),
		State:              enumName(n.GetNodeState(), "NS_"),
		HTTPAddress:        n.GetHttpAddress(),
		Rack:               n.GetRackName(),
		Containers:         n.GetNumContainers(),
		MemoryUsedMB:       n.GetUsed().GetMemory(),
		MemoryTotalMB:      n.GetCapability().GetMemory(),
		VcoresUsed:         n.GetUsed().GetVirtualCores(),
		VcoresTotal:        n.GetCapability().GetVirtualCores(),
		Labels:             labels,
		HealthReport:       n.GetHealthReport(),
		LastHealthReportAt: jsonTime(n.GetLastHealthReportTime()),
	}
}

func newClusterNodesCmd(e *env) *cobra.Command {
	var (
		rf     rmFlags
		states []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "nodes",
		Short: "List the cluster's NodeManagers",
		Long: "List the NodeManagers the ResourceManager knows, in every state unless --state is given.\n" +
			"States: " + strings.Join(nodeStateNames, ", ") + ".",
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			names, err := parseNames("state", states, nodeStateNames)
			if err != nil {
				return err
			}
			var filter []yarnpb.NodeStateProto
			for _, n := range names {
				filter = append(filter, nodeStateValue(n))
			}
			var nodes []*yarnpb.NodeReportProto
			err = rf.withRM(cmd, "list NodeManagers", func(ctx context.Context, rm *hadooprpc.ResourceManager) error {
				nodes, err = rm.ClusterNodes(ctx, filter...)
				return err
			})
			if err != nil {
				return err
			}
			out := make([]nodeJSON, 0, len(nodes))
			for _, n := range nodes {
				out = append(out, toNodeJSON(n))
			}
			slices.SortFunc(out, func(a, b nodeJSON) int { return strings.Compare(a.ID, b.ID) })
			if asJSON {
				return writeJSON(e.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(e.stderr, "no NodeManagers match")
				return nil
			}
			t := newTable(e.stdout, "ID", "STATE", "HTTP ADDRESS", "RACK", "CONTAINERS", "MEMORY USED/TOTAL", "VCORES USED/TOTAL", "LABELS")
			for _, n := range out {
				t.row(n.ID, n.State, n.HTTPAddress, n.Rack, fmt.Sprint(n.Containers),
					fmt.Sprintf("%d/%d MB", n.MemoryUsedMB, n.MemoryTotalMB),
					fmt.Sprintf("%d/%d", n.VcoresUsed, n.VcoresTotal),
					strings.Join(n.Labels, ","))
			}
			return t.flush()
		},
	}
	rf.register(cmd)
	cmd.Flags().StringSliceVar(&states, "state", nil, "only nodes in these states (repeatable or comma-separated; default: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (fields documented in the README)")
	return cmd
}
