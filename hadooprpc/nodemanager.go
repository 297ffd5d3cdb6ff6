package hadooprpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/sasl"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// NodeManagers is an application master's client of
// ContainerManagementProtocol: one connection per NodeManager, each
// authenticated with the NMToken the RM issued for that node. Safe for
// concurrent use.
type NodeManagers struct {
	qop []sasl.QOP

	mu     sync.Mutex
	tokens map[string]Token // by node "host:port"
	conns  map[string]*ipc.Conn
}

// NewNodeManagers makes an empty client; feed it NMTokens from every
// allocate response with AddTokens.
func NewNodeManagers(cfg *conf.Config) (*NodeManagers, error) {
	qop, err := qopFrom(cfg)
	if err != nil {
		return nil, err
	}
	return &NodeManagers{qop: qop, tokens: map[string]Token{}, conns: map[string]*ipc.Conn{}}, nil
}

// NodeAddress is "host:port" of a node id.
func NodeAddress(n *yarnpb.NodeIdProto) string {
	return net.JoinHostPort(n.GetHost(), strconv.Itoa(int(n.GetPort())))
}

// AddTokens stores NMTokens by node. A new token for a node replaces the old
// one and closes its connection, so the next call authenticates afresh.
func (n *NodeManagers) AddTokens(tokens []*yarnpb.NMTokenProto) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, t := range tokens {
		addr := NodeAddress(t.GetNodeId())
		tp := t.GetToken()
		n.tokens[addr] = Token{Identifier: tp.GetIdentifier(), Password: tp.GetPassword(), Kind: tp.GetKind(), Service: tp.GetService()}
		if c := n.conns[addr]; c != nil {
			_ = c.Close()
			delete(n.conns, addr)
		}
	}
}

// HasToken reports whether an NMToken for the node is known.
func (n *NodeManagers) HasToken(node *yarnpb.NodeIdProto) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.tokens[NodeAddress(node)]
	return ok
}

// Close closes every connection.
func (n *NodeManagers) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for addr, c := range n.conns {
		_ = c.Close()
		delete(n.conns, addr)
	}
	return nil
}

func (n *NodeManagers) conn(ctx context.Context, addr string) (*ipc.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c := n.conns[addr]; c != nil {
		select {
		case <-c.Done():
			delete(n.conns, addr)
		default:
			return c, nil
		}
	}
	tok, ok := n.tokens[addr]
	if !ok {
		return nil, fmt.Errorf("NodeManager %s: no NMToken for this node (the RM sends one in the allocate response that first gives a container on it)", addr)
	}
	c, err := ipc.Dial(ctx, addr, ipc.Options{Protocol: yarnpb.ContainerManagementProtocol, Auth: ipc.AuthToken, Token: &tok, QOP: n.qop})
	if err != nil {
		return nil, err
	}
	n.conns[addr] = c
	return c, nil
}

// call runs one RPC on the node's connection, redialling once if the
// connection had broken.
func (n *NodeManagers) call(ctx context.Context, node *yarnpb.NodeIdProto, method string, req, resp proto.Message) error {
	addr := NodeAddress(node)
	for attempt := 0; ; attempt++ {
		c, err := n.conn(ctx, addr)
		if err == nil {
			err = c.Call(ctx, method, req, resp)
		}
		if err == nil {
			return nil
		}
		err = classify(err)
		if attempt == 0 && errors.Is(err, ipc.ErrClosed) && ctx.Err() == nil {
			continue
		}
		return fmt.Errorf("NodeManager %s %s: %w", addr, method, err)
	}
}

// StartContainer launches an allocated container with the launch context.
func (n *NodeManagers) StartContainer(ctx context.Context, c *yarnpb.ContainerProto, launch *yarnpb.ContainerLaunchContextProto) error {
	req := &yarnpb.StartContainersRequestProto{StartContainerRequest: []*yarnpb.StartContainerRequestProto{{
		ContainerLaunchContext: launch,
		ContainerToken:         c.GetContainerToken(),
	}}}
	resp := &yarnpb.StartContainersResponseProto{}
	if err := n.call(ctx, c.GetNodeId(), yarnpb.MethodStartContainers, req, resp); err != nil {
		return fmt.Errorf("start %s: %w", ContainerID(c.GetId()), err)
	}
	if err := containerFailure(resp.GetFailedRequests()); err != nil {
		return fmt.Errorf("start %s on %s: %w", ContainerID(c.GetId()), NodeAddress(c.GetNodeId()), err)
	}
	return nil
}

// StopContainer stops a container on its node (SIGTERM, then SIGKILL after
// the NodeManager's grace period).
func (n *NodeManagers) StopContainer(ctx context.Context, node *yarnpb.NodeIdProto, id *yarnpb.ContainerIdProto) error {
	req := &yarnpb.StopContainersRequestProto{ContainerId: []*yarnpb.ContainerIdProto{id}}
	resp := &yarnpb.StopContainersResponseProto{}
	if err := n.call(ctx, node, yarnpb.MethodStopContainers, req, resp); err != nil {
		return fmt.Errorf("stop %s: %w", ContainerID(id), err)
	}
	if err := containerFailure(resp.GetFailedRequests()); err != nil {
		return fmt.Errorf("stop %s on %s: %w", ContainerID(id), NodeAddress(node), err)
	}
	return nil
}

// ContainerStatus asks the node for a container's state.
func (n *NodeManagers) ContainerStatus(ctx context.Context, node *yarnpb.NodeIdProto, id *yarnpb.ContainerIdProto) (*yarnpb.ContainerStatusProto, error) {
	req := &yarnpb.GetContainerStatusesRequestProto{ContainerId: []*yarnpb.ContainerIdProto{id}}
	resp := &yarnpb.GetContainerStatusesResponseProto{}
	if err := n.call(ctx, node, yarnpb.MethodGetContainerStatuses, req, resp); err != nil {
		return nil, fmt.Errorf("status of %s: %w", ContainerID(id), err)
	}
	if err := containerFailure(resp.GetFailedRequests()); err != nil {
		return nil, fmt.Errorf("status of %s on %s: %w", ContainerID(id), NodeAddress(node), err)
	}
	for _, s := range resp.GetStatus() {
		return s, nil
	}
	return nil, fmt.Errorf("status of %s on %s: %w", ContainerID(id), NodeAddress(node), ErrContainerNotFound)
}

// containerFailure turns a batch call's per-container exception into an
// error that errors.Is can match like a call-level one.
func containerFailure(failed []*yarnpb.ContainerExceptionMapProto) error {
	for _, f := range failed {
		ex := f.GetException()
		msg, _, _ := strings.Cut(strings.TrimSpace(ex.GetMessage()), "\n")
		return classify(&RemoteError{Class: ex.GetClassName(), Message: msg})
	}
	return nil
}

func qopFrom(cfg *conf.Config) ([]sasl.QOP, error) {
	qop, err := sasl.ParseQOP(cfg.GetDefault("hadoop.rpc.protection", "authentication"))
	if err != nil {
		return nil, fmt.Errorf("hadoop.rpc.protection: %w", err)
	}
	return qop, nil
}
