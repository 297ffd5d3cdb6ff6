// Package discovery owns how clients outside YARN find a Spindle
// application's Dask scheduler: Dask's own scheduler-file JSON (what
// `dask scheduler --scheduler-file` writes and what
// `Client(scheduler_file=...)` and `dask worker --scheduler-file` read),
// published on HDFS at a fixed path per user and application, replaced
// atomically when the scheduler moves.
package discovery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/hadooprpc"
)

// FileName is the scheduler file's name, locally and on HDFS.
const FileName = "scheduler.json"

// MaxSize bounds what Parse and Read accept. Dask lists connected workers
// in the file, so a large cluster's file can reach megabytes.
const MaxSize = 64 << 20

// ErrNotPublished means no scheduler file exists at the path yet: the
// application has not started its scheduler, or it has ended. It wraps
// os.ErrNotExist.
var ErrNotPublished = fmt.Errorf("no scheduler address published: %w", os.ErrNotExist)

// SchedulerFile is Dask's scheduler file, the JSON of
// distributed.Scheduler.identity() (distributed 2026.8). Readers only need
// Address; the other fields are kept so a file round-trips unchanged.
type SchedulerFile struct {
	Type    string `json:"type"` // "Scheduler"
	ID      string `json:"id"`
	Address string `json:"address"` // e.g. tcp://host:8786
	// Services maps a service name to its port on the scheduler's host;
	// "dashboard" is Dask's HTTP server.
	Services     map[string]int `json:"services"`
	Started      float64        `json:"started"` // Unix time, seconds
	NWorkers     int            `json:"n_workers"`
	TotalThreads int            `json:"total_threads"`
	TotalMemory  int64          `json:"total_memory"`
	// Workers is keyed by worker address; values are Dask's worker
	// identity dicts, kept as they are.
	Workers map[string]json.RawMessage `json:"workers"`
}

// MarshalJSON writes empty maps as {} rather than null, as Dask does.
func (f SchedulerFile) MarshalJSON() ([]byte, error) {
	type plain SchedulerFile
	p := plain(f)
	if p.Services == nil {
		p.Services = map[string]int{}
	}
	if p.Workers == nil {
		p.Workers = map[string]json.RawMessage{}
	}
	if p.Type == "" {
		p.Type = "Scheduler"
	}
	return json.MarshalIndent(p, "", "  ")
}

// Host is the host part of Address ("" if Address has none).
func (f SchedulerFile) Host() string {
	rest := f.Address
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	h, _, err := net.SplitHostPort(rest)
	if err != nil {
		return ""
	}
	return h
}

// DashboardURL is Dask's dashboard (its HTTP server) as every command
// prints it, or "" when the file names none. See DashboardURL.
func (f SchedulerFile) DashboardURL() string {
	port, ok := f.Services["dashboard"]
	if !ok || port <= 0 {
		return ""
	}
	return DashboardURL(f.Address, ":"+strconv.Itoa(port))
}

// DashboardURL is the one form in which Spindle gives Dask's dashboard:
// http://<scheduler host>:<port>/status. The host is the scheduler
// address's, which clients reach the scheduler by; only the port is taken
// from dashboard (host:port as the runtime reports it, whose host may be a
// name such as localhost where the address has 127.0.0.1). "" when either
// is unknown.
func DashboardURL(schedulerAddress, dashboard string) string {
	h := SchedulerFile{Address: schedulerAddress}.Host()
	_, port, err := net.SplitHostPort(dashboard)
	if h == "" || err != nil || port == "" || port == "0" {
		return ""
	}
	return "http://" + net.JoinHostPort(h, port) + "/status"
}

// Validate checks what a reader relies on: an address of the form
// scheme://host:port.
func (f SchedulerFile) Validate() error {
	if f.Address == "" {
		return errors.New(`scheduler file has no "address"`)
	}
	i := strings.Index(f.Address, "://")
	if i <= 0 {
		return fmt.Errorf("scheduler address %q has no protocol (want e.g. tcp://host:port)", f.Address)
	}
	if _, _, err := net.SplitHostPort(f.Address[i+3:]); err != nil {
		return fmt.Errorf("scheduler address %q: %w", f.Address, err)
	}
	return nil
}

