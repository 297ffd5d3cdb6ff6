// Package appmaster is Spindle's YARN application master: it registers with
// the ResourceManager, asks for the Dask scheduler's container and then the
// workers', launches them on NodeManagers, replaces failed ones, scales on
// request, publishes the scheduler address, and finishes with an honest
// final status. This file holds the main loop and a container's whole life:
// requested → allocated → launched → running → ready → completed → restarted.
package appmaster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/spec"
)

// Heartbeat intervals: fast while containers are wanted, slow when idle
// (the RM expires an AM after yarn.am.liveness-monitor.expiry-interval-ms,
// 10 minutes by default).
const (
	fastHeartbeat = 200 * time.Millisecond
	idleHeartbeat = 2 * time.Second
)

// Container states, in the order a container moves through them.
const (
	stateAllocated = "allocated" // granted by the RM, not yet started
	stateLaunching = "launching" // startContainers sent to the NodeManager
	stateRunning   = "running"   // the NodeManager started it
	stateReady     = "ready"     // the runtime reported the process ready
	stateCompleted = "completed" // the RM reported it finished
	stateRetired   = "retired"   // finished after the AM retired it (scale down): not a failure
)

// ended: the container has finished, whether it failed or was retired.
func ended(state string) bool { return state == stateCompleted || state == stateRetired }

// container is one YARN container the AM holds.
type container struct {
	id      string
	yarn    *yarnpb.ContainerProto
	service *service
	state   string
	started time.Time
	// stopping: the AM stopped it on purpose (scale down, kill, shutdown),
	// so its completion is not a failure.
	stopping bool
	// retired: stopped by a scale down; it ends as stateRetired.
	retired bool
	// address and dashboard come from the runtime's ready call.
	address, dashboard string
	exitStatus         int32
	diagnostics        string
}

// service is the scheduler or one worker pool.
type service struct {
	name     string
	role     string // "scheduler", "worker" or "client"
	spec     *spec.Service
	pool     *spec.Pool // nil for the scheduler
	reqID    int64      // allocation request id: matches allocations to services
	priority int32
	desired  int
	failures int // containers that failed (not stopped by the AM)
	// sent is the ask count the RM last received (-1: none). Asks are
	// absolute, but the RM decrements its copy as it allocates, so an
	// unchanged ask is not resent: resending it would restore a count the
	// RM had already served and bring surplus containers.
	sent   int
	gaveUp bool // failures passed max_restarts: no more replacements
	// gaveUpReason says why, for status and diagnostics ("" while not given up).
	gaveUpReason string
	// lastFailures are the newest failed containers, newest last.
	lastFailures []failure
	// containers not yet completed, by id.
	live map[string]*container
	// adapt is the pool's adaptive scaling (adapt.go); nil when off.
	adapt *adaptive
}

func (s *service) maxRestarts() int { return s.spec.Restarts() }

// failure is one failed container, kept for the give-up diagnostic.
type failure struct {
	id   string
	exit string // the exit status, or "launch failed"
	why  string
}

// keptFailures is how many failures a service remembers.
const keptFailures = 3

// failsApp: giving up on this service ends the application (always for
// the scheduler, unless on_give_up is keep_running for a pool).
func (s *service) failsApp() bool {
	return s.pool == nil || s.pool.OnGiveUp != spec.OnGiveUpKeepRunning
}

// giveUpReason names the service, its limit and its last failures: their
// exit statuses, newest first, then the newest one's diagnostics.
func (s *service) giveUpReason() string {
	name := s.name
	if s.role == "worker" {
		name = fmt.Sprintf("worker pool %q", s.name)
	}
	exits := make([]string, 0, len(s.lastFailures))
	for i := len(s.lastFailures) - 1; i >= 0; i-- {
		exits = append(exits, s.lastFailures[i].exit)
	}
	msg := fmt.Sprintf("%s gave up after %d failed containers (max_restarts %d); last exit statuses, newest first: %s",
		name, s.failures, s.maxRestarts(), strings.Join(exits, ", "))
	if n := len(s.lastFailures); n > 0 {
		last := s.lastFailures[n-1]
		msg += fmt.Sprintf("; newest: %s %s", last.id, last.why)
	}
	return msg
}

