package hadooprpc

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// ResourceManager is a client of ApplicationClientProtocol (the RM's client
// port, yarn.resourcemanager.address), failing over across HA ResourceManagers.
// It is safe for concurrent use; calls share one connection.
type ResourceManager struct {
	ep *endpoint
}

// NewResourceManager makes a client from the Hadoop configuration. It does
// not connect until the first call.
func NewResourceManager(cfg *conf.Config, o Options) (*ResourceManager, error) {
	addrs, err := cfg.RMAddresses()
	if err != nil {
		return nil, err
	}
	base, err := clientAuth(cfg, o, "yarn.resourcemanager.principal")
	if err != nil {
		return nil, err
	}
	base.Protocol = yarnpb.ApplicationClientProtocol
	return &ResourceManager{ep: newEndpoint("ResourceManager", addrs, func() ipc.Options { return base })}, nil
}

// Addresses are the ResourceManager client addresses tried, in order.
func (rm *ResourceManager) Addresses() []string { return append([]string(nil), rm.ep.addrs...) }

// Close closes the connection.
func (rm *ResourceManager) Close() error { return rm.ep.close() }

// NewApplication reserves an application id.
func (rm *ResourceManager) NewApplication(ctx context.Context) (*yarnpb.GetNewApplicationResponseProto, error) {
	resp := &yarnpb.GetNewApplicationResponseProto{}
	if err := rm.ep.call(ctx, yarnpb.MethodGetNewApplication, &yarnpb.GetNewApplicationRequestProto{}, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// SubmitApplication submits an application under an id from NewApplication.
func (rm *ResourceManager) SubmitApplication(ctx context.Context, sub *yarnpb.ApplicationSubmissionContextProto) error {
	req := &yarnpb.SubmitApplicationRequestProto{ApplicationSubmissionContext: sub}
	if err := rm.ep.call(ctx, yarnpb.MethodSubmitApplication, req, &yarnpb.SubmitApplicationResponseProto{}); err != nil {
		return fmt.Errorf("submit %s: %w", ApplicationID(sub.GetApplicationId()), err)
	}
	return nil
}

// ApplicationReport returns the RM's report of one application; an unknown
// id gives an error that matches ErrApplicationNotFound.
func (rm *ResourceManager) ApplicationReport(ctx context.Context, id *yarnpb.ApplicationIdProto) (*yarnpb.ApplicationReportProto, error) {
	resp := &yarnpb.GetApplicationReportResponseProto{}
	req := &yarnpb.GetApplicationReportRequestProto{ApplicationId: id}
	if err := rm.ep.call(ctx, yarnpb.MethodGetApplicationReport, req, resp); err != nil {
		return nil, fmt.Errorf("report of %s: %w", ApplicationID(id), err)
	}
	return resp.GetApplicationReport(), nil
}

// Applications lists applications matching the request's filters (all
// filters combine with AND; an empty request lists every application).
func (rm *ResourceManager) Applications(ctx context.Context, filter *yarnpb.GetApplicationsRequestProto) ([]*yarnpb.ApplicationReportProto, error) {
	if filter == nil {
		filter = &yarnpb.GetApplicationsRequestProto{}
	}
	resp := &yarnpb.GetApplicationsResponseProto{}
	if err := rm.ep.call(ctx, yarnpb.MethodGetApplications, filter, resp); err != nil {
		return nil, err
	}
	return resp.GetApplications(), nil
}

// KillApplication asks the RM to kill an application. It reports whether
// the kill has completed; the RM finishes it asynchronously otherwise.
func (rm *ResourceManager) KillApplication(ctx context.Context, id *yarnpb.ApplicationIdProto, diagnostics string) (bool, error) {
	req := &yarnpb.KillApplicationRequestProto{ApplicationId: id}
	if diagnostics != "" {
		req.Diagnostics = proto.String(diagnostics)
	}
	resp := &yarnpb.KillApplicationResponseProto{}
	if err := rm.ep.call(ctx, yarnpb.MethodForceKillApplication, req, resp); err != nil {
		return false, fmt.Errorf("kill %s: %w", ApplicationID(id), err)
	}
	return resp.GetIsKillCompleted(), nil
}

// Containers lists an application attempt's containers the ResourceManager
// knows: while the attempt runs, its live ones (allocated, running), each
// with its node and the node's web address.
func (rm *ResourceManager) Containers(ctx context.Context, attempt *yarnpb.ApplicationAttemptIdProto) ([]*yarnpb.ContainerReportProto, error) {
	resp := &yarnpb.GetContainersResponseProto{}
	req := &yarnpb.GetContainersRequestProto{ApplicationAttemptId: attempt}
	if err := rm.ep.call(ctx, yarnpb.MethodGetContainers, req, resp); err != nil {
		return nil, fmt.Errorf("containers of %s: %w", AttemptID(attempt), err)
	}
	return resp.GetContainers(), nil
}

// ClusterMetrics returns node counts by state.
func (rm *ResourceManager) ClusterMetrics(ctx context.Context) (*yarnpb.YarnClusterMetricsProto, error) {
	resp := &yarnpb.GetClusterMetricsResponseProto{}
	if err := rm.ep.call(ctx, yarnpb.MethodGetClusterMetrics, &yarnpb.GetClusterMetricsRequestProto{}, resp); err != nil {
		return nil, err
	}
	return resp.GetClusterMetrics(), nil
}

// ClusterNodes lists NodeManagers in the given states (all when none given).
func (rm *ResourceManager) ClusterNodes(ctx context.Context, states ...yarnpb.NodeStateProto) ([]*yarnpb.NodeReportProto, error) {
	resp := &yarnpb.GetClusterNodesResponseProto{}
	if err := rm.ep.call(ctx, yarnpb.MethodGetClusterNodes, &yarnpb.GetClusterNodesRequestProto{NodeStates: states}, resp); err != nil {
		return nil, err
	}
	return resp.GetNodeReports(), nil
}

// QueueInfo describes a queue ("root" for the whole tree), with its child
// queues when children is set (all levels when recursive).
func (rm *ResourceManager) QueueInfo(ctx context.Context, queue string, children, recursive bool) (*yarnpb.QueueInfoProto, error) {
	req := &yarnpb.GetQueueInfoRequestProto{
		QueueName:           proto.String(queue),
		IncludeChildQueues:  proto.Bool(children),
		Recursive:           proto.Bool(recursive),
		IncludeApplications: proto.Bool(false),
	}
	resp := &yarnpb.GetQueueInfoResponseProto{}
	if err := rm.ep.call(ctx, yarnpb.MethodGetQueueInfo, req, resp); err != nil {
		return nil, fmt.Errorf("queue %s: %w", queue, err)
	}
	return resp.GetQueueInfo(), nil
}
