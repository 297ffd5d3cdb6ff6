package spec

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/launchenv"
)

// WorkerOptions are dask-yarn's worker_options that `dask worker` takes as
// flags; each becomes argv elements of the worker's command, never shell
// text. Unset fields leave Dask's (or Spindle's) default. Other Worker
// arguments have no flag, or are the runtime's own (name, host,
// contact_address, scheduler), and are unknown keys.
type WorkerOptions struct {
	// NThreads replaces the default, the container's vcores.
	NThreads *int `yaml:"nthreads" json:"nthreads,omitempty"`
	// MemoryLimit replaces the default, the container's memory; it may
	// not be more.
	MemoryLimit    ByteSize           `yaml:"memory_limit" json:"memory_limit,omitempty"`
	Resources      map[string]float64 `yaml:"resources" json:"resources,omitempty"`
	LocalDirectory string             `yaml:"local_directory" json:"local_directory,omitempty"`
	DeathTimeout   Duration           `yaml:"death_timeout" json:"death_timeout,omitempty"`
	Lifetime       Duration           `yaml:"lifetime" json:"lifetime,omitempty"`
	// LifetimeStagger and LifetimeRestart only mean something with Lifetime.
	LifetimeStagger Duration `yaml:"lifetime_stagger" json:"lifetime_stagger,omitempty"`
	LifetimeRestart *bool    `yaml:"lifetime_restart" json:"lifetime_restart,omitempty"`
	// Dashboard false: no worker dashboard (--no-dashboard).
	Dashboard *bool    `yaml:"dashboard" json:"dashboard,omitempty"`
	Preload   []string `yaml:"preload" json:"preload,omitempty"`
}

// Bounds on worker options.
const (
	// MaxWorkerThreads bounds nthreads (threads may exceed vcores, for
	// tasks that wait on I/O).
	MaxWorkerThreads = 4096
	// MaxWorkerTimeout bounds death_timeout, lifetime and lifetime_stagger.
	MaxWorkerTimeout = 365 * 24 * time.Hour
	// MaxPreloads bounds preload's entries.
	MaxPreloads = 32
	// maxClassName bounds worker_class.
	maxClassName = 256
)

// ErrWorkerOption: a worker_class or worker_options value Spindle cannot
// pass to `dask worker`.
var ErrWorkerOption = errors.New("bad worker option")

var dottedNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`)

// The worker classes that need no --worker-class: the default (a Nanny
// running a Worker) and a Worker without a nanny.
var (
	nannyClasses  = map[string]bool{"distributed.Nanny": true, "dask.distributed.Nanny": true, "distributed.nanny.Nanny": true}
	workerClasses = map[string]bool{"distributed.Worker": true, "dask.distributed.Worker": true, "distributed.worker.Worker": true}
)

// checkWorker validates a pool's worker_class and worker_options; key is
// the pool's (workers[name]).
func (p *Pool) checkWorker(key string) []error {
	var errs []error
	bad := func(k, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %w: %s", key, k, ErrWorkerOption, fmt.Sprintf(format, a...)))
	}
	if c := p.WorkerClass; c != "" && (len(c) > maxClassName || !dottedNameRe.MatchString(c)) {
		bad("worker_class", "%q: want a Python class by its dotted name, such as distributed.Worker", c)
	}
	o := p.WorkerOptions
	if o == nil {
		return errs
	}
	if o.NThreads != nil {
		if err := CheckRange("", int64(*o.NThreads), 1, MaxWorkerThreads); err != nil {
			bad("worker_options.nthreads", "%v", err)
		}
	}
	if o.MemoryLimit < 0 {
		bad("worker_options.memory_limit", "must be more than 0")
	} else if o.MemoryLimit > p.Resources.Memory {
		bad("worker_options.memory_limit", "%s is more than the container's memory (resources.memory, %s): YARN would kill the worker before Dask spills to disk",
			o.MemoryLimit, p.Resources.Memory)
	}
	for r, v := range o.Resources {
		if !(v > 0) || math.IsInf(v, 0) || r == "" || strings.ContainsAny(r, "=, \t\n") {
			bad("worker_options.resources."+r, "needs a name without '=', ',' or spaces and a positive amount")
		}
	}
	if len(o.Resources) > 0 && len(p.DaskResources) > 0 {
		bad("worker_options.resources", "the pool has dask_resources too: give one of them")
	}
	if err := launchenv.CheckValue(o.LocalDirectory); err != nil {
		bad("worker_options.local_directory", "%v", err)
	}
	for _, d := range []struct {
		name string
		v    Duration
		min  time.Duration
	}{{"death_timeout", o.DeathTimeout, time.Second}, {"lifetime", o.Lifetime, time.Second}, {"lifetime_stagger", o.LifetimeStagger, 0}} {
		if v := time.Duration(d.v); v != 0 && (v < d.min || v > MaxWorkerTimeout) {
			bad("worker_options."+d.name, "%s: use %s to %s", v, d.min, MaxWorkerTimeout)
		}
	}
	if o.Lifetime == 0 && (o.LifetimeStagger != 0 || o.LifetimeRestart != nil) {
		bad("worker_options.lifetime", "lifetime_stagger and lifetime_restart need a lifetime")
	}
	if len(o.Preload) > MaxPreloads {
		bad("worker_options.preload", "%d entries: at most %d", len(o.Preload), MaxPreloads)
	}
	for i, m := range o.Preload {
		if err := launchenv.CheckValue(m); err != nil || strings.TrimSpace(m) == "" {
			bad(fmt.Sprintf("worker_options.preload[%d]", i), "%q: want a module name or a file path", m)
		}
	}
	return errs
}

// WorkerArgs are the `dask worker` options a pool's workers get after the
// spec's args: threads and memory limit (the container's, unless
// worker_options says otherwise: Dask's own defaults, the whole node's,
// are wrong in a container), Dask resources, worker_options' other flags,
// and what worker_class asks for (a class other than Nanny runs without a
// nanny, in its place, as dask-yarn starts it).
func (p *Pool) WorkerArgs() []string {
	o := p.WorkerOptions
	if o == nil {
		o = &WorkerOptions{}
	}
	threads, memory := p.Resources.VCores, fmt.Sprintf("%dMiB", p.Resources.Memory.MiB())
	if o.NThreads != nil {
		threads = *o.NThreads
	}
	if o.MemoryLimit > 0 {
		memory = strconv.FormatInt(int64(o.MemoryLimit), 10) // bytes
	}
	argv := []string{"--nthreads", strconv.Itoa(threads), "--memory-limit", memory}
	res := p
	if len(o.Resources) > 0 {
		res = &Pool{DaskResources: o.Resources}
	}
	if r := res.DaskResourcesArg(); r != "" {
		argv = append(argv, "--resources", r)
	}
	if o.LocalDirectory != "" {
		argv = append(argv, "--local-directory", o.LocalDirectory)
	}
	seconds := func(d Duration) string { return strconv.FormatFloat(time.Duration(d).Seconds(), 'f', -1, 64) + "s" }
	if o.DeathTimeout != 0 {
		argv = append(argv, "--death-timeout", seconds(o.DeathTimeout))
	}
	if o.Lifetime != 0 {
		argv = append(argv, "--lifetime", seconds(o.Lifetime))
	}
	if o.LifetimeStagger != 0 {
		argv = append(argv, "--lifetime-stagger", seconds(o.LifetimeStagger))
	}
	if o.LifetimeRestart != nil {
		argv = append(argv, map[bool]string{true: "--lifetime-restart", false: "--no-lifetime-restart"}[*o.LifetimeRestart])
	}
	if o.Dashboard != nil {
		argv = append(argv, map[bool]string{true: "--dashboard", false: "--no-dashboard"}[*o.Dashboard])
	}
	for _, m := range o.Preload {
		argv = append(argv, "--preload", m)
	}
	switch c := p.WorkerClass; {
	case c == "" || nannyClasses[c]:
	case workerClasses[c]:
		argv = append(argv, "--no-nanny")
	default:
		argv = append(argv, "--no-nanny", "--worker-class", c)
	}
	return argv
}