// AM is the application master.
type AM struct {
	plan   *Plan
	hadoop *conf.Config
	amrm   *hadooprpc.AMRM
	nms    *hadooprpc.NodeManagers
	fs     *hdfs.Client
	secret []byte
	// tls is the Dask cluster's TLS material; nil: TLS is off.
	tls    *dasktls.Bundle
	host   string // this node, as the RM and containers see it
	log    logrus.FieldLogger
	tokens *Tokens
	// tokenPoll: see Config.TokenPoll.
	tokenPoll time.Duration
	// controlAddr is host:port of the control API.
	controlAddr string

	mu          sync.Mutex
	services    []*service
	byReqID     map[int64]*service
	containers  map[string]*container // every container ever held, for status
	release     []*yarnpb.ContainerIdProto
	scheduler   schedulerInfo
	trackingURL string
	wake        chan struct{}
	finishing   *finish // set when the AM decided to end
	diagnostics []string
	resources   *yarnpb.ResourceProto // the largest container the RM grants
}

// schedulerInfo is where the Dask scheduler is; generation counts moves.
type schedulerInfo struct {
	Address, Dashboard string
	Generation         int64
	container          string
	published          bool // its scheduler file is on HDFS (or there is none to write)
}

func (s schedulerInfo) status() SchedulerStatus {
	return SchedulerStatus{Address: s.Address, DashboardAddress: s.Dashboard, Generation: s.Generation, Published: s.published}
}

// finish is how the application ends.
type finish struct {
	status      yarnpb.FinalApplicationStatusProto
	diagnostics string
}

// Config is what New needs; Main builds it from the container environment.
type Config struct {
	Plan   *Plan
	Hadoop *conf.Config
	AMRM   *hadooprpc.AMRM
	NMs    *hadooprpc.NodeManagers
	FS     *hdfs.Client
	Secret []byte
	TLS    *dasktls.Bundle // nil: the Dask cluster runs without TLS
	Host   string
	Log    logrus.FieldLogger
	// Tokens go to every container launched; nil: none but the secret.
	Tokens *Tokens
	// TokenPoll, when positive, is how often containers fetch refreshed
	// tokens (see Refresher).
	TokenPoll time.Duration
}

// New prepares an AM; Run registers and runs it.
func New(c Config) *AM {
	am := &AM{
		plan: c.Plan, hadoop: c.Hadoop, amrm: c.AMRM, nms: c.NMs, fs: c.FS, secret: c.Secret, tls: c.TLS, host: c.Host, log: c.Log, tokens: c.Tokens, tokenPoll: c.TokenPoll,
		byReqID: map[int64]*service{}, containers: map[string]*container{}, wake: make(chan struct{}, 1),
	}
	sp := c.Plan.Spec
	add := func(s *service) {
		s.reqID = int64(len(am.services) + 1)
		s.priority = int32(len(am.services))
		s.live = map[string]*container{}
		s.sent = -1
		am.services = append(am.services, s)
		am.byReqID[s.reqID] = s
	}
	add(&service{name: "scheduler", role: "scheduler", spec: &sp.Scheduler, desired: 1})
	for i := range sp.Workers {
		p := &sp.Workers[i]
		add(&service{name: p.Name, role: "worker", spec: &p.Service, pool: p, desired: p.Instances})
	}
	if sp.Client != nil {
		add(&service{name: spec.ClientService, role: roleClient, spec: &sp.Client.Service, desired: 1})
	}
	return am
}