// Parse decodes and validates a scheduler file. Dask writes the file in
// place, not atomically, so a reader racing the scheduler can see a
// truncated file: that is an error here, to be retried by the caller.
func Parse(b []byte) (SchedulerFile, error) {
	var f SchedulerFile
	if len(b) > MaxSize {
		return f, fmt.Errorf("scheduler file is larger than %d bytes", MaxSize)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return SchedulerFile{}, fmt.Errorf("scheduler file is not Dask's scheduler JSON: %w", err)
	}
	if err := f.Validate(); err != nil {
		return SchedulerFile{}, err
	}
	return f, nil
}

// Path is where the scheduler file of application appID, run by user, is
// published on HDFS.
func Path(user, appID string) string {
	return path.Join("/user", user, ".spindle", "apps", appID, FileName)
}

// Publish writes f to p on HDFS atomically: a temporary file in the same
// folder is renamed over any earlier file, so readers see the old or the
// new scheduler, never a partial file. The application's folder gets mode
// 0755 and the file 0644, so the same user's clients anywhere can read it.
func Publish(ctx context.Context, fs *hdfs.Client, p string, f SchedulerFile) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("publish scheduler file %s: %w", p, err)
	}
	body, err := f.MarshalJSON()
	if err != nil {
		return fmt.Errorf("publish scheduler file %s: %w", p, err)
	}
	dir := path.Dir(p)
	if err := fs.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("publish scheduler file: create folder %s on HDFS: %w", dir, err)
	}
	// MkdirAll leaves an existing folder's mode alone, and the NameNode may
	// apply a umask: set the mode readers depend on.
	if err := fs.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("publish scheduler file: chmod %s on HDFS: %w", dir, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish scheduler file %s: %w", p, err)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	tmp := path.Join(dir, "."+path.Base(p)+".tmp-"+hex.EncodeToString(rnd[:]))
	if err := writeFile(ctx, fs, tmp, body); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("publish scheduler file: write %s on HDFS: %w", tmp, err)
	}
	if err := ctx.Err(); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("publish scheduler file %s: %w", p, err)
	}
	if err := fs.Rename(tmp, p); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("publish scheduler file: rename %s to %s on HDFS: %w", tmp, p, err)
	}
	return nil
}

func writeFile(ctx context.Context, fs *hdfs.Client, name string, body []byte) error {
	w, err := fs.Create(name) // mode 0644
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		w.Close()
		return err
	}
	if err := hadooprpc.CloseHDFSFile(ctx, w); err != nil {
		return err
	}
	return fs.Chmod(name, 0o644)
}

// Read reads and validates the scheduler file at p on HDFS. A missing file
// gives an error wrapping ErrNotPublished (and so os.ErrNotExist).
func Read(fs *hdfs.Client, p string) (SchedulerFile, error) {
	r, err := fs.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return SchedulerFile{}, fmt.Errorf("read %s on HDFS: %w", p, ErrNotPublished)
		}
		return SchedulerFile{}, fmt.Errorf("read scheduler file %s on HDFS: %w", p, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return SchedulerFile{}, fmt.Errorf("read scheduler file %s on HDFS: %w", p, err)
	}
	f, err := Parse(b)
	if err != nil {
		return SchedulerFile{}, fmt.Errorf("read scheduler file %s on HDFS: %w", p, err)
	}
	return f, nil
}

// Remove deletes the scheduler file at p; a file already gone is not an
// error. The application's folder stays.
func Remove(fs *hdfs.Client, p string) error {
	if err := fs.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove scheduler file %s on HDFS: %w", p, err)
	}
	return nil
}

// WriteLocal writes f to a local file atomically with mode 0644, for
// `Client(scheduler_file=...)` or `dask worker --scheduler-file`.
func WriteLocal(name string, f SchedulerFile) error {
	body, err := f.MarshalJSON()
	if err != nil {
		return fmt.Errorf("write scheduler file %s: %w", name, err)
	}
	dir, base := path.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("write scheduler file %s: %w", name, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write scheduler file %s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(body); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write scheduler file %s: %w", name, err)
	}
	return nil
}

// ReadLocal reads and validates a local scheduler file, such as the one a
// `dask scheduler --scheduler-file` child writes.
func ReadLocal(name string) (SchedulerFile, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return SchedulerFile{}, fmt.Errorf("read scheduler file: %w", err)
	}
	f, err := Parse(b)
	if err != nil {
		return SchedulerFile{}, fmt.Errorf("read scheduler file %s: %w", name, err)
	}
	return f, nil
}
