package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/client"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/logs"
	"github.com/spindle-yarn/spindle/yarnlogs"
)

type logsFlags struct {
	timeout    time.Duration
	containers []string
	services   []string
	files      []string
	tail       int
	follow     bool
	interval   time.Duration
	krb        kerberosFlags
}

func newLogsCmd(e *env) *cobra.Command {
	var f logsFlags
	cmd := &cobra.Command{
		Use:   "logs <app-id>",
		Short: "Print an application's container logs, as `yarn logs` does",
		Long: `Prints every container's log files with the headers of Hadoop's ` + "`yarn logs`" + `.
While the application runs they come from the NodeManagers (LogAggregationType: LOCAL); once it has
ended, from the aggregated logs on HDFS (AGGREGATED), after waiting within --timeout for log
aggregation to succeed. --service needs Spindle's application master: its control API while the
application runs, its stderr in the aggregated logs afterwards ("appmaster" names the AM itself).
Exits 9 after printing what it could when some logs are missing (stderr says which).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, e, args[0])
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up after this long, including waiting for log aggregation (with --follow: default none, follow until the application ends)")
	fl.StringSliceVar(&f.containers, "container", nil, "only these containers (repeatable, or comma-separated)")
	fl.StringSliceVar(&f.services, "service", nil, "only containers of these services: scheduler, a worker pool's name, client (a --script), appmaster")
	fl.StringSliceVar(&f.files, "file", nil, "only these log files, e.g. stderr (repeatable, or comma-separated)")
	fl.IntVar(&f.tail, "tail", 0, "only the last N lines of each file (0: all)")
	fl.BoolVarP(&f.follow, "follow", "f", false, "while the application runs, keep printing what its containers append until it ends")
	fl.DurationVar(&f.interval, "interval", 2*time.Second, "with --follow, how often to poll the NodeManagers")
	f.krb.register(cmd)
	_ = fl.MarkHidden("interval")
	return cmd
}

func (f *logsFlags) run(cmd *cobra.Command, e *env, arg string) error {
	if f.tail < 0 {
		return withCode(ExitUsage, fmt.Errorf("--tail must be 0 or more, got %d", f.tail))
	}
	if f.interval <= 0 {
		return withCode(ExitUsage, fmt.Errorf("--interval must be positive"))
	}
	bounded := !f.follow || cmd.Flags().Changed("timeout")
	if bounded && f.timeout <= 0 {
		return withCode(ExitUsage, fmt.Errorf("--timeout must be positive, got %s", f.timeout))
	}
	for _, c := range f.containers {
		if !strings.HasPrefix(c, "container_") {
			return withCode(ExitUsage, fmt.Errorf("--container %q: want a container id, container_<...>", c))
		}
	}
	id, err := parseAppID(arg)
	if err != nil {
		return err
	}
	appID := hadooprpc.ApplicationID(id)
	what := "logs of " + appID
	cfg, err := conf.FromEnvironment()
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	ctx := cmd.Context()
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	// Logging in is bounded by --timeout even with --follow.
	login := f.timeout
	if login <= 0 {
		login = defaultTimeout
	}
	lctx, lcancel := context.WithTimeout(ctx, login)
	defer lcancel()
	_, auth, err := f.krb.auth(lctx, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	ctx = context.WithValue(ctx, authKey{}, auth)
	hc, err := webClient(cfg, auth, 30*time.Second)
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	c, err := client.New(cfg, auth)
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	defer c.Close()
	c.Context = ctx // HDFS calls end with it too
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	defer out.Flush()
	r := &logsRun{f: f, e: e, c: c, cfg: cfg, id: id, appID: appID, out: out, bounded: bounded,
		http: hc}
	err = r.run(ctx)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	return logsError(ctx, what, f.timeout, err)
}

// logsError gives a logs error its exit code.
func logsError(ctx context.Context, what string, timeout time.Duration, err error) error {
	var ce *codedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return err
	case errors.Is(err, logs.ErrNoMatch):
		return withCode(ExitNotFound, fmt.Errorf("%s: %w", what, err))
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return withCode(ExitTimeout, fmt.Errorf("%s: not done within --timeout %s: %w", what, timeout, err))
	}
	return appError(what, err)
}

type logsRun struct {
	f     *logsFlags
	e     *env
	c     *client.Client
	cfg   *conf.Config
	id    *yarnpb.ApplicationIdProto
	appID string
	out   *bufio.Writer
	http  *http.Client
	// bounded: ctx carries the --timeout deadline (not so when following
	// without an explicit --timeout).
	bounded bool

	ctl    *appmaster.Client // nil until reached; amErr says why not
	amErr  error
	amOnce bool
	// rmListErr: the ResourceManager's container list could not be read,
	// so containers only it knows of may be missing.
	rmListErr error
}

func ended(s yarnpb.YarnApplicationStateProto) bool {
	return s == yarnpb.YarnApplicationStateProto_FINISHED || s == yarnpb.YarnApplicationStateProto_FAILED ||
		s == yarnpb.YarnApplicationStateProto_KILLED
}

func (r *logsRun) run(ctx context.Context) error {
	rep, err := appReport(ctx, r.c.RM, r.id)
	if err != nil {
		return err
	}
	if ended(rep.GetYarnApplicationState()) {
		return r.aggregated(ctx, rep)
	}
	return r.live(ctx, rep)
}

func (r *logsRun) printer(services map[string]string) *logs.Printer {
	return &logs.Printer{W: r.out, Services: services, Filter: logs.Filter{
		Containers: r.f.containers, Services: r.f.services, Files: r.f.files, Tail: r.f.tail}}
}

func (r *logsRun) warn(format string, a ...any) {
	fmt.Fprintf(r.e.stderr, "spindle: "+format+"\n", a...)
}

// aggregated prints an ended application's logs from HDFS once YARN says
// they are all there, or says which are missing.
func (r *logsRun) aggregated(ctx context.Context, rep *yarnpb.ApplicationReportProto) error {
	rep, err := r.waitAggregation(ctx, rep)
	if err != nil {
		return err
	}
	status := rep.GetLogAggregationStatus()
	fsc, err := r.c.FS()
	if err != nil {
		return fmt.Errorf("connecting to HDFS for the aggregated logs: %w", err)
	}
	app, err := yarnlogs.Open(yarnlogs.HDFS(fsc), r.cfg, rep.GetUser(), r.appID)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return withCode(ExitLogsIncomplete, fmt.Errorf("log aggregation is %s, but %w (yarn.log-aggregation.retain-seconds may have removed them)",
				enumName(status, "LOG_"), err))
		}
		return fmt.Errorf("finding the aggregated logs: %w", err)
	}
	incomplete := status != yarnpb.LogAggregationStatusProto_LOG_SUCCEEDED
	var alloc map[string]logs.Allocation
	var amFound bool
	if len(r.f.services) > 0 || incomplete {
		if alloc, amFound, err = logs.FindAllocations(ctx, app); err != nil {
			return err
		}
		if len(r.f.services) > 0 && !amFound {
			return fmt.Errorf("--service: cannot tell which container ran which service: the aggregated logs hold no application master stderr (is this a Spindle application, and are the AM's logs aggregated?)")
		}
	}
	res, err := r.printer(logs.ServicesOf(alloc)).PrintAggregated(ctx, app)
	if err != nil {
		return err
	}
	if err := r.out.Flush(); err != nil {
		return err
	}
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, fmt.Sprintf("node file %s could not be read: %v", p.Node, p.Err))
	}
	if incomplete {
		problems = append(problems, missingNodes(enumName(status, "LOG_"), res.Nodes, alloc, amFound))
	}
	if len(problems) > 0 {
		return withCode(ExitLogsIncomplete, fmt.Errorf("some logs of %s are missing:\n  %s", r.appID, strings.Join(problems, "\n  ")))
	}
	return res.Check(r.printer(nil).Filter)
}

// missingNodes says which NodeManagers' logs are missing after log
// aggregation FAILED or TIME_OUT: those the application master gave
// containers to that have no node file. The ResourceManager's report gives
// no per-node status, so without the AM's log it can only say what is there.
func missingNodes(status string, read []string, alloc map[string]logs.Allocation, amFound bool) string {
	have := map[string]bool{}
	for _, n := range read {
		have[n] = true
	}
	hasNode := func(nodeID string) bool {
		f := strings.ReplaceAll(nodeID, ":", "_")
		for n := range have {
			if n == f || strings.HasPrefix(n, f+"_") {
				return true
			}
		}
		return false
	}
	byNode := map[string][]string{}
	for id, a := range alloc {
		if !hasNode(a.Node) {
			byNode[a.Node] = append(byNode[a.Node], id)
		}
	}
	readList := strings.Join(read, ", ")
	if readList == "" {
		readList = "none"
	}
	if !amFound {
		return fmt.Sprintf("log aggregation ended %s: node files read: %s; others are missing, and which NodeManagers they were cannot be told (no Spindle application master log among them)", status, readList)
	}
	if len(byNode) == 0 {
		return fmt.Sprintf("log aggregation ended %s, yet every NodeManager the application master used has a node file (%s); a NodeManager may have uploaded only part of its containers' logs", status, readList)
	}
	var parts []string
	for n, ids := range byNode {
		sort.Strings(ids)
		parts = append(parts, fmt.Sprintf("%s (containers %s)", n, strings.Join(ids, ", ")))
	}
	sort.Strings(parts)
	return fmt.Sprintf("log aggregation ended %s: no logs from NodeManager %s", status, strings.Join(parts, "; "))
}

// waitAggregation polls the report until log aggregation is SUCCEEDED,
// FAILED or TIME_OUT. An absent status is not known yet.
func (r *logsRun) waitAggregation(ctx context.Context, rep *yarnpb.ApplicationReportProto) (*yarnpb.ApplicationReportProto, error) {
	said := ""
	for {
		if rep.LogAggregationStatus != nil {
			switch s := rep.GetLogAggregationStatus(); s {
			case yarnpb.LogAggregationStatusProto_LOG_SUCCEEDED, yarnpb.LogAggregationStatusProto_LOG_FAILED, yarnpb.LogAggregationStatusProto_LOG_TIME_OUT:
				return rep, nil
			case yarnpb.LogAggregationStatusProto_LOG_DISABLED:
				return nil, withCode(ExitLogsIncomplete, fmt.Errorf("log aggregation is disabled on this cluster (yarn.log-aggregation-enable): %s's logs stay on each NodeManager's local disk (yarn.nodemanager.log-dirs) until yarn.nodemanager.log.retain-seconds", r.appID))
			}
		}
		now := "not known yet"
		if rep.LogAggregationStatus != nil {
			now = enumName(rep.GetLogAggregationStatus(), "LOG_")
		}
		if now != said {
			r.warn("%s is %s; waiting for the NodeManagers to aggregate its logs (log aggregation: %s)", r.appID, client.State(rep.GetYarnApplicationState()), now)
			said = now
		}
		select {
		case <-ctx.Done():
			return nil, withCode(ExitTimeout, fmt.Errorf("log aggregation of %s is still %s after --timeout %s; run again later or raise --timeout: %w", r.appID, now, r.f.timeout, ctx.Err()))
		case <-time.After(500 * time.Millisecond):
		}
		var err error
		if rep, err = appReport(ctx, r.c.RM, r.id); err != nil {
			if ctx.Err() != nil {
				return nil, withCode(ExitTimeout, fmt.Errorf("log aggregation of %s is still %s after --timeout %s: %w", r.appID, now, r.f.timeout, err))
			}
			return nil, err
		}
	}
}

// live prints a running application's logs from its NodeManagers, and
// with --follow keeps printing until it ends.
func (r *logsRun) live(ctx context.Context, rep *yarnpb.ApplicationReportProto) error {
	cs, err := r.liveContainers(ctx, rep)
	if err != nil {
		return err
	}
	services := map[string]string{}
	for _, c := range cs {
		if c.Service != "" {
			services[c.ID] = c.Service
		}
	}
	p := r.printer(services)
	res, err := p.PrintLive(ctx, r.http, cs)
	if err != nil {
		return err
	}
	if err := r.out.Flush(); err != nil {
		return err
	}
	problems := liveProblems(res.Problems, r.rmListErr)
	if r.f.follow {
		fol := &logs.Follow{Printer: p, HTTP: r.http, Interval: r.f.interval, Warn: r.e.stderr,
			Containers: func(ctx context.Context) ([]logs.LiveContainer, error) {
				rep, err := appReport(ctx, r.c.RM, r.id)
				if err != nil {
					return nil, err
				}
				if ended(rep.GetYarnApplicationState()) {
					return nil, nil // the rest comes from the aggregated logs
				}
				return r.liveContainers(ctx, rep)
			},
			Ended: func(ctx context.Context) (bool, error) {
				rep, err := appReport(ctx, r.c.RM, r.id)
				if err != nil {
					return false, err
				}
				return ended(rep.GetYarnApplicationState()), nil
			},
		}
		if err := fol.Run(ctx, res.Offsets); err != nil {
			return err
		}
		if err := r.out.Flush(); err != nil {
			return err
		}
		if err := r.finishFollow(ctx, fol, res.Offsets); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return withCode(ExitLogsIncomplete, fmt.Errorf("some logs of %s were not printed:\n  %s", r.appID, strings.Join(problems, "\n  ")))
	}
	if len(res.Containers) == 0 {
		if r.f.follow {
			return nil
		}
		return fmt.Errorf("%w: %s is %s and has no containers on any NodeManager yet", logs.ErrNoMatch, r.appID, client.State(rep.GetYarnApplicationState()))
	}
	if !r.f.follow {
		return res.Check(p.Filter)
	}
	return nil
}

// liveProblems names, one line each, the containers whose logs were not
// printed and why, and says so when the ResourceManager's list of
// containers could not be read.
func liveProblems(ps []logs.ContainerProblem, rmListErr error) []string {
	var out []string
	for _, p := range ps {
		node := p.NodeHTTP
		if node == "" {
			node = "an unknown NodeManager"
		}
		out = append(out, fmt.Sprintf("%s on %s: %s", p.Container, node, p.Reason()))
	}
	if rmListErr != nil {
		out = append(out, fmt.Sprintf("the ResourceManager's list of containers could not be read, so containers only it knows of may be missing: %v", rmListErr))
	}
	return out
}

// finishFollow prints what containers wrote after the last poll (their
// NodeManagers stop serving a container's logs once it ends) from the
// aggregated logs, waiting for them within --timeout.
func (r *logsRun) finishFollow(ctx context.Context, fol *logs.Follow, offsets map[logs.FileKey]int64) error {
	if !r.bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.f.timeout)
		defer cancel()
	}
	rep, err := appReport(ctx, r.c.RM, r.id)
	if err == nil {
		rep, err = r.waitAggregation(ctx, rep)
	}
	if err != nil {
		return withCode(ExitLogsIncomplete, fmt.Errorf("%s has ended, but the end of its logs cannot be printed: %w", r.appID, err))
	}
	if s := rep.GetLogAggregationStatus(); s != yarnpb.LogAggregationStatusProto_LOG_SUCCEEDED {
		r.warn("log aggregation of %s ended %s: some of the last lines may be missing; `spindle logs %s` says which nodes", r.appID, enumName(s, "LOG_"), r.appID)
	}
	fsc, err := r.c.FS()
	if err != nil {
		return fmt.Errorf("connecting to HDFS for the aggregated logs: %w", err)
	}
	app, err := yarnlogs.Open(yarnlogs.HDFS(fsc), r.cfg, rep.GetUser(), r.appID)
	if err != nil {
		return withCode(ExitLogsIncomplete, fmt.Errorf("%s has ended, but its aggregated logs cannot be read: %w", r.appID, err))
	}
	if err := fol.Finish(ctx, app, offsets); err != nil {
		return err
	}
	if err := r.out.Flush(); err != nil {
		return err
	}
	r.warn("%s has ended (%s)", r.appID, client.State(rep.GetYarnApplicationState()))
	return nil
}

// liveContainers finds a running application's containers: every running
// NodeManager's list for the application, the ResourceManager's list of the
// current attempt's containers (so that a container on a NodeManager that
// does not answer is still named), and the application master's own list
// (services, and containers that ended) when it can be reached.
func (r *logsRun) liveContainers(ctx context.Context, rep *yarnpb.ApplicationReportProto) ([]logs.LiveContainer, error) {
	var cat logs.Catalog
	nodes, err := r.c.RM.ClusterNodes(ctx, yarnpb.NodeStateProto_NS_RUNNING, yarnpb.NodeStateProto_NS_UNHEALTHY, yarnpb.NodeStateProto_NS_DECOMMISSIONING)
	if err != nil {
		return nil, fmt.Errorf("listing NodeManagers: %w", err)
	}
	type found struct {
		addr string
		ids  []string
		err  error
	}
	results := make([]found, len(nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, n := range nodes {
		wg.Add(1)
		go func(i int, addr string) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ids, err := (&logs.NodeManager{Addr: addr, HTTP: r.http}).AppContainers(ctx, r.appID)
			results[i] = found{addr, ids, err}
		}(i, n.GetHttpAddress())
	}
	wg.Wait()
	for _, fd := range results {
		if fd.err != nil {
			if !errors.Is(fd.err, logs.ErrNotOnNode) {
				r.warn("%v", fd.err)
			}
			continue
		}
		cat.FromNodeManager(fd.addr, fd.ids)
	}
	if att := rep.GetCurrentApplicationAttemptId(); att != nil {
		rcs, err := r.c.RM.Containers(ctx, att)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			r.rmListErr = err
		}
		for _, rc := range rcs {
			cat.FromRM(hadooprpc.ContainerID(rc.GetContainerId()), rc.GetNodeHttpAddress(),
				rc.GetContainerState() == yarnpb.ContainerStateProto_C_COMPLETE)
		}
	}
	st, amErr := r.amContainers(ctx, rep)
	for _, c := range st {
		cat.FromAM(c.ID, c.NodeHTTP, c.Service, c.State)
	}
	amUp := rep.GetYarnApplicationState() == yarnpb.YarnApplicationStateProto_RUNNING && rep.GetRpcPort() > 0
	if len(r.f.services) > 0 && amErr != nil && amUp {
		return nil, fmt.Errorf("--service: cannot tell which container runs which service while the application runs without its application master's control API: %w", amErr)
	}
	return cat.Containers(), nil
}

// amContainers asks Spindle's application master for its containers; an
// error when it cannot be reached (not a Spindle application, no control
// secret here, AM not up yet).
func (r *logsRun) amContainers(ctx context.Context, rep *yarnpb.ApplicationReportProto) ([]appmaster.ContainerStatus, error) {
	if rep.GetYarnApplicationState() != yarnpb.YarnApplicationStateProto_RUNNING || rep.GetRpcPort() <= 0 {
		return nil, fmt.Errorf("%s is %s: its application master is not up", r.appID, client.State(rep.GetYarnApplicationState()))
	}
	if !r.amOnce {
		r.amOnce = true
		ctl, err := r.c.Control(ctx, r.appID)
		if err != nil {
			r.amErr = err
		} else {
			r.ctl = ctl
		}
	}
	if r.ctl == nil {
		return nil, r.amErr
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := r.ctl.Status(sctx)
	if err != nil {
		return nil, err
	}
	return st.Containers, nil
}