// Run registers with the RM, serves the control API on ln, and runs the
// allocation loop until the application ends; then it stops every
// container, unregisters and cleans up. ctx ending (SIGTERM from YARN)
// stops the loop without unregistering: YARN is already ending the attempt.
func (am *AM) Run(ctx context.Context, ln net.Listener) error {
	port := ln.Addr().(*net.TCPAddr).Port
	am.controlAddr = net.JoinHostPort(am.host, strconv.Itoa(port))
	srv := am.controlServer()
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	actx, stopAdapt := context.WithCancel(ctx)
	defer stopAdapt()
	go am.adaptLoop(actx)

	reg, err := am.amrm.Register(ctx, am.host, int32(port), "")
	if err != nil {
		return err
	}
	am.resources = reg.GetMaximumCapability()
	am.log.Infof("registered %s; control API on %s:%d; largest container %d MiB, %d vcores",
		am.plan.AppID, am.host, port, am.resources.GetMemory(), am.resources.GetVirtualCores())

	var lifetime <-chan time.Time
	if d := time.Duration(am.plan.Spec.Lifetime); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		lifetime = t.C
	}

	for {
		am.mu.Lock()
		done := am.finishing != nil
		am.mu.Unlock()
		if done {
			break
		}
		if err := am.heartbeat(ctx); err != nil {
			if ctx.Err() != nil {
				am.cleanup(context.Background(), false)
				return ctx.Err()
			}
			am.endWith(yarnpb.FinalApplicationStatusProto_APP_FAILED, fmt.Sprintf("talking to the ResourceManager: %v", err))
			break
		}
		select {
		case <-ctx.Done():
			am.log.Warn("stopped by YARN (SIGTERM)")
			am.cleanup(context.Background(), false)
			return ctx.Err()
		case <-lifetime:
			am.endWith(yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED,
				fmt.Sprintf("lifetime of %s reached", time.Duration(am.plan.Spec.Lifetime)))
		case <-am.wake:
		case <-time.After(am.interval()):
		}
	}
	am.mu.Lock()
	f := *am.finishing
	am.mu.Unlock()
	am.log.Infof("finishing: %s: %s", f.status, f.diagnostics)
	fctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	am.stopAll(fctx)
	// Unpublish before unregistering: once YARN reports the application
	// finished, no client may find a dead scheduler's address.
	am.cleanup(fctx, false)
	if err = am.amrm.Finish(fctx, f.status, f.diagnostics, am.trackingURLNow()); err != nil {
		// Keep the staging folder: YARN may start another attempt.
		return err
	}
	am.cleanup(fctx, true)
	return nil
}

// interval is the time to the next heartbeat.
func (am *AM) interval() time.Duration {
	am.mu.Lock()
	defer am.mu.Unlock()
	for _, s := range am.services {
		if am.wanted(s) > 0 {
			return fastHeartbeat
		}
		for _, c := range s.live {
			if c.state == stateAllocated || c.state == stateLaunching {
				return fastHeartbeat
			}
		}
	}
	return idleHeartbeat
}

// wanted is how many more containers a service needs. Workers and the
// client wait for the scheduler's address: they need it at launch.
func (am *AM) wanted(s *service) int {
	if s.gaveUp {
		return 0
	}
	if s.role != "scheduler" && am.scheduler.Address == "" {
		return 0
	}
	n := s.desired - len(s.live)
	if n < 0 {
		return 0
	}
	return n
}

