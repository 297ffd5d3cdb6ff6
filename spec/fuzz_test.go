package spec

import "testing"

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
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		checkCounts(t, s)
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
