package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/yarnlogs"
)

// LiveContainer is a container of a running application.
type LiveContainer struct {
	ID string
	// NodeHTTP is its NodeManager's web address, host:port.
	NodeHTTP string
	// Service is the Spindle service it runs, "" when unknown.
	Service string
	// Completed: the application master or the ResourceManager saw it end.
	Completed bool
	// NotStarted: the application master has it allocated or launching,
	// not yet running, so its NodeManager may have no logs for it yet.
	NotStarted bool
}

// Catalog gathers a running application's containers from every source
// that knows them, so that none is left out silently: each NodeManager's
// own list (which says where a container really runs), the application
// master's (services, containers that ended) and the ResourceManager's
// (every live container of the current attempt, whether or not its
// NodeManager answers and whether or not the application master can be
// reached).
type Catalog struct {
	byID map[string]*LiveContainer
}

func (c *Catalog) get(id, nodeHTTP string) *LiveContainer {
	if c.byID == nil {
		c.byID = map[string]*LiveContainer{}
	}
	lc, ok := c.byID[id]
	if !ok {
		lc = &LiveContainer{ID: id}
		c.byID[id] = lc
	}
	if lc.NodeHTTP == "" {
		lc.NodeHTTP = webAddress(nodeHTTP)
	}
	return lc
}

// FromNodeManager adds the containers the NodeManager at addr lists for
// the application. Call it before the other sources: a NodeManager's own
// address is the one to read a container's logs from.
func (c *Catalog) FromNodeManager(addr string, ids []string) {
	for _, id := range ids {
		c.get(id, addr)
	}
}

// FromAM adds a container as the application master reports it (state:
// allocated, launching, running, ready, or ended: completed or retired).
func (c *Catalog) FromAM(id, nodeHTTP, service, state string) {
	lc := c.get(id, nodeHTTP)
	lc.Service = service
	lc.Completed = state == "completed" || state == "retired"
	lc.NotStarted = state == "allocated" || state == "launching"
}

// FromRM adds a container as the ResourceManager reports it.
func (c *Catalog) FromRM(id, nodeHTTP string, completed bool) {
	lc := c.get(id, nodeHTTP)
	lc.Completed = lc.Completed || completed
}