// heartbeat sends one allocate call with absolute asks and handles what
// comes back: new containers, completed ones, tokens, commands.
func (am *AM) heartbeat(ctx context.Context) error {
	am.mu.Lock()
	req := &yarnpb.AllocateRequestProto{Progress: proto.Float32(0.5), Release: am.release}
	am.release = nil
	sent := map[*service]int{}
	for _, s := range am.services {
		if a := am.ask(s); int(a.GetNumContainers()) != s.sent {
			req.Ask = append(req.Ask, a)
			sent[s] = int(a.GetNumContainers())
		}
	}
	if am.trackingURL != "" {
		req.TrackingUrl = proto.String(am.trackingURL)
	}
	am.mu.Unlock()

	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	resp, err := am.amrm.Allocate(cctx, req)
	cancel()
	if err != nil {
		if errors.Is(err, hadooprpc.ErrApplicationMasterNotRegistered) {
			// The RM lost us (restart or failover): register again.
			am.log.Warnf("%v: registering again", err)
			am.resetAsks()
			am.amrm.ResetResponseID()
			_, rerr := am.amrm.Register(ctx, am.host, am.controlPort(), am.trackingURLNow())
			return rerr
		}
		return err
	}
	am.nms.AddTokens(resp.GetNmTokens())
	// An unset a_m_command reads as its proto2 default, AM_RESYNC: look at
	// the field itself.
	if resp.AMCommand != nil {
		switch resp.GetAMCommand() {
		case yarnpb.AMCommandProto_AM_SHUTDOWN:
			am.endWith(yarnpb.FinalApplicationStatusProto_APP_FAILED, "the ResourceManager told the AM to shut down")
			return nil
		case yarnpb.AMCommandProto_AM_RESYNC:
			am.log.Warn("the ResourceManager asked for a resync: registering again")
			am.resetAsks()
			am.amrm.ResetResponseID()
			_, err := am.amrm.Register(ctx, am.host, am.controlPort(), am.trackingURLNow())
			return err
		}
	}

	am.mu.Lock()
	defer am.mu.Unlock()
	for s, n := range sent {
		s.sent = n
	}
	for _, st := range resp.GetCompletedContainerStatuses() {
		am.completed(st)
	}
	for _, yc := range resp.GetAllocatedContainers() {
		am.allocated(ctx, yc)
	}
	return nil
}

// resetAsks makes the next heartbeat send every ask again (a new RM, or
// one that lost this attempt, knows none).
func (am *AM) resetAsks() {
	am.mu.Lock()
	defer am.mu.Unlock()
	for _, s := range am.services {
		s.sent = -1
	}
}

// ask is a service's absolute ask: the RM replaces its count each time.
func (am *AM) ask(s *service) *yarnpb.ResourceRequestProto {
	r := s.spec.Resources
	capability := &yarnpb.ResourceProto{Memory: proto.Int64(min(max(r.Memory.MiB(), 0), spec.MaxMemoryMiB)),
		VirtualCores: proto.Int32(int32(min(max(r.VCores, 0), spec.MaxVCores)))}
	add := func(name string, v int64) {
		capability.ResourceValueMap = append(capability.ResourceValueMap, &yarnpb.ResourceInformationProto{
			Key: proto.String(name), Value: proto.Int64(v),
		})
	}
	if r.GPUs > 0 {
		add(spec.GPUResource, int64(r.GPUs))
	}
	names := make([]string, 0, len(r.Other))
	for n := range r.Other {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		add(n, r.Other[n])
	}
	a := &yarnpb.ResourceRequestProto{
		Priority:            &yarnpb.PriorityProto{Priority: proto.Int32(s.priority)},
		ResourceName:        proto.String("*"),
		Capability:          capability,
		NumContainers:       proto.Int32(askCount(am.wanted(s))),
		AllocationRequestId: proto.Int64(s.reqID),
	}
	if s.spec.NodeLabel != "" {
		a.NodeLabelExpression = proto.String(s.spec.NodeLabel)
	}
	return a
}

// askCount is the container count put in an ask. The RM takes an int32,
// and one that wraps negative stops the whole queue allocating, for every
// user, until the RM restarts; so whatever the AM's state, it stays within
// 0..spec.MaxInstances.
func askCount(n int) int32 { return int32(min(max(n, 0), spec.MaxInstances)) }

