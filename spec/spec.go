// Package spec is the application specification a user writes (YAML) and
// the AM runs from (JSON): the Dask scheduler service, the worker pools,
// their resources, environment and files. It owns parsing, defaults and
// validation, so bad input fails before anything is submitted, naming the
// key and the reason.
package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/nodeenv"
)

// Spec is one Dask cluster on YARN.
type Spec struct {
	Name  string   `yaml:"name" json:"name"`
	Queue string   `yaml:"queue" json:"queue"`
	Tags  []string `yaml:"tags" json:"tags,omitempty"`
	// User to run as (a proxy user); empty: the submitting user.
	User string `yaml:"user" json:"user,omitempty"`
	// TLS makes the Dask cluster talk TLS with certificates from a CA made
	// for this application at submit, so only holders of its keys (the
	// submitting user) can use it. nil: on when the cluster is Kerberized
	// (hadoop.security.authentication=kerberos), off otherwise. Submit
	// sets it to what it decided, so the AM reads a decision.
	TLS *bool `yaml:"tls" json:"tls,omitempty"`
	// Principal and Keytab log in to a Kerberized cluster with a keytab
	// (the submitting machine's file), as --principal and --keytab do;
	// the flags win. Empty: kinit's ticket cache.
	Principal string `yaml:"principal" json:"principal,omitempty"`
	Keytab    string `yaml:"keytab" json:"keytab,omitempty"`
	// MaxAttempts is how many AM attempts YARN makes.
	MaxAttempts int `yaml:"max_attempts" json:"max_attempts"`
	// Lifetime stops the application after this long; 0: no limit.
	Lifetime Duration `yaml:"lifetime" json:"lifetime,omitempty"`
	// Environment: a local env folder, a local archive, an hdfs://
	// archive, or one already on the nodes (nodeenv: python:///...,
	// conda://..., venv:///...); empty uses the python on the nodes' PATH.
	Environment string `yaml:"environment" json:"environment,omitempty"`
	// AM is the application master's own container.
	AM        Resources `yaml:"application_master" json:"application_master"`
	Scheduler Service   `yaml:"scheduler" json:"scheduler"`
	Workers   []Pool    `yaml:"workers" json:"workers"`
	// Client is a Python script run inside the application once the
	// scheduler is up (`spindle submit --script`); its end ends the
	// application. nil: none.
	Client *Client `yaml:"client" json:"client,omitempty"`
}

// ClientService is the name of the script's service (logs, containers).
const ClientService = "client"

// MaxScriptBytes bounds the script file: it is code, not data (ship data
// with files: or the environment).
const MaxScriptBytes = 16 << 20

// Client is the user's script: `python <script> <args...>` (Command
// defaults to ["python"]; Args are the script's own arguments), run once,
// in the shipped environment, with DASK_SCHEDULER_ADDRESS set.
type Client struct {
	// Script is a local file, shipped through the staging folder under its
	// base name.
	Script  string `yaml:"script" json:"script"`
	Service `yaml:",inline" json:",inline"`
}

// ScriptName is the script's file name in the container's working dir.
func (c *Client) ScriptName() string { return filepath.Base(c.Script) }

// Argv is the script's command line: Command, the script, Args.
func (c *Client) Argv() []string {
	argv := append([]string{}, c.Command...)
	argv = append(argv, c.ScriptName())
	return append(argv, c.Args...)
}

// StagedFiles are the files the client's container gets: its files and
// the script.
func (c *Client) StagedFiles() map[string]File {
	out := make(map[string]File, len(c.Files)+1)
	for k, v := range c.Files {
		out[k] = v
	}
	out[c.ScriptName()] = File{Source: c.Script}
	return out
}

// Service is how one kind of container runs.
type Service struct {
	Resources Resources         `yaml:"resources" json:"resources"`
	Env       map[string]string `yaml:"env" json:"env,omitempty"`
	// Files are placed in the container's working dir under their key.
	Files     map[string]File `yaml:"files" json:"files,omitempty"`
	NodeLabel string          `yaml:"node_label" json:"node_label,omitempty"`
	// MaxRestarts is how many failed containers are replaced; -1: always;
	// unset: 3 for the scheduler, 10 for a worker pool.
	MaxRestarts *int `yaml:"max_restarts" json:"max_restarts"`
	// Command is the program (default "dask scheduler" / "dask worker");
	// Args are extra options for it (Dask's own options).
	Command []string `yaml:"command" json:"command,omitempty"`
	Args    []string `yaml:"args" json:"args,omitempty"`
}

