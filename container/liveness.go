package container

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrAMGone: the application master has not answered for longer than the
// AM expiry. The application is over, or its AM was lost with its node;
// either way no one is left to stop this container, so it stops itself.
var ErrAMGone = errors.New("application master unreachable")

// watchAM cancels the run with ErrAMGone once the AM has not answered any
// call for cfg.AMExpiry. Workers poll the AM anyway; for the others it asks
// once per check when nothing else did.
func (r *runtime) watchAM(ctx context.Context, cancel context.CancelCauseFunc) {
	every := min(r.cfg.AMExpiry/10, 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if r.am.sinceAnswer() >= every {
			_, _ = r.am.scheduler(ctx) // any answer counts; failures are the point
		}
		if quiet := r.am.sinceAnswer(); quiet > r.cfg.AMExpiry {
			err := fmt.Errorf("%w: %s has not answered for %s (AM expiry %s): the application is over or its AM is lost; stopping the Dask process so that it does not outlive its application",
				ErrAMGone, r.cfg.AMURL, quiet.Round(time.Second), r.cfg.AMExpiry)
			r.log.Error(err.Error())
			cancel(err)
			return
		}
	}
}

// stopReason says why ctx ended: the AM gone, or a stop asked for.
func stopReason(ctx context.Context) string {
	if err := context.Cause(ctx); errors.Is(err, ErrAMGone) {
		return err.Error()
	}
	return "asked to stop"
}
