package spec

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParse: a spec file is user input; no input may panic or hang the
// parser, and every spec it accepts asks for counts within the limits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "workers: [{instances: 2}]", "name: x\nworkers: [{resources: {memory: 2GiB, vcores: 2}}]",
		"scheduler: {files: {a: {source: hdfs:///x, type: archive}}}\nworkers: [{}]",
		"workers: [{dask_resources: {GPU: 1}, resources: {gpus: 1, other: {a/b: 2}}}]", "lifetime: 1h\nworkers: [{}]",
		"workers: [{resources: {memory: '1.5G'}}]", "{", "workers: *a",
		"workers: [{instances: 1e12}]", "workers: [{instances: 3e9, max_restarts: -1}]", "workers: [{instances: 2147483648}]",
		"workers: [{instances: -1}]", "workers: [{instances: 0x7fffffffffffffff}]", "workers: [{instances: 2.5}]",
		"max_attempts: 4294967297\nworkers: [{resources: {vcores: 1e5, gpus: 3, memory: 2147483648}}]",
		"a: &a [x, x]\nworkers: [{args: *a}]",
		"external_scheduler: {address: tcp://10.0.0.1:8786, dashboard_address: '[::2]:1'}\nworkers: [{}]",
		"workers: [{worker_class: a.B, worker_options: {nthreads: 2, memory_limit: 1MiB, preload: [x], lifetime: 1h, lifetime_stagger: 1s}}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		checkCounts(t, s)
		checkExternalAndWorkerArgs(t, s)
		out, err := s.JSON()
		if err != nil {
			t.Fatalf("a parsed spec must serialize: %v", err)
		}
		if _, err := FromJSON(out); err != nil {
			t.Fatalf("the AM must read back what submit writes: %v\n%s", err, out)
		}
	})
}

// checkCounts: what reaches the ResourceManager from a parsed spec is
// within spindle's limits (and so within YARN's int32).
func checkCounts(t *testing.T, s *Spec) {
	t.Helper()
	in := func(what string, n, lo, hi int64) {
		if n < lo || n > hi {
			t.Fatalf("a parsed spec has %s %d, outside %d..%d", what, n, lo, hi)
		}
	}
	in("max_attempts", int64(s.MaxAttempts), 1, MaxAttempts)
	res := func(r Resources) {
		in("memory MiB", r.Memory.MiB(), 1, MaxMemoryMiB)
		in("vcores", int64(r.VCores), 1, MaxVCores)
		in("gpus", int64(r.GPUs), 0, MaxGPUs)
	}
	res(s.AM)
	res(s.Scheduler.Resources)
	in("scheduler max_restarts", int64(s.Scheduler.Restarts()), -1, MaxRestarts)
	for _, w := range s.Workers {
		in("instances", int64(w.Instances), 0, MaxInstances)
		in("worker max_restarts", int64(w.Restarts()), -1, MaxRestarts)
		res(w.Resources)
	}
}

// checkExternalAndWorkerArgs: an accepted external scheduler is
// scheme://host:port with nothing a shell or a command line could read
// otherwise, and a pool's worker flags keep nthreads within its bounds.
func checkExternalAndWorkerArgs(t *testing.T, s *Spec) {
	t.Helper()
	if e := s.ExternalScheduler; e != nil {
		for _, a := range []string{e.Address, e.DashboardAddress} {
			if strings.ContainsAny(a, " \t\r\n$`'\"\\;&|<>(){}") {
				t.Fatalf("accepted external scheduler address %q", a)
			}
		}
	}
	for _, w := range s.Workers {
		args := w.WorkerArgs()
		if args[0] != "--nthreads" {
			t.Fatalf("worker args %q", args)
		}
		if n, err := strconv.Atoi(args[1]); err != nil || n < 1 || n > max(MaxWorkerThreads, MaxVCores) {
			t.Fatalf("worker args %q: nthreads out of bounds", args)
		}
	}
}
