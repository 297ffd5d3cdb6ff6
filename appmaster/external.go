package appmaster

import (
	"context"
	"fmt"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

// useExternal sets up a scheduler outside the application
// (spec.ExternalScheduler): the scheduler service asks for no container,
// and workers start at once against the given address, as if a scheduler
// container of generation 1 had reported it. Called from New.
func (am *AM) useExternal(sp *spec.Spec) {
	e := sp.ExternalScheduler
	if e == nil {
		return
	}
	for _, s := range am.services {
		if s.role == "scheduler" {
			s.desired = 0
		}
	}
	am.scheduler = schedulerInfo{Address: e.Address, Dashboard: e.DashboardAddress, Generation: 1}
	am.trackingURL = discovery.DashboardURL(e.Address, e.DashboardAddress)
}

// publishExternal writes an external scheduler's file once the AM runs, so
// that `spindle address` and `submit --wait` find it as they find one of
// the application's. A failure ends the application: clients could not
// find the scheduler.
func (am *AM) publishExternal(ctx context.Context) {
	am.mu.Lock()
	s := am.scheduler
	am.mu.Unlock()
	if am.plan.Spec.ExternalScheduler == nil {
		return
	}
	if err := am.publish(ctx, s); err != nil {
		am.endWith(yarnpb.FinalApplicationStatusProto_APP_FAILED, fmt.Sprintf("publishing the external scheduler's address: %v", err))
		return
	}
	am.mu.Lock()
	am.scheduler.published = true
	am.mu.Unlock()
	am.log.Infof("external scheduler %s (HTTP %s): workers start against it", s.Address, s.Dashboard)
}
