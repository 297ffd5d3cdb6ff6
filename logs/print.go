package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spindle-yarn/spindle/yarnlogs"
)

// Filter selects what to print. Empty lists select everything.
type Filter struct {
	Containers []string
	Services   []string
	Files      []string
	// Tail prints only the last Tail lines of each file; 0 prints it all.
	Tail int
	// Size prints, as `yarn logs -size` does, only the first Size bytes of
	// each file (Size > 0) or the last -Size (Size < 0); 0 prints it all.
	// The LogLength line still gives the whole file's length.
	Size int64
}

func (f Filter) wantContainer(id, service string) bool {
	if len(f.Containers) > 0 && !contains(f.Containers, id) {
		return false
	}
	if len(f.Services) > 0 && !contains(f.Services, service) {
		return false
	}
	return true
}

func (f Filter) wantFile(name string) bool { return len(f.Files) == 0 || contains(f.Files, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Printer prints selected log files in the yarn logs format.
type Printer struct {
	W      io.Writer
	Filter Filter
	// Services maps container ids to service names; only needed when the
	// filter names services. Application master containers are
	// AppMasterService without an entry.
	Services map[string]string
}

// ServiceOf names the service a container ran, "" when unknown.
func (p *Printer) ServiceOf(id string) string {
	if s, ok := p.Services[id]; ok {
		return s
	}
	if IsAMContainer(id) {
		return AppMasterService
	}
	return ""
}

// Seen is what a print went through, for saying what a filter missed.
type Seen struct {
	Containers map[string]string // id -> service ("" unknown)
	Files      map[string]bool
	// Printed counts the sections printed.
	Printed int
}

func newSeen() *Seen { return &Seen{Containers: map[string]string{}, Files: map[string]bool{}} }

// Check returns an error naming what the filter asked for that was not
// there, with what was; nil when something was printed.
func (s *Seen) Check(f Filter) error {
	if s.Printed > 0 {
		return nil
	}
	var ids, services, files []string
	svc := map[string]bool{}
	for id, sv := range s.Containers {
		ids = append(ids, id)
		if sv != "" && !svc[sv] {
			svc[sv] = true
			services = append(services, sv)
		}
	}
	for f := range s.Files {
		files = append(files, f)
	}
	sort.Strings(ids)
	sort.Strings(services)
	sort.Strings(files)
	list := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, ", ")
	}
	switch {
	case len(ids) == 0:
		return fmt.Errorf("%w: the application has no container logs", ErrNoMatch)
	case len(f.Containers) > 0 && !anyIn(f.Containers, ids):
		return fmt.Errorf("%w: no container %s (containers: %s)", ErrNoMatch, strings.Join(f.Containers, ", "), list(ids))
	case len(f.Services) > 0 && !anyIn(f.Services, services):
		return fmt.Errorf("%w: no container of service %s (services: %s)", ErrNoMatch, strings.Join(f.Services, ", "), list(services))
	case len(f.Files) > 0:
		return fmt.Errorf("%w: no log file %s in the selected containers (files: %s)", ErrNoMatch, strings.Join(f.Files, ", "), list(files))
	}
	return fmt.Errorf("%w: nothing selected", ErrNoMatch)
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

// ErrNoMatch: the filter selected no log file.
var ErrNoMatch = errors.New("no logs match")

// NodeProblem is a node file that could not be read.
type NodeProblem struct {
	Node string
	Err  error
}

// AggregatedResult is what PrintAggregated went through.
type AggregatedResult struct {
	*Seen
	// Nodes are the node files read whole.
	Nodes []string
	// Problems are node files not read (still being written, corrupt).
	Problems []NodeProblem
}

// PrintAggregated prints an ended application's aggregated logs: node files
// in name order, containers and files in file order, as LogsCLI does. A
// node file that cannot be read is skipped and reported in Problems; the
// error is for failing to write, or ctx ending.
func (p *Printer) PrintAggregated(ctx context.Context, app *yarnlogs.App) (*AggregatedResult, error) {
	res := &AggregatedResult{Seen: newSeen()}
	for _, n := range app.Nodes {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		err := p.printNode(app, n, res)
		var we *writeError
		if errors.As(err, &we) {
			return res, we.err
		}
		if err != nil {
			res.Problems = append(res.Problems, NodeProblem{Node: n.Name, Err: err})
			continue
		}
		res.Nodes = append(res.Nodes, n.Name)
	}
	return res, nil
}

// writeError marks a failure to write the output, which ends printing.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

func (p *Printer) printNode(app *yarnlogs.App, n yarnlogs.NodeFile, res *AggregatedResult) error {
	l, err := app.NodeLog(n)
	if err != nil {
		return err
	}
	defer l.Close()
	mod := FormatTime(n.ModTime)
	for {
		id, err := l.NextContainer()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		svc := p.ServiceOf(id)
		res.Containers[id] = svc
		want := p.Filter.wantContainer(id, svc)
		for {
			f, err := l.NextFile()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("container %s: %w", id, err)
			}
			if !want {
				continue
			}
			res.Files[f.Name] = true
			if !p.Filter.wantFile(f.Name) {
				continue
			}
			h := Header{Container: id, Node: n.Name, Type: Aggregated, File: f.Name, ModTime: mod, Length: f.Length}
			if !f.ModTime.IsZero() { // IndexedFile: the file's own time
				h.ModTime = FormatTime(f.ModTime)
			}
			r, err := p.sizeCut(h, f)
			if err != nil {
				return err
			}
			if err := p.section(h, r); err != nil {
				return err
			}
			res.Printed++
		}
	}
}

