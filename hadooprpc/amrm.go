package hadooprpc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// AMRMTokenKind is the kind of the token the RM puts in the AM container's
// credentials file for ApplicationMasterProtocol; its service is empty.
const AMRMTokenKind = "YARN_AM_RM_TOKEN"

// AMRM is an application master's client of ApplicationMasterProtocol (the
// RM's scheduler port). The port accepts only the AMRMToken, even on an
// unsecured cluster. It tracks the allocate response_id and picks up rolled
// AMRMTokens for later connections. Safe for concurrent use, though an AM
// normally allocates from one loop.
type AMRM struct {
	ep *endpoint

	mu         sync.Mutex
	token      Token
	responseID int32
}

// NewAMRM makes a client for the scheduler addresses in cfg (all HA RMs),
// authenticated with the AMRMToken.
func NewAMRM(cfg *conf.Config, token Token) (*AMRM, error) {
	addrs, err := cfg.RMSchedulerAddresses()
	if err != nil {
		return nil, err
	}
	qop, err := qopFrom(cfg)
	if err != nil {
		return nil, err
	}
	c := &AMRM{token: token}
	clientID := ipc.NewClientID()
	c.ep = newEndpoint("ResourceManager scheduler", addrs, func() ipc.Options {
		c.mu.Lock()
		defer c.mu.Unlock()
		t := c.token
		return ipc.Options{Protocol: yarnpb.ApplicationMasterProtocol, Auth: ipc.AuthToken, Token: &t, QOP: qop, ClientID: clientID}
	})
	return c, nil
}

// Close closes the connection.
func (c *AMRM) Close() error { return c.ep.close() }

// Register registers the application master. host, port and trackingURL
// are what the RM reports to clients (the AM's control endpoint and web UI).
func (c *AMRM) Register(ctx context.Context, host string, port int32, trackingURL string) (*yarnpb.RegisterApplicationMasterResponseProto, error) {
	req := &yarnpb.RegisterApplicationMasterRequestProto{Host: proto.String(host), RpcPort: proto.Int32(port), TrackingUrl: proto.String(trackingURL)}
	resp := &yarnpb.RegisterApplicationMasterResponseProto{}
	if err := c.ep.call(ctx, yarnpb.MethodRegisterApplicationMaster, req, resp); err != nil {
		return nil, fmt.Errorf("register application master: %w", err)
	}
	return resp, nil
}

// Allocate sends one heartbeat. Asks in req are absolute totals; the
// response_id is filled in here. A rolled AMRMToken in the response is kept
// for the next connection.
func (c *AMRM) Allocate(ctx context.Context, req *yarnpb.AllocateRequestProto) (*yarnpb.AllocateResponseProto, error) {
	c.mu.Lock()
	req.ResponseId = proto.Int32(c.responseID)
	c.mu.Unlock()
	resp := &yarnpb.AllocateResponseProto{}
	if err := c.ep.call(ctx, yarnpb.MethodAllocate, req, resp); err != nil {
		return nil, fmt.Errorf("allocate: %w", err)
	}
	c.mu.Lock()
	c.responseID = resp.GetResponseId()
	if t := resp.GetAmRmToken(); t != nil && len(t.GetIdentifier()) > 0 {
		c.token = Token{Identifier: t.GetIdentifier(), Password: t.GetPassword(), Kind: t.GetKind(), Service: t.GetService()}
	}
	c.mu.Unlock()
	return resp, nil
}

// ResetResponseID starts the response_id sequence again, as needed after
// re-registering with a ResourceManager that lost the attempt (failover).
func (c *AMRM) ResetResponseID() {
	c.mu.Lock()
	c.responseID = 0
	c.mu.Unlock()
}

// Finish unregisters with a final status, retrying until the RM confirms
// (isUnregistered) or ctx ends.
func (c *AMRM) Finish(ctx context.Context, status yarnpb.FinalApplicationStatusProto, diagnostics, trackingURL string) error {
	req := &yarnpb.FinishApplicationMasterRequestProto{
		FinalApplicationStatus: status.Enum(),
		Diagnostics:            proto.String(diagnostics),
	}
	if trackingURL != "" {
		req.TrackingUrl = proto.String(trackingURL)
	}
	for {
		resp := &yarnpb.FinishApplicationMasterResponseProto{}
		if err := c.ep.call(ctx, yarnpb.MethodFinishApplicationMaster, req, resp); err != nil {
			return fmt.Errorf("unregister application master (%s): %w", status, err)
		}
		if resp.GetIsUnregistered() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("unregister application master (%s): RM did not confirm: %w", status, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