// allocated handles a container the RM granted: it goes to the service whose
// allocation request id it echoes, or back to the RM if none needs it.
func (am *AM) allocated(ctx context.Context, yc *yarnpb.ContainerProto) {
	id := hadooprpc.ContainerID(yc.GetId())
	s := am.byReqID[yc.GetAllocationRequestId()]
	if s == nil || am.finishing != nil || len(s.live) >= s.desired || s.gaveUp {
		am.log.Infof("releasing surplus container %s", id)
		am.release = append(am.release, yc.GetId())
		return
	}
	c := &container{id: id, yarn: yc, service: s, state: stateAllocated, started: time.Now()}
	s.live[id] = c
	am.containers[id] = c
	am.log.Infof("%s: allocated %s on %s", s.name, id, hadooprpc.NodeAddress(yc.GetNodeId()))
	launch, err := am.launchContext(s)
	if err != nil {
		am.launchFailed(c, err)
		return
	}
	c.state = stateLaunching
	go func() {
		lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		err := am.nms.StartContainer(lctx, yc, launch)
		am.mu.Lock()
		defer am.mu.Unlock()
		if err != nil {
			am.launchFailed(c, err)
			return
		}
		if c.state == stateLaunching {
			c.state = stateRunning
			am.log.Infof("%s: launched %s", s.name, id)
		}
	}()
}

// launchFailed counts a container that could not start as a failure and
// gives it back to the RM.
func (am *AM) launchFailed(c *container, err error) {
	am.log.Errorf("%s: launching %s failed: %v", c.service.name, c.id, err)
	c.stopping = true // its completion must not count twice
	am.release = append(am.release, c.yarn.GetId())
	am.fail(c, "launch failed", fmt.Sprintf("launch failed: %v", err))
}

// completed handles the RM's report that a container ended.
func (am *AM) completed(st *yarnpb.ContainerStatusProto) {
	id := hadooprpc.ContainerID(st.GetContainerId())
	c := am.containers[id]
	if c == nil || ended(c.state) {
		return
	}
	c.state = stateCompleted
	c.exitStatus = st.GetExitStatus()
	c.diagnostics = strings.TrimSpace(st.GetDiagnostics())
	s := c.service
	delete(s.live, id)
	if am.scheduler.container == id {
		am.scheduler.Address, am.scheduler.Dashboard, am.scheduler.container = "", "", ""
		am.workersLeftScheduler()
	}
	if s.role == roleClient && !c.stopping {
		// The runtime's exit report usually ended the application already;
		// without one, the NodeManager's diagnostics say why.
		am.clientEndedLocked(c, int(c.exitStatus), describeExit(c.diagnostics))
		return
	}
	if c.stopping {
		if c.retired {
			c.state = stateRetired
		}
		am.log.Infof("%s: %s stopped (exit %d)", s.name, id, c.exitStatus)
		return
	}
	am.fail(c, strconv.Itoa(int(c.exitStatus)), fmt.Sprintf("exit status %d: %s", c.exitStatus, describeExit(c.diagnostics)))
}

// fail records a failed container (exit: its exit status) and decides:
// replace it (the absolute ask grows back by itself), or, past
// max_restarts, give up on the service: that ends the application FAILED
// unless the service is a pool with on_give_up: keep_running.
func (am *AM) fail(c *container, exit, why string) {
	s := c.service
	delete(s.live, c.id)
	s.failures++
	s.lastFailures = append(s.lastFailures, failure{id: c.id, exit: exit, why: why})
	if n := len(s.lastFailures); n > keptFailures {
		s.lastFailures = s.lastFailures[n-keptFailures:]
	}
	am.log.Warnf("%s: container %s failed (%d of max %d restarts): %s", s.name, c.id, s.failures, s.maxRestarts(), why)
	// An environment missing on a node is no passing failure: give up at once.
	envGone := envUnusable(c)
	if max := s.maxRestarts(); envGone || max >= 0 && s.failures > max {
		first := !s.gaveUp
		s.gaveUp = true
		s.gaveUpReason = s.giveUpReason()
		if envGone {
			s.gaveUpReason = am.envGiveUpReason(c, why)
		}
		if first {
			am.diagnostics = append(am.diagnostics, s.gaveUpReason)
		}
		if s.failsApp() {
			am.finishLocked(yarnpb.FinalApplicationStatusProto_APP_FAILED, s.gaveUpReason)
		} else if first {
			am.log.Errorf("%s (on_give_up: %s: the application keeps running)", s.gaveUpReason, spec.OnGiveUpKeepRunning)
		}
	}
	am.poke()
}

