package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"512MiB": 512 << 20, "512mib": 512 << 20, "2GiB": 2 << 30, "2G": 2 << 30, "1.5GB": 3 << 29,
		"1024": 1 << 30, "64 MiB": 64 << 20, "4096B": 4096, "1T": 1 << 40,
	} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1G", "1.2.3G", "5 XB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q): want an error", in)
		}
	}
}

func TestDefaults(t *testing.T) {
	s, err := Parse(nil, "empty")
	if err == nil {
		t.Fatalf("an empty spec has no worker pool: want an error, got %+v", s)
	}
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.Workers[0].Instances != 2 || d.Scheduler.Restarts() != 3 || strings.Join(d.Workers[0].Command, " ") != "dask worker" {
		t.Fatalf("defaults: %+v", d)
	}
}

func TestParseFullSpec(t *testing.T) {
	dir := t.TempDir()
	extra := filepath.Join(dir, "data.csv")
	os.WriteFile(extra, []byte("x"), 0o644)
	y := `
name: etl
queue: analytics
tags: [nightly, team-a]
max_attempts: 2
lifetime: 2h
scheduler:
  resources: {memory: 2GiB, vcores: 2}
  max_restarts: 0
  args: [--idle-timeout, 1h]
workers:
  - name: cpu
    instances: 4
    resources: {memory: 4GiB, vcores: 2}
    files:
      data.csv: ` + extra + `
      model: {source: hdfs:///models/m.tar.gz, type: archive}
  - name: gpu
    instances: 1
    resources: {memory: 8GiB, vcores: 4, gpus: 1, other: {yarn.io/fpga: 1}}
    node_label: gpu
    dask_resources: {GPU: 1}
    on_give_up: keep_running
`
	s, err := Parse([]byte(y), "spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gpu, ok := s.Pool("gpu")
	if !ok || gpu.Resources.GPUs != 1 || gpu.NodeLabel != "gpu" || gpu.DaskResourcesArg() != "GPU=1" {
		t.Fatalf("gpu pool: %+v", gpu)
	}
	if s.Scheduler.Restarts() != 0 {
		t.Fatalf("max_restarts 0 must stay 0, got %d", s.Scheduler.Restarts())
	}
	if cpu, _ := s.Pool("cpu"); cpu.Files["model"].Type != "archive" || cpu.Files["data.csv"].Source != extra {
		t.Fatalf("files: %+v", cpu.Files)
	}
	// The AM gets the same spec back from JSON.
	b, err := s.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := FromJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Lifetime != s.Lifetime || back.Workers[1].Resources.Memory != 8<<30 || *back.Scheduler.MaxRestarts != 0 ||
		back.Workers[0].OnGiveUp != OnGiveUpFail || back.Workers[1].OnGiveUp != OnGiveUpKeepRunning {
		t.Fatalf("JSON round trip: %+v", back)
	}
}

func TestBadSpecsNameTheKey(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"workers: [{instances: 1}]\nbogus: 1", "bogus"},
		{"workers: [{resources: {memory: 0}}]", "must be more than 0"},
		{"workers: [{resources: {vcores: -1}}]", "workers[worker].resources.vcores"},
		{"workers: [{name: a}, {name: a}]", "used twice"},
		{"workers: [{files: {x: /no/such/file}}]", "workers[worker].files.x.source"},
		{"max_attempts: -1\nworkers: [{}]", "max_attempts"},
		{"environment: /no/such/env\nworkers: [{}]", "environment"},
		{"lifetime: soon\nworkers: [{}]", "not a duration"},
		{"workers: [{resources: {memory: lots}}]", "not a size"},
		{"workers: [{on_give_up: retry}]", `workers[worker].on_give_up: "retry": use fail or keep_running`},
		{"scheduler: {on_give_up: keep_running}\nworkers: [{}]", "on_give_up"},
		{"workers: [{scheduler_wait: 100ms}]", "workers[worker].scheduler_wait: 100ms: use 1s to 24h0m0s"},
		{"workers: [{scheduler_wait: 25h}]", "workers[worker].scheduler_wait"},
	} {
		_, err := Parse([]byte(c.yaml), "spec.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: want an error naming %q, got %v", c.yaml, c.want, err)
		}
	}
}

// TestNodeEnvironmentURIs: an environment already on the nodes is taken as
// written (not resolved against the spec's folder, not looked for on this
// machine); a malformed one names the key and the accepted forms.
func TestNodeEnvironmentURIs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "spec.yaml")
	for _, env := range []string{"python:///opt/py/bin/python3", "conda://analytics", "conda:///opt/envs/a", "venv:///srv/venv"} {
		if err := os.WriteFile(p, []byte("environment: "+env+"\nworkers: [{}]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := ParseFile(p)
		if err != nil || s.Environment != env {
			t.Errorf("environment %s: got %+v, %v", env, s, err)
		}
	}
	for _, env := range []string{"python://opt/py", "venv:/srv/venv", "conda://a/b", "s3://b/env.tar.gz"} {
		_, err := Parse([]byte("environment: "+env+"\nworkers: [{}]\n"), "spec.yaml")
		if err == nil || !strings.Contains(err.Error(), "environment") || !strings.Contains(err.Error(), "conda://NAME") {
			t.Errorf("environment %s: want an error naming the key and the accepted forms, got %v", env, err)
		}
	}
}

// TestTLSSwitch: tls: true/false wins; unset follows the cluster
// (Kerberized: on); a value that is not a boolean is refused by name.
func TestTLSSwitch(t *testing.T) {
	for y, want := range map[string][2]bool{
		"workers: [{name: w}]\n":             {false, true},
		"tls: true\nworkers: [{name: w}]\n":  {true, true},
		"tls: false\nworkers: [{name: w}]\n": {false, false},
	} {
		s, err := Parse([]byte(y), "spec.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]bool{s.UseTLS(false), s.UseTLS(true)}; got != want {
			t.Errorf("%q: UseTLS(plain, kerberized) = %v, want %v", y, got, want)
		}
		b, _ := s.JSON()
		back, err := FromJSON(b)
		if err != nil || back.UseTLS(false) != s.UseTLS(false) || back.UseTLS(true) != s.UseTLS(true) {
			t.Errorf("%q: the AM reads the switch back as %+v (%v)", y, back.TLS, err)
		}
	}
	if _, err := Parse([]byte("tls: maybe\nworkers: [{name: w}]\n"), "spec.yaml"); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("tls: maybe: %v, want an error naming tls", err)
	}
}
