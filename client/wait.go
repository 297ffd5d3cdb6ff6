package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// Until is what Wait waits for.
type Until int

const (
	UntilRunning  Until = iota // the AM registered
	UntilAddress               // the Dask scheduler's address is known
	UntilFinished              // YARN finished the application
)

func (u Until) String() string {
	return [...]string{"running", "address", "finished"}[u]
}

// ParseUntil reads running, address or finished.
func ParseUntil(s string) (Until, error) {
	for _, u := range []Until{UntilRunning, UntilAddress, UntilFinished} {
		if u.String() == s {
			return u, nil
		}
	}
	return 0, fmt.Errorf("--for %q: use running, address or finished", s)
}

// EndedError: YARN ended the application otherwise than the caller waited
// for (failed, killed, or finished before its scheduler was up).
type EndedError struct {
	AppID       string
	State       yarnpb.YarnApplicationStateProto
	FinalStatus yarnpb.FinalApplicationStatusProto
	Diagnostics string
}

func (e *EndedError) Error() string {
	d := strings.TrimSpace(e.Diagnostics)
	if d == "" {
		d = "YARN gave no diagnostics"
	}
	return fmt.Sprintf("%s is %s (final status %s): %s", e.AppID, State(e.State), FinalStatus(e.FinalStatus), d)
}

// Failed reports whether the application failed (rather than finished or
// was killed).
func (e *EndedError) Failed() bool {
	return e.State == yarnpb.YarnApplicationStateProto_FAILED || e.FinalStatus == yarnpb.FinalApplicationStatusProto_APP_FAILED
}

// Killed reports whether the application was killed.
func (e *EndedError) Killed() bool {
	return e.State == yarnpb.YarnApplicationStateProto_KILLED || e.FinalStatus == yarnpb.FinalApplicationStatusProto_APP_KILLED
}

// ErrWaitTimeout wraps a wait that ran out of time.
var ErrWaitTimeout = errors.New("timed out")

// State is YARN's name for an application state (RUNNING, not RUNNING's enum name).
func State(s yarnpb.YarnApplicationStateProto) string { return s.String() }

// FinalStatus is YARN's name for a final status (SUCCEEDED, not APP_SUCCEEDED).
func FinalStatus(s yarnpb.FinalApplicationStatusProto) string {
	return strings.TrimPrefix(s.String(), "APP_")
}

// Waited is what Wait saw last.
type Waited struct {
	Report    *yarnpb.ApplicationReportProto
	Scheduler *appmaster.SchedulerStatus // for UntilAddress
}

// Wait polls until the application reaches `until`, YARN ends it (an
// *EndedError with YARN's diagnostics, returned on the first poll that
// sees it), or ctx ends (ErrWaitTimeout, saying what was awaited).
func (c *Client) Wait(ctx context.Context, appID string, until Until) (*Waited, error) {
	id, err := hadooprpc.ParseApplicationID(appID)
	if err != nil {
		return nil, err
	}
	var lastState, lastDiag string
	var ctl *appmaster.Client
	for poll := 0; ; poll++ {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var rep *yarnpb.ApplicationReportProto
		if c.reports != nil {
			rep, err = c.reports(rctx, id)
		} else {
			rep, err = c.RM.ApplicationReport(rctx, id)
		}
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.timeout(ctx, appID, until, lastState)
			}
			return nil, err
		}
		st := rep.GetYarnApplicationState()
		// What YARN says is pending and why (e.g. the queue's AM limit),
		// whole, each time it changes; not each time the ResourceManager
		// only renews the time stamp in front.
		diag := strings.TrimSpace(rep.GetDiagnostics())
		if diag == "N/A" { // the protocol's default: none
			diag = ""
		}
		if s := State(st); s != lastState || untimed(diag) != untimed(lastDiag) {
			c.progress("%s: %s%s", appID, s, indented(diag))
			lastState, lastDiag = s, diag
		}
		if e := EndedFrom(appID, rep); e != nil {
			c.TidyEnded(ctx, appID)
			if until == UntilFinished && st == yarnpb.YarnApplicationStateProto_FINISHED && rep.GetFinalApplicationStatus() == yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED {
				return &Waited{Report: rep}, nil
			}
			return &Waited{Report: rep}, e
		}
		if st == yarnpb.YarnApplicationStateProto_RUNNING && rep.GetRpcPort() > 0 {
			switch until {
			case UntilRunning:
				return &Waited{Report: rep}, nil
			case UntilAddress:
				if ctl == nil {
					if ctl, err = c.controlFor(appID, rep); err != nil {
						return nil, err
					}
				}
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				s, err := ctl.Scheduler(sctx)
				cancel()
				if errors.Is(err, appmaster.ErrUnauthorized) {
					return nil, fmt.Errorf("%s: %w", appID, err)
				}
				if err == nil && s.Address != "" && s.Published {
					return &Waited{Report: rep, Scheduler: s}, nil
				}
			}
		}
		delay := 250 * time.Millisecond
		if poll > 40 {
			delay = time.Second
		}
		select {
		case <-ctx.Done():
			return nil, c.timeout(ctx, appID, until, lastState)
		case <-time.After(delay):
		}
	}
}