// workersLeftScheduler: the scheduler is gone, so no worker is in a Dask
// cluster until it joins the next one, when its runtime reports it ready
// again. Called with am.mu held.
func (am *AM) workersLeftScheduler() {
	for _, s := range am.services {
		if s.role == "scheduler" {
			continue
		}
		for _, c := range s.live {
			if c.state == stateReady {
				c.state, c.address, c.dashboard = stateRunning, "", ""
			}
		}
	}
}

// ready records a runtime's report that its process is up: a scheduler
// wrote its scheduler file, a worker is listed by the scheduler. A
// scheduler's address is published for clients and workers.
func (am *AM) ready(ctx context.Context, id, address, dashboard string) error {
	am.mu.Lock()
	c := am.containers[id]
	if c == nil || ended(c.state) {
		am.mu.Unlock()
		return fmt.Errorf("container %s is not one of this application's live containers", id)
	}
	if address == "" {
		am.mu.Unlock()
		return fmt.Errorf("a %s's ready call needs its Dask address", c.service.role)
	}
	if err := launchenv.CheckLiteral(address); err != nil {
		// Workers get the address verbatim in their launch context.
		am.mu.Unlock()
		return fmt.Errorf("address: %w", err)
	}
	c.state, c.address, c.dashboard = stateReady, address, dashboard
	var publish *schedulerInfo
	if c.service.role == "scheduler" {
		am.scheduler = schedulerInfo{Address: address, Dashboard: dashboard, Generation: am.scheduler.Generation + 1, container: id}
		if u := discovery.DashboardURL(address, dashboard); u != "" {
			am.trackingURL = u
		}
		s := am.scheduler
		publish = &s
	}
	am.mu.Unlock()
	am.log.Infof("%s: %s ready at %q", c.service.name, id, address)
	if publish != nil {
		if err := am.publish(ctx, *publish); err != nil {
			am.log.Errorf("publishing the scheduler address: %v", err)
			return err
		}
		// Clients waiting for the address (submit --wait) return only now,
		// so that `spindle address` right after them finds the file.
		am.mu.Lock()
		if am.scheduler.Generation == publish.Generation {
			am.scheduler.published = true
		}
		am.mu.Unlock()
	}
	am.poke()
	return nil
}

// stopContainer stops one container on purpose (not a failure).
func (am *AM) stopContainer(ctx context.Context, c *container) error {
	am.mu.Lock()
	c.stopping = true
	yc := c.yarn
	am.mu.Unlock()
	return am.nms.StopContainer(ctx, yc.GetNodeId(), yc.GetId())
}

// stopAll stops every live container, in parallel, workers before the
// scheduler so they do not try to reconnect to it.
func (am *AM) stopAll(ctx context.Context) {
	am.mu.Lock()
	var workers, schedulers []*container
	for _, s := range am.services {
		for _, c := range s.live {
			if s.role == "scheduler" {
				schedulers = append(schedulers, c)
			} else {
				workers = append(workers, c)
			}
		}
	}
	am.mu.Unlock()
	for _, group := range [][]*container{workers, schedulers} {
		var wg sync.WaitGroup
		for _, c := range group {
			wg.Add(1)
			go func(c *container) {
				defer wg.Done()
				if err := am.stopContainer(ctx, c); err != nil {
					am.log.Warnf("stopping %s: %v", c.id, err)
				}
			}(c)
		}
		wg.Wait()
	}
}

// endWith makes the loop finish with this status.
func (am *AM) endWith(status yarnpb.FinalApplicationStatusProto, diagnostics string) {
	am.mu.Lock()
	defer am.mu.Unlock()
	am.finishLocked(status, diagnostics)
}

func (am *AM) finishLocked(status yarnpb.FinalApplicationStatusProto, diagnostics string) {
	if am.finishing != nil {
		return
	}
	if len(am.diagnostics) > 0 && !strings.Contains(diagnostics, am.diagnostics[0]) {
		diagnostics += "; " + strings.Join(am.diagnostics, "; ")
	}
	am.finishing = &finish{status: status, diagnostics: diagnostics}
	am.poke()
}