// Pool is a group of identical workers.
type Pool struct {
	Name      string `yaml:"name" json:"name"`
	Instances int    `yaml:"instances" json:"instances"`
	Service   `yaml:",inline" json:",inline"`
	// DaskResources are the worker's abstract Dask resources (--resources),
	// e.g. {GPU: 1}, so GPU tasks land only on GPU workers.
	DaskResources map[string]float64 `yaml:"dask_resources" json:"dask_resources,omitempty"`
	// OnGiveUp is what happens once more than max_restarts containers of
	// the pool failed: OnGiveUpFail (default) or OnGiveUpKeepRunning.
	OnGiveUp string `yaml:"on_give_up" json:"on_give_up,omitempty"`
	// SchedulerWait is how long a worker whose scheduler went away waits
	// in its container for the next one; 0: the runtime's default (10m).
	SchedulerWait Duration `yaml:"scheduler_wait" json:"scheduler_wait,omitempty"`
}

// The values of a pool's on_give_up.
const (
	// OnGiveUpFail ends the application FAILED, naming the pool.
	OnGiveUpFail = "fail"
	// OnGiveUpKeepRunning keeps the application (and the pool's surviving
	// workers) running; the pool shows as given up.
	OnGiveUpKeepRunning = "keep_running"
)

// Resources of one container.
type Resources struct {
	Memory ByteSize `yaml:"memory" json:"memory"`
	VCores int      `yaml:"vcores" json:"vcores"`
	GPUs   int      `yaml:"gpus" json:"gpus,omitempty"`
	// Other YARN resource types by name, e.g. {"yarn.io/fpga": 1}.
	Other map[string]int64 `yaml:"other" json:"other,omitempty"`
}

// GPUResource is YARN's resource type name for GPUs.
const GPUResource = "yarn.io/gpu"

// File is an extra file for a container: a local path or an hdfs:// URL,
// used as it is (file) or unpacked (archive).
type File struct {
	Source string `yaml:"source" json:"source"`
	Type   string `yaml:"type" json:"type"` // file (default) or archive
}

// UnmarshalYAML accepts either "path" or {source: path, type: archive}.
func (f *File) UnmarshalYAML(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err == nil {
		f.Source, f.Type = s, ""
		return nil
	}
	type plain File
	var p plain
	if err := yaml.UnmarshalWithOptions(b, &p, yaml.DisallowUnknownField()); err != nil {
		return err
	}
	*f = File(p)
	return nil
}

// ByteSize is a memory size in bytes; YAML takes 512MiB, 2GiB, 1.5G or a
// plain number of MiB (YARN's unit).
type ByteSize int64

// MiB is the size in whole MiB, rounded up (YARN asks in MiB), without
// overflowing near MaxInt64.
func (b ByteSize) MiB() int64 {
	n := int64(b) >> 20
	if int64(b)&(1<<20-1) != 0 {
		n++
	}
	return n
}

func (b ByteSize) String() string {
	switch {
	case b%(1<<30) == 0 && b != 0:
		return fmt.Sprintf("%dGiB", b>>30)
	default:
		return fmt.Sprintf("%dMiB", b.MiB())
	}
}

var sizeRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*(?:([KMGT])(?:I?B)?|(B))?$`)

// ParseByteSize reads 512MiB, 2G, 2GiB, 1.5GB (all binary units, as YARN
// counts) or a plain number of MiB.
func ParseByteSize(s string) (ByteSize, error) {
	m := sizeRe.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size: use e.g. 512MiB, 2GiB or a number of MiB", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: %v", s, err)
	}
	mult := float64(1 << 20) // a bare number is MiB
	switch {
	case m[3] == "B":
		mult = 1
	case m[2] != "":
		mult = map[string]float64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}[m[2]]
	}
	if v*mult > 1<<62 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(v * mult), nil
}

func (b *ByteSize) UnmarshalYAML(raw []byte) error {
	var s string
	if err := yaml.Unmarshal(raw, &s); err != nil {
		return err
	}
	v, err := ParseByteSize(s)
	if err == nil && v <= 0 {
		// Zero would silently become the default: refuse it here.
		err = fmt.Errorf("memory %q: must be more than 0", s)
	}
	*b = v
	return err
}

func (b ByteSize) MarshalJSON() ([]byte, error) { return json.Marshal(int64(b)) }
func (b *ByteSize) UnmarshalJSON(raw []byte) error {
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	*b = ByteSize(n)
	return nil
}

// Duration is a time.Duration written as "2h", "30m".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(raw []byte) error {
	var s string
	if err := yaml.Unmarshal(raw, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("%q is not a duration: use e.g. 30m or 2h", s)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
func (d *Duration) UnmarshalJSON(raw []byte) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Default is the spec used when no file is given: a scheduler and two
// workers of 1 GiB and 1 vcore each.
func Default() *Spec {
	s := &Spec{Workers: []Pool{{Name: "worker", Instances: 2}}}
	s.applyDefaults()
	return s
}

// Parse reads a YAML spec, applies defaults and validates it. Unknown keys
// are errors. Relative paths in it are taken from the current directory.
func Parse(data []byte, source string) (*Spec, error) { return parse(data, source, "", nil) }

// parse is Parse with relative local paths resolved against dir.
func parse(data []byte, source, dir string, adjust func(*Spec) error) (*Spec, error) {
	if len(data) > MaxSpecBytes {
		return nil, tooLarge(source)
	}
	s := &Spec{}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := decodeYAML(data, s); err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
	}
	s.applyDefaults()
	s.resolvePaths(dir)
	if adjust != nil {
		if err := adjust(s); err != nil {
			return nil, err
		}
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	return s, nil
}

// decodeYAML decodes strictly. The YAML library panics on some malformed
// input (fuzzing found `workers: !00 00`); that is a parse error to the user.
func decodeYAML(data []byte, s *Spec) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("not valid YAML for a spindle spec (the parser failed: %v)", r)
		}
	}()
	if err := checkYAMLShape(data); err != nil {
		return err
	}
	if err := yaml.UnmarshalWithOptions(data, s, yaml.DisallowUnknownField(), yaml.CustomUnmarshaler(yamlInt)); err != nil {
		return &yamlError{msg: yaml.FormatError(err, false, true), err: err}
	}
	return nil
}

// yamlError is the library's error with its source excerpt, still
// matching errors.Is(err, ErrLimit) when a limit was the cause.
type yamlError struct {
	msg string
	err error
}

func (e *yamlError) Error() string { return e.msg }
func (e *yamlError) Unwrap() error { return e.err }

// ParseFile reads a YAML spec from a file. Relative paths in it
// (environment, files) are taken from the file's folder, as docker compose
// does, so `spindle submit ../job.yaml` finds what sits beside job.yaml.
func ParseFile(path string) (*Spec, error) { return ParseFileThen(path, nil) }

// ParseFileThen is ParseFile with adjust applied before validation, so
// that flags can complete the file (e.g. --script for a client: section
// holding only resources).
func ParseFileThen(path string, adjust func(*Spec) error) (*Spec, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	defer f.Close()
	b, err := readSpec(f, path)
	if err != nil {
		return nil, err
	}
	return parse(b, path, filepath.Dir(path), adjust)
}

// readSpec reads at most MaxSpecBytes+1 bytes, so a huge file is refused
// at once (a 200 MB one took 30 s and 3 GB in the YAML parser to fail).
func readSpec(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSpecBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read spec %s: %w", name, err)
	}
	if len(b) > MaxSpecBytes {
		return nil, tooLarge(name)
	}
	return b, nil
}

func tooLarge(name string) error {
	return fmt.Errorf("spec file %s is larger than %d MiB, %w: a spec holds settings; ship data with files: or the environment",
		name, MaxSpecBytes>>20, ErrLimit)
}

// isLocal: a path on this machine, not an hdfs:// URL.
func isLocal(p string) bool { return p != "" && !strings.HasPrefix(p, "hdfs://") }

// resolvePaths makes relative local paths relative to dir ("" leaves them
// to the current directory).
func (s *Spec) resolvePaths(dir string) {
	if dir == "" {
		return
	}
	resolve := func(p string) string {
		if isLocal(p) && !filepath.IsAbs(p) {
			return filepath.Join(dir, p)
		}
		return p
	}
	if !nodeenv.IsURI(s.Environment) { // python:///..., conda://...: on the nodes
		s.Environment = resolve(s.Environment)
	}
	services := []*Service{&s.Scheduler}
	for i := range s.Workers {
		services = append(services, &s.Workers[i].Service)
	}
	if s.Client != nil {
		services = append(services, &s.Client.Service)
		s.Client.Script = resolve(s.Client.Script)
	}
	for _, sv := range services {
		for name, f := range sv.Files {
			f.Source = resolve(f.Source)
			sv.Files[name] = f
		}
	}
}

// FromJSON reads the spec as the AM gets it (already validated at submit).
func FromJSON(b []byte) (*Spec, error) {
	s := &Spec{}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(s); err != nil {
		return nil, fmt.Errorf("application spec: %w", err)
	}
	return s, nil
}

// JSON is the spec as shipped to the AM.
func (s *Spec) JSON() ([]byte, error) { return json.MarshalIndent(s, "", "  ") }

// FillDefaults sets what is left unset to its default (after a caller,
// such as a flag, added a part of the spec).
func (s *Spec) FillDefaults() { s.applyDefaults() }

func (s *Spec) applyDefaults() {
	if s.Name == "" {
		s.Name = "dask"
	}
	if s.Queue == "" {
		s.Queue = "default"
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 1
	}
	if s.AM.Memory == 0 {
		s.AM.Memory = 256 << 20
	}
	if s.AM.VCores == 0 {
		s.AM.VCores = 1
	}
	fill := func(sv *Service, memory ByteSize, cmd []string) {
		if sv.Resources.Memory == 0 {
			sv.Resources.Memory = memory
		}
		if sv.Resources.VCores == 0 {
			sv.Resources.VCores = 1
		}
		if len(sv.Command) == 0 {
			sv.Command = cmd
		}
	}
	fill(&s.Scheduler, 1<<30, []string{"dask", "scheduler"})
	if s.Scheduler.MaxRestarts == nil {
		s.Scheduler.MaxRestarts = intp(3)
	}
	for i := range s.Workers {
		w := &s.Workers[i]
		if w.Name == "" {
			w.Name = "worker"
			if i > 0 {
				w.Name = fmt.Sprintf("worker%d", i)
			}
		}
		fill(&w.Service, 1<<30, []string{"dask", "worker"})
		if w.MaxRestarts == nil {
			w.MaxRestarts = intp(10)
		}
		if w.OnGiveUp == "" {
			w.OnGiveUp = OnGiveUpFail
		}
	}
	if s.Client != nil {
		fill(&s.Client.Service, 1<<30, []string{"python"})
		if s.Client.MaxRestarts == nil {
			s.Client.MaxRestarts = intp(0) // a script runs once
		}
	}
}

var poolNameRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// Validate checks what can be checked without the cluster. Each problem
// names its key.
func (s *Spec) Validate() error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, a...)))
	}
	limit := func(key string, n, lo, hi int64) {
		if err := CheckRange(key, n, lo, hi); err != nil {
			errs = append(errs, err)
		}
	}
	limit("max_attempts", int64(s.MaxAttempts), 1, MaxAttempts)
	if s.Lifetime < 0 {
		bad("lifetime", "must not be negative")
	}
	for i, t := range s.Tags {
		if strings.TrimSpace(t) == "" || strings.Contains(t, ",") {
			bad(fmt.Sprintf("tags[%d]", i), "%q: a tag must be non-empty and without commas", t)
		}
	}
	checkRes := func(key string, r Resources) {
		if r.Memory <= 0 {
			bad(key+".memory", "must be more than 0, got %s", r.Memory)
		} else if r.Memory.MiB() > MaxMemoryMiB {
			errs = append(errs, fmt.Errorf("%s.memory: %s is %w: at most %d MiB", key, r.Memory, ErrLimit, MaxMemoryMiB))
		}
		limit(key+".vcores", int64(r.VCores), 1, MaxVCores)
		limit(key+".gpus", int64(r.GPUs), 0, MaxGPUs)
		for name, v := range r.Other {
			if v < 0 {
				bad(key+".other."+name, "must not be negative")
			}
			if name == "memory-mb" || name == "vcores" || name == GPUResource {
				bad(key+".other."+name, "set this with memory, vcores or gpus instead")
			}
		}
	}
	checkService := func(key string, sv Service) {
		checkRes(key+".resources", sv.Resources)
		if sv.MaxRestarts != nil {
			limit(key+".max_restarts", int64(*sv.MaxRestarts), -1, MaxRestarts) // -1: always
		}
		for name, f := range sv.Files {
			fk := key + ".files." + name
			if err := launchenv.CheckLinkName(name); err != nil {
				bad(fk, "%v", err)
			}
			if f.Type != "" && f.Type != "file" && f.Type != "archive" {
				bad(fk+".type", "%q: use file or archive", f.Type)
			}
			if f.Source == "" {
				bad(fk+".source", "missing")
			} else if !strings.HasPrefix(f.Source, "hdfs://") {
				if _, err := os.Stat(f.Source); err != nil {
					bad(fk+".source", "%v", err)
				}
			} else if err := launchenv.CheckSource(f.Source); err != nil {
				bad(fk+".source", "%v", err)
			}
		}
		checkUserStrings(key, sv, bad)
	}
	checkRes("application_master", s.AM)
	checkService("scheduler", s.Scheduler)
	if len(s.Workers) == 0 {
		bad("workers", "at least one worker pool is needed")
	}
	seen := map[string]bool{}
	for i, w := range s.Workers {
		key := fmt.Sprintf("workers[%s]", w.Name)
		if !poolNameRe.MatchString(w.Name) {
			bad(fmt.Sprintf("workers[%d].name", i), "%q: use lowercase letters, digits and dashes", w.Name)
		}
		if w.Name == "scheduler" || seen[w.Name] {
			bad(fmt.Sprintf("workers[%d].name", i), "%q is used twice (or is 'scheduler')", w.Name)
		}
		seen[w.Name] = true
		if err := CheckInstances(key+".instances", int64(w.Instances)); err != nil {
			errs = append(errs, err)
		}
		checkService(key, w.Service)
		if w.OnGiveUp != OnGiveUpFail && w.OnGiveUp != OnGiveUpKeepRunning {
			bad(key+".on_give_up", "%q: use %s or %s", w.OnGiveUp, OnGiveUpFail, OnGiveUpKeepRunning)
		}
		if d := time.Duration(w.SchedulerWait); d != 0 && (d < time.Second || d > MaxSchedulerWait) {
			bad(key+".scheduler_wait", "%s: use 1s to %s", d, MaxSchedulerWait)
		}
		for r, v := range w.DaskResources {
			if !(v > 0) || math.IsInf(v, 0) || strings.ContainsAny(r, "=, ") {
				bad(key+".dask_resources."+r, "needs a name without '=', ',' or spaces and a positive amount")
			}
		}
	}
	if s.Client != nil {
		if seen[ClientService] {
			bad("workers", "a pool may not be named %q when the spec has a client script", ClientService)
		}
		checkService(ClientService, s.Client.Service)
		errs = append(errs, s.Client.check()...)
	}
	if nodeenv.IsURI(s.Environment) {
		if _, err := nodeenv.Parse(s.Environment); err != nil {
			bad("environment", "%v", err)
		}
	} else if s.Environment != "" && !strings.HasPrefix(s.Environment, "hdfs://") {
		if _, err := os.Stat(s.Environment); err != nil {
			bad("environment", "%v", err)
		}
	} else if s.Environment != "" {
		if err := launchenv.CheckSource(s.Environment); err != nil {
			bad("environment", "%v", err)
		}
	}
	if s.User != "" {
		if err := launchenv.CheckLiteral(s.User); err != nil {
			bad("user", "%v", err)
		}
	}
	if s.Keytab != "" && s.Principal == "" {
		bad("keytab", "needs principal: the principal (user@REALM) whose key it holds")
	}
	return errors.Join(errs...)
}

func intp(n int) *int { return &n }

// UseTLS is the TLS switch resolved: the spec's tls if set, else on for a
// Kerberized cluster.
func (s *Spec) UseTLS(kerberized bool) bool {
	if s.TLS != nil {
		return *s.TLS
	}
	return kerberized
}

// ErrScript: the client script cannot be run as given.
var ErrScript = errors.New("bad client script")

// check validates what only a client has: the script file (exists, a
// regular file, at most MaxScriptBytes), its name as a link, and that it
// runs once.
func (c *Client) check() []error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %w: %s", key, ErrScript, fmt.Sprintf(format, a...)))
	}
	if c.MaxRestarts != nil && *c.MaxRestarts != 0 {
		bad("client.max_restarts", "%d: a script runs once and is never restarted; leave it unset or 0", *c.MaxRestarts)
	}
	switch fi, err := os.Stat(c.Script); {
	case c.Script == "":
		bad("client.script", "missing: give the Python file to run")
		return errs
	case !isLocal(c.Script):
		bad("client.script", "%s: give a local file (it is shipped through the staging folder)", c.Script)
		return errs
	case err != nil:
		bad("client.script", "%v", err)
	case !fi.Mode().IsRegular():
		bad("client.script", "%s is not a regular file", c.Script)
	case fi.Size() > MaxScriptBytes:
		bad("client.script", "%s is %d bytes, more than %d MiB: ship data with files: or the environment", c.Script, fi.Size(), MaxScriptBytes>>20)
	}
	name := c.ScriptName()
	if err := launchenv.CheckLinkName(name); err != nil {
		bad("client.script", "its file name %v (rename the file)", err)
	}
	if _, dup := c.Files[name]; dup || name == "spindle" || name == "environment" {
		bad("client.script", "its file name %q is also a file of the container (client.files, spindle, environment): rename one", name)
	}
	return errs
}

// Restarts is MaxRestarts with its default resolved (-1: unlimited).
func (sv *Service) Restarts() int {
	if sv.MaxRestarts == nil {
		return 0
	}
	return *sv.MaxRestarts
}

// Pool returns the worker pool with the given name.
func (s *Spec) Pool(name string) (*Pool, bool) {
	for i := range s.Workers {
		if s.Workers[i].Name == name {
			return &s.Workers[i], true
		}
	}
	return nil, false
}

// DaskResourcesArg formats dask_resources for `dask worker --resources`.
func (p *Pool) DaskResourcesArg() string {
	keys := make([]string, 0, len(p.DaskResources))
	for k := range p.DaskResources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.FormatFloat(p.DaskResources[k], 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// checkUserStrings: a service's env, command and args reach the container
// byte for byte (encoded, never through the NodeManager's shell), so they
// may hold anything a process can receive; env names must be names.
func checkUserStrings(key string, sv Service, bad func(key, format string, a ...any)) {
	for k, v := range sv.Env {
		if err := launchenv.CheckKey(k); err != nil {
			bad(key+".env", "%v", err)
		} else if err := launchenv.CheckValue(v); err != nil {
			bad(key+".env."+k, "%v", err)
		}
	}
	if _, err := launchenv.Encode(sv.Env); errors.Is(err, launchenv.ErrTooLarge) {
		bad(key+".env", "%v", err)
	}
	for i, a := range sv.Command {
		if err := launchenv.CheckValue(a); err != nil {
			bad(fmt.Sprintf("%s.command[%d]", key, i), "%v", err)
		}
	}
	for i, a := range sv.Args {
		if err := launchenv.CheckValue(a); err != nil {
			bad(fmt.Sprintf("%s.args[%d]", key, i), "%v", err)
		}
	}
}