func (c *Client) timeout(ctx context.Context, appID string, until Until, state string) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &InterruptedError{AppID: appID, State: state}
	}
	what := map[Until]string{UntilRunning: "to be RUNNING", UntilAddress: "to publish its Dask scheduler address", UntilFinished: "to finish"}[until]
	return fmt.Errorf("%w waiting for %s %s (last state %s): %w", ErrWaitTimeout, appID, what, state, ctx.Err())
}

// InterruptedError: the wait was interrupted (Ctrl-C); the application
// goes on.
type InterruptedError struct {
	AppID string
	State string // the last state seen, "" if none
}

func (e *InterruptedError) Error() string {
	st := ""
	if e.State != "" {
		st = ", " + e.State
	}
	return fmt.Sprintf("interrupted: application %s is still running on YARN%s; stop it with: spindle stop %s", e.AppID, st, e.AppID)
}

// timeStamp is the "[Wed Nov 26 01:17:30 +0000 2026] " the ResourceManager
// puts in front of its diagnostics lines.
var timeStamp = regexp.MustCompile(`(?m)^\[[^\]\n]*\d\d:\d\d:\d\d[^\]\n]*\] ?`)

func untimed(d string) string { return timeStamp.ReplaceAllString(d, "") }

// indented puts multi-line diagnostics under their progress line.
func indented(d string) string {
	if d == "" {
		return ""
	}
	return "\n  " + strings.ReplaceAll(d, "\n", "\n  ")
}

// Control returns a client of the application's AM control API.
func (c *Client) Control(ctx context.Context, appID string) (*appmaster.Client, error) {
	id, err := hadooprpc.ParseApplicationID(appID)
	if err != nil {
		return nil, err
	}
	rep, err := c.RM.ApplicationReport(ctx, id)
	if err != nil {
		return nil, err
	}
	st := rep.GetYarnApplicationState()
	if st != yarnpb.YarnApplicationStateProto_RUNNING || rep.GetRpcPort() <= 0 {
		if e := EndedFrom(appID, rep); e != nil {
			c.TidyEnded(ctx, appID)
			return nil, e
		}
		return nil, fmt.Errorf("%s is %s: its application master is not up yet (try `spindle wait %s --for running`)", appID, State(st), appID)
	}
	return c.controlFor(appID, rep)
}

func (c *Client) controlFor(appID string, rep *yarnpb.ApplicationReportProto) (*appmaster.Client, error) {
	secret, err := c.Secret(appID)
	if err != nil {
		return nil, err
	}
	base := "http://" + net.JoinHostPort(rep.GetHost(), strconv.Itoa(int(rep.GetRpcPort())))
	return &appmaster.Client{Base: base, Secret: secret}, nil
}

// ControlFor is Control for an application whose running report the
// caller already holds.
func (c *Client) ControlFor(appID string, rep *yarnpb.ApplicationReportProto) (*appmaster.Client, error) {
	return c.controlFor(appID, rep)
}