// poke wakes the loop for an early heartbeat.
func (am *AM) poke() {
	select {
	case am.wake <- struct{}{}:
	default:
	}
}

func (am *AM) trackingURLNow() string {
	am.mu.Lock()
	defer am.mu.Unlock()
	return am.trackingURL
}

// cleanup removes the published address or, when the application is over
// for good (unregistered), the staging folder.
func (am *AM) cleanup(ctx context.Context, final bool) {
	if am.fs == nil {
		return
	}
	if !final {
		if err := am.unpublish(); err != nil {
			am.log.Warnf("removing the scheduler file: %v", err)
		}
		return
	}
	// The staging folder, and the discovery folder the scheduler file was
	// in: nothing of the application stays on HDFS.
	for _, dir := range []string{am.plan.StagingDir, discoveryDir(am.plan.DiscoveryPath, am.plan.AppID)} {
		if dir == "" {
			continue
		}
		if err := am.fs.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			am.log.Warnf("removing %s: %v", dir, err)
		}
	}
}

// scale sets a pool's desired size. Going down retires the newest workers
// through the Dask scheduler first, so their data moves to the others.
func (am *AM) scale(ctx context.Context, pool string, n int) error {
	if err := spec.CheckInstances("instances", int64(n)); err != nil {
		return err
	}
	am.mu.Lock()
	s, err := am.workerPool(pool)
	if err != nil {
		am.mu.Unlock()
		return err
	}
	s.desired = n
	s.gaveUp, s.gaveUpReason = false, ""
	var victims []*container
	if extra := len(s.live) - n; extra > 0 {
		all := make([]*container, 0, len(s.live))
		for _, c := range s.live {
			if !c.stopping {
				all = append(all, c)
			}
		}
		// Least useful first: not ready yet, then the newest.
		sort.Slice(all, func(i, j int) bool {
			ri, rj := all[i].state == stateReady, all[j].state == stateReady
			if ri != rj {
				return !ri
			}
			return all[i].started.After(all[j].started)
		})
		if extra > len(all) {
			extra = len(all)
		}
		victims = all[:extra]
		for _, c := range victims {
			c.stopping, c.retired = true, true
		}
	}
	dashboard := am.scheduler.Dashboard
	am.mu.Unlock()
	am.log.Infof("%s: scaling to %d; retiring %d", pool, n, len(victims))
	am.poke()
	if len(victims) == 0 {
		return nil
	}
	go func() {
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		am.retireAndStop(rctx, dashboard, victims)
	}()
	return nil
}

// retireAndStop retires the containers through the Dask scheduler (when
// there is one), then stops them even if it could not: a scale by hand
// asked for that size.
func (am *AM) retireAndStop(ctx context.Context, dashboard string, victims []*container) {
	ids := make([]string, len(victims))
	for i, c := range victims {
		ids[i] = c.id
	}
	if dashboard != "" {
		if err := retireWorkers(ctx, dashboard, ids); err != nil {
			am.log.Warnf("retiring %v through the Dask scheduler: %v (stopping them anyway)", ids, err)
		}
	}
	am.stopEach(ctx, victims)
}

func (am *AM) stopEach(ctx context.Context, cs []*container) {
	for _, c := range cs {
		if err := am.stopContainer(ctx, c); err != nil {
			am.log.Warnf("stopping %s: %v", c.id, err)
		}
	}
}

// kill stops one container; the service replaces it if it still wants it.
func (am *AM) kill(ctx context.Context, id string) error {
	am.mu.Lock()
	c := am.containers[id]
	am.mu.Unlock()
	if c == nil || ended(c.state) {
		return fmt.Errorf("%w: no live container %s", errNotFound, id)
	}
	return am.stopContainer(ctx, c)
}

var errNotFound = errors.New("not found")

func (am *AM) controlPort() int32 {
	_, p, _ := net.SplitHostPort(am.controlAddr)
	n, _ := strconv.Atoi(p)
	return int32(n)
}

// itoa keeps launch-context code short.
func itoa(n int) string { return strconv.Itoa(n) }