// Containers lists what the catalog holds, the application master's
// containers named as such.
func (c *Catalog) Containers() []LiveContainer {
	out := make([]LiveContainer, 0, len(c.byID))
	for _, lc := range c.byID {
		if lc.Service == "" && IsAMContainer(lc.ID) {
			lc.Service = AppMasterService
		}
		out = append(out, *lc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// webAddress is a NodeManager web address as host:port: the
// ResourceManager's container reports put a scheme before it.
func webAddress(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "http://"), "https://")
	return strings.TrimSuffix(s, "/")
}

// ErrNoNodeAddress: no source gave the container's NodeManager web address.
var ErrNoNodeAddress = errors.New("no NodeManager web address is known for it")

// FileKey names one container's log file.
type FileKey struct{ Container, File string }

// ContainerProblem is a container whose logs could not be read.
type ContainerProblem struct {
	Container string
	NodeHTTP  string
	Err       error
	// Completed and NotStarted are the container's, for Reason.
	Completed, NotStarted bool
}

// Reason says, for a person, why the container's logs were not printed.
func (p ContainerProblem) Reason() string {
	if !errors.Is(p.Err, ErrNotOnNode) && !errors.Is(p.Err, ErrNoLogFiles) {
		return p.Err.Error()
	}
	switch {
	case p.Completed:
		return "it ended and its NodeManager no longer serves its logs; they are aggregated once the application ends"
	case p.NotStarted:
		return "it has not started on its NodeManager yet, so it has no logs so far"
	case errors.Is(p.Err, ErrNoLogFiles):
		return "its NodeManager lists no log files for it, though YARN placed it there (not started yet, the NodeManager lost it, or its logs were removed)"
	}
	return "its NodeManager does not know it, though YARN placed it there (not started yet, or the NodeManager lost it)"
}

// ErrNoLogFiles: the NodeManager answered for the container but listed no
// log files of its own.
var ErrNoLogFiles = errors.New("no log files")

// LiveResult is what PrintLive went through.
type LiveResult struct {
	*Seen
	// Offsets is how far each file was printed (its length when read), for
	// Follow to go on from.
	Offsets  map[FileKey]int64
	Problems []ContainerProblem
}

// PrintLive prints running containers' logs from their NodeManagers, in
// container id order and, per container, file name order. A container
// whose NodeManager does not answer is reported in Problems; the error is
// for failing to write, or ctx ending.
func (p *Printer) PrintLive(ctx context.Context, hc *http.Client, containers []LiveContainer) (*LiveResult, error) {
	res := &LiveResult{Seen: newSeen(), Offsets: map[FileKey]int64{}}
	sorted := append([]LiveContainer(nil), containers...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	for _, c := range sorted {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		res.Containers[c.ID] = c.Service
		if !p.Filter.wantContainer(c.ID, c.Service) {
			continue
		}
		err := ErrNoNodeAddress
		if c.NodeHTTP != "" {
			err = p.printLiveContainer(ctx, &NodeManager{Addr: c.NodeHTTP, HTTP: hc}, c, res)
		}
		var we *writeError
		if errors.As(err, &we) {
			return res, we.err
		}
		if err != nil {
			res.Problems = append(res.Problems, ContainerProblem{Container: c.ID, NodeHTTP: c.NodeHTTP, Err: err,
				Completed: c.Completed, NotStarted: c.NotStarted})
		}
	}
	return res, nil
}

func (p *Printer) printLiveContainer(ctx context.Context, nm *NodeManager, c LiveContainer, res *LiveResult) error {
	lists, err := nm.ContainerLogs(ctx, c.ID)
	if err != nil {
		return err
	}
	local := 0
	for _, l := range lists {
		if l.Type == "" || l.Type == Local {
			local += len(l.Files)
		}
	}
	if local == 0 {
		// A NodeManager that knows the application but not this container
		// answers with an empty listing, not a 404.
		return fmt.Errorf("NodeManager %s lists no log files for it: %w", nm.Addr, ErrNoLogFiles)
	}
	for _, l := range lists {
		if l.Type != "" && l.Type != Local {
			continue // rolled-up parts on HDFS: printed once the application ends
		}
		files := append([]NMFile(nil), l.Files...)
		sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
		for _, f := range files {
			res.Files[f.Name] = true
			if !p.Filter.wantFile(f.Name) {
				continue
			}
			if err := p.liveFile(ctx, nm, c, l.NodeID, f, res); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *Printer) liveFile(ctx context.Context, nm *NodeManager, c LiveContainer, nodeID string, f NMFile, res *LiveResult) error {
	h := Header{Container: c.ID, Node: nodeID, Type: Local, File: f.Name, Running: !c.Completed}
	if p.Filter.Tail > 0 {
		ch, err := nmTail(ctx, nm, c.ID, f.Name, p.Filter.Tail)
		if err != nil {
			return err
		}
		h.ModTime, h.Length = ch.ModTime, ch.Length
		if ch.NodeID != "" {
			h.Node = ch.NodeID
		}
		if err := p.section(h, bytes.NewReader(ch.Data)); err != nil {
			return err
		}
		res.Offsets[FileKey{c.ID, f.Name}] = ch.Length
		res.Printed++
		return nil
	}
	s, err := nm.Open(ctx, c.ID, f.Name, 0)
	if err != nil {
		return err
	}
	defer s.Close()
	h.ModTime, h.Length = s.ModTime, s.Length
	if s.NodeID != "" {
		h.Node = s.NodeID
	}
	if err := p.section(h, s); err != nil {
		return err
	}
	res.Offsets[FileKey{c.ID, f.Name}] = s.Length
	res.Printed++
	return nil
}

// Follow prints what running containers append to their log files, as
// `tail -f` does: a "==> <container> <file> <==" line before output from a
// file other than the last one printed. It polls every Interval until Ended
// says the application has ended (after one last poll) or ctx ends.
type Follow struct {
	Printer  *Printer
	HTTP     *http.Client
	Interval time.Duration
	// Containers lists the application's containers now; it is called on
	// every poll, so containers started later are followed too.
	Containers func(context.Context) ([]LiveContainer, error)
	// Ended reports whether the application has ended.
	Ended func(context.Context) (bool, error)
	// Warn receives problems that do not stop following.
	Warn io.Writer
	// MaxPerPoll bounds what is read of one file per poll; more is skipped
	// with a warning (0: 16 MiB).
	MaxPerPoll int64

	last FileKey
}

// Run follows from offsets (PrintLive's), which it updates.
func (f *Follow) Run(ctx context.Context, offsets map[FileKey]int64) error {
	if f.Interval <= 0 {
		f.Interval = 2 * time.Second
	}
	if f.MaxPerPoll <= 0 {
		f.MaxPerPoll = 16 << 20
	}
	for {
		ended, err := f.Ended(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.warn("checking whether the application ended: %v", err)
		}
		if err := f.poll(ctx, offsets); err != nil {
			return err
		}
		if ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.Interval):
		}
	}
}

func (f *Follow) warn(format string, a ...any) {
	if f.Warn != nil {
		fmt.Fprintf(f.Warn, "spindle: "+format+"\n", a...)
	}
}

func (f *Follow) poll(ctx context.Context, offsets map[FileKey]int64) error {
	cs, err := f.Containers(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.warn("listing containers: %v", err)
		return nil
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
	for _, c := range cs {
		if c.Service != "" {
			if f.Printer.Services == nil {
				f.Printer.Services = map[string]string{}
			}
			f.Printer.Services[c.ID] = c.Service
		}
		if !f.Printer.Filter.wantContainer(c.ID, c.Service) {
			continue
		}
		nm := &NodeManager{Addr: c.NodeHTTP, HTTP: f.HTTP}
		lists, err := nm.ContainerLogs(ctx, c.ID)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(err, ErrNotOnNode) { // gone: it ended, its logs are aggregated later
				f.warn("%v", err)
			}
			continue
		}
		for _, l := range lists {
			if l.Type != "" && l.Type != Local {
				continue
			}
			for _, file := range l.Files {
				if !f.Printer.Filter.wantFile(file.Name) {
					continue
				}
				if err := f.file(ctx, nm, c.ID, file, offsets); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// file prints what one file gained since offsets[key].
func (f *Follow) file(ctx context.Context, nm *NodeManager, id string, file NMFile, offsets map[FileKey]int64) error {
	key := FileKey{id, file.Name}
	off := offsets[key]
	if file.Size < off {
		f.warn("%s of %s shrank from %d to %d bytes; printing it from the start", file.Name, id, off, file.Size)
		off = 0
	}
	if file.Size == off {
		return nil
	}
	// The file may grow between listing and reading: ask for everything
	// after off, and again if the reply starts later than off.
	want := file.Size - off
	for attempt := 0; attempt < 3; attempt++ {
		if want > f.MaxPerPoll {
			f.warn("%s of %s grew by %d bytes since the last poll; skipping to its last %d", file.Name, id, want, f.MaxPerPoll)
			off += want - f.MaxPerPoll
			want = f.MaxPerPoll
		}
		ch, err := nm.File(ctx, id, file.Name, -want)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(err, ErrNotOnNode) {
				f.warn("%v", err)
			}
			return nil
		}
		if ch.Offset > off && ch.Length > off {
			want = ch.Length - off
			continue
		}
		data := ch.Data
		if skip := off - ch.Offset; skip > 0 && skip <= int64(len(data)) {
			data = data[skip:]
		}
		if len(data) > 0 {
			if f.last != key {
				if _, err := fmt.Fprintf(f.Printer.W, "\n==> %s %s <==\n", id, file.Name); err != nil {
					return err
				}
				f.last = key
			}
			if _, err := f.Printer.W.Write(data); err != nil {
				return err
			}
			if fl, ok := f.Printer.W.(interface{ Flush() error }); ok {
				if err := fl.Flush(); err != nil {
					return err
				}
			}
		}
		offsets[key] = off + int64(len(data))
		return nil
	}
	return nil
}

// Finish prints, from an ended application's aggregated logs, what the
// NodeManagers no longer served once its containers stopped: each followed
// file from where following left it, and whole files not seen before.
func (f *Follow) Finish(ctx context.Context, app *yarnlogs.App, offsets map[FileKey]int64) error {
	for _, n := range app.Nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := app.NodeLog(n)
		if err != nil {
			f.warn("%s: %v", n.Name, err)
			continue
		}
		err = f.finishNode(l, offsets)
		l.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *Follow) finishNode(l *yarnlogs.NodeLog, offsets map[FileKey]int64) error {
	for {
		id, err := l.NextContainer()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			f.warn("%v", err)
			return nil
		}
		if !f.Printer.Filter.wantContainer(id, f.Printer.ServiceOf(id)) {
			continue
		}
		for {
			file, err := l.NextFile()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.warn("%s: %v", id, err)
				return nil
			}
			if !f.Printer.Filter.wantFile(file.Name) {
				continue
			}
			key := FileKey{id, file.Name}
			off := offsets[key]
			if off > file.Length {
				off = file.Length
			}
			if _, err := io.CopyN(io.Discard, file, off); err != nil {
				f.warn("%s of %s: %v", file.Name, id, err)
				continue
			}
			if file.Length == off {
				continue
			}
			if f.last != key {
				if _, err := fmt.Fprintf(f.Printer.W, "\n==> %s %s <==\n", id, file.Name); err != nil {
					return err
				}
				f.last = key
			}
			tw := &trackWriter{w: f.Printer.W}
			n, err := io.Copy(tw, file)
			if tw.err != nil {
				return tw.err
			}
			if err != nil {
				f.warn("%s of %s: %v", file.Name, id, err)
			}
			offsets[key] = off + n
		}
	}
}
