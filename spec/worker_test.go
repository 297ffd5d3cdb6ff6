package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// worker_class and worker_options become `dask worker` flags, each value
// one argv element, the container's resources staying the defaults.
func TestWorkerArgs(t *testing.T) {
	for _, c := range []struct {
		yaml string
		want []string
	}{
		{"workers: [{resources: {memory: 2GiB, vcores: 2}}]", []string{"--nthreads", "2", "--memory-limit", "2048MiB"}},
		{"workers: [{worker_class: dask.distributed.Nanny, dask_resources: {GPU: 1}}]",
			[]string{"--nthreads", "1", "--memory-limit", "1024MiB", "--resources", "GPU=1"}},
		{"workers: [{worker_class: distributed.Worker, worker_options: {nthreads: 3}}]",
			[]string{"--nthreads", "3", "--memory-limit", "1024MiB", "--no-nanny"}},
		{`workers: [{worker_class: my_pkg.workers.GPUWorker, worker_options: {memory_limit: 300MB, resources: {FOO: 2, BAR: 0.5},
            local_directory: "/tmp/a b;$(x)", death_timeout: 90s, lifetime: 1h, lifetime_stagger: 5m, lifetime_restart: true,
            dashboard: false, preload: [mod.a, /x/b.py]}}]`,
			[]string{"--nthreads", "1", "--memory-limit", "314572800", "--resources", "BAR=0.5,FOO=2",
				"--local-directory", "/tmp/a b;$(x)", "--death-timeout", "90s", "--lifetime", "3600s", "--lifetime-stagger", "300s",
				"--lifetime-restart", "--no-dashboard", "--preload", "mod.a", "--preload", "/x/b.py",
				"--no-nanny", "--worker-class", "my_pkg.workers.GPUWorker"}},
	} {
		sp, err := Parse([]byte(c.yaml), "spec.yaml")
		if err != nil {
			t.Fatalf("%s: %v", c.yaml, err)
		}
		if got := sp.Workers[0].WorkerArgs(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.yaml, got, c.want)
		}
		// The AM gets the spec as JSON: the options survive it.
		b, _ := sp.JSON()
		back, err := FromJSON(b)
		if err != nil || !reflect.DeepEqual(back.Workers[0].WorkerArgs(), c.want) {
			t.Errorf("%s: after JSON: %v, %q", c.yaml, err, back.Workers[0].WorkerArgs())
		}
	}
}

func TestBadWorkerOptionsNameTheKey(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"workers: [{worker_class: 'distributed.Worker; rm -rf /'}]", `workers[worker].worker_class: bad worker option: "distributed.Worker; rm -rf /"`},
		{"workers: [{worker_class: Worker}]", "workers[worker].worker_class"},
		{"workers: [{worker_options: {nthreads: 0}}]", "workers[worker].worker_options.nthreads: bad worker option: 0 is outside spindle's limits: use 1 to 4096"},
		{"workers: [{worker_options: {nthreads: 1e9}}]", "worker_options.nthreads"},
		{"workers: [{worker_options: {memory_limit: 2GiB}}]", "workers[worker].worker_options.memory_limit: bad worker option: 2GiB is more than the container's memory (resources.memory, 1GiB)"},
		{"workers: [{worker_options: {memory_limit: 0}}]", "must be more than 0"},
		{"workers: [{worker_options: {resources: {'a=b': 1}}}]", "worker_options.resources.a=b"},
		{"workers: [{worker_options: {resources: {A: -1}}}]", "worker_options.resources.A"},
		{"workers: [{dask_resources: {A: 1}, worker_options: {resources: {B: 1}}}]", "give one of them"},
		{"workers: [{worker_options: {death_timeout: 10ms}}]", "worker_options.death_timeout: bad worker option: 10ms: use 1s to"},
		{"workers: [{worker_options: {lifetime: 9000h}}]", "worker_options.lifetime: bad worker option"},
		{"workers: [{worker_options: {lifetime_restart: true}}]", "need a lifetime"},
		{"workers: [{worker_options: {preload: ['']}}]", "worker_options.preload[0]"},
		{"workers: [{worker_options: {name: w}}]", `unknown field "name"`},
		{"workers: [{worker_options: {host: h}}]", `unknown field "host"`},
	} {
		_, err := Parse([]byte(c.yaml), "spec.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error with %q, got %v", c.yaml, c.want, err)
		}
	}
	_, err := Parse([]byte("workers: [{worker_class: 1bad.x}]"), "spec.yaml")
	if !errors.Is(err, ErrWorkerOption) {
		t.Errorf("want ErrWorkerOption, got %v", err)
	}
}