// sizeCut applies Filter.Size to a whole file's bytes (a NodeManager
// cuts them itself): what follows the first Size bytes is left unread, and
// the bytes before the last -Size are skipped as they stream by.
func (p *Printer) sizeCut(h Header, r io.Reader) (io.Reader, error) {
	switch {
	case p.Filter.Size > 0:
		return io.LimitReader(r, p.Filter.Size), nil
	case p.Filter.Size < 0 && -p.Filter.Size < h.Length:
		if _, err := io.CopyN(io.Discard, r, h.Length+p.Filter.Size); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("reading %s of %s: %w", h.File, h.Container, err)
		}
	}
	return r, nil
}

// section prints one file, or its tail.
func (p *Printer) section(h Header, r io.Reader) error {
	if err := WriteHeader(p.W, h); err != nil {
		return &writeError{err}
	}
	if p.Filter.Tail > 0 {
		b, err := lastLines(r, p.Filter.Tail)
		if err != nil {
			return fmt.Errorf("reading %s of %s: %w", h.File, h.Container, err)
		}
		if _, err := p.W.Write(b); err != nil {
			return &writeError{err}
		}
	} else {
		tw := &trackWriter{w: p.W}
		if _, err := io.Copy(tw, r); err != nil {
			if tw.err != nil {
				return &writeError{tw.err}
			}
			return fmt.Errorf("reading %s of %s: %w", h.File, h.Container, err)
		}
	}
	if err := WriteFooter(p.W, h); err != nil {
		return &writeError{err}
	}
	return nil
}

// trackWriter remembers a write error, telling it apart from read errors
// in io.Copy.
type trackWriter struct {
	w   io.Writer
	err error
}

func (t *trackWriter) Write(b []byte) (int, error) {
	n, err := t.w.Write(b)
	if err != nil {
		t.err = err
	}
	return n, err
}

// FindAllocations reads the application master's stderr from an ended
// application's aggregated logs (every attempt's), for which service each
// container ran. found is false when no application master log was there.
func FindAllocations(ctx context.Context, app *yarnlogs.App) (alloc map[string]Allocation, found bool, err error) {
	alloc = map[string]Allocation{}
	for _, n := range app.Nodes {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		l, err := app.NodeLog(n)
		if err != nil {
			continue // reported when printing
		}
		for {
			id, err := l.NextContainer()
			if err != nil {
				break
			}
			if !IsAMContainer(id) {
				continue
			}
			for {
				f, err := l.NextFile()
				if err != nil {
					break
				}
				if f.Name != "stderr" {
					continue
				}
				a, err := AllocationsFromAMLog(f)
				if err != nil {
					l.Close()
					return nil, false, fmt.Errorf("reading the application master's stderr in %s: %w", n.Name, err)
				}
				found = true
				for k, v := range a {
					alloc[k] = v
				}
			}
		}
		l.Close()
	}
	return alloc, found, nil
}

// ServicesOf turns allocations into the Printer's map.
func ServicesOf(alloc map[string]Allocation) map[string]string {
	m := make(map[string]string, len(alloc))
	for id, a := range alloc {
		m[id] = a.Service
	}
	return m
}

// nmTail fetches enough of a file's end to hold its last n lines, doubling
// the request from 64 KiB (at most up to the whole file).
func nmTail(ctx context.Context, nm *NodeManager, id, file string, n int) (*NMChunk, error) {
	want := int64(64 << 10)
	for {
		c, err := nm.File(ctx, id, file, -want)
		if err != nil {
			return nil, err
		}
		if c.Offset == 0 || bytes.Count(c.Data, []byte{'\n'}) > n {
			c.Data = tailBytes(c.Data, n)
			return c, nil
		}
		want *= 2
	}
}
