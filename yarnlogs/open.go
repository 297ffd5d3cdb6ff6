package yarnlogs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// FS is the read-only file system the logs are on: HDFS in practice (see
// HDFS), anything with these three calls in tests.
type FS interface {
	ReadDir(dir string) ([]fs.FileInfo, error)
	Open(name string) (File, error)
	Stat(name string) (fs.FileInfo, error)
}

// File is an open node file.
type File interface {
	io.ReaderAt
	io.Closer
}

// HDFS adapts a colinmarc/hdfs client to FS.
func HDFS(c *hdfs.Client) FS { return hdfsFS{c} }

type hdfsFS struct{ c *hdfs.Client }

func (h hdfsFS) ReadDir(dir string) ([]fs.FileInfo, error) { return h.c.ReadDir(dir) }
func (h hdfsFS) Stat(name string) (fs.FileInfo, error)     { return h.c.Stat(name) }
func (h hdfsFS) Open(name string) (File, error) {
	f, err := h.c.Open(name)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// tmpSuffix marks a node file still being written (LogAggregationUtils).
const tmpSuffix = ".tmp"

// App is an application's aggregated logs: its node files.
type App struct {
	ID   string
	User string
	// Dirs are the application log directories found (usually one).
	Dirs []string
	// Nodes are the node files, sorted by name.
	Nodes []NodeFile

	fs FS
}

// NodeFile is one NodeManager's file of an application's logs.
type NodeFile struct {
	// Name is the file name: the node ID with ':' as '_' ("host_port"),
	// plus "_{timestamp}" under rolling aggregation.
	Name    string
	Path    string
	Size    int64
	ModTime time.Time
	// InProgress is set for a .tmp file the NodeManager is still writing.
	InProgress bool
	// Format is the layout's format the file was found under.
	Format string
	// HasIndexEnd is set when an IndexedFile checksum file says where the
	// file's valid part ends (IndexEnd): an upload cycle did not finish.
	HasIndexEnd bool
	IndexEnd    int64
}

// checksumSuffix marks an IndexedFile's checksum side file.
const checksumSuffix = "-checksum"

// maxChecksumFile bounds a checksum file read (a name and an offset).
const maxChecksumFile = 64 << 10

// Open finds an application's aggregated logs under every format
// yarn.log-aggregation.file-formats lists. user is the application's owner;
// when empty, every user directory under the log root is searched. It lists
// the node files only; NodeLog reads one.
//
// `yarn logs` reads only the first format (in the listed order) that has
// files for the application; Open lists that format's node files first, and
// then those of the other formats, so logs split between formats (the
// setting changed while the application ran) are all found.
func Open(fsys FS, cfg *conf.Config, user, appID string) (*App, error) {
	layouts, err := LayoutsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	var app *App
	var missing []error
	var msgs []string
	for _, l := range layouts {
		a, err := OpenLayout(fsys, l, user, appID)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, err)
			msgs = append(msgs, l.Format+": "+err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		if app == nil {
			app = a
			continue
		}
		if a.User != app.User {
			continue // another user's application of the same ID cannot be
		}
		app.Dirs = append(app.Dirs, a.Dirs...)
		app.Nodes = append(app.Nodes, a.Nodes...)
	}
	if app == nil {
		if len(missing) == 1 {
			return nil, missing[0]
		}
		return nil, fmt.Errorf("no aggregated logs for %s in any format %s lists: %s: %w", appID, KeyFileFormats, strings.Join(msgs, "; "), fs.ErrNotExist)
	}
	return app, nil
}

// OpenLayout is Open with the layout given.
func OpenLayout(fsys FS, l Layout, user, appID string) (*App, error) {
	if _, err := appSequence(appID); err != nil {
		return nil, err
	}
	users := []string{user}
	if user == "" {
		infos, err := fsys.ReadDir(l.Root)
		if err != nil {
			return nil, fmt.Errorf("listing the aggregated log root %s: %w", l.Root, err)
		}
		users = users[:0]
		for _, fi := range infos {
			if fi.IsDir() {
				users = append(users, fi.Name())
			}
		}
	}
	var tried []string
	for _, u := range users {
		dirs, err := l.AppDirs(u, appID)
		if err != nil {
			return nil, err
		}
		app := &App{ID: appID, User: u, fs: fsys}
		for _, d := range dirs {
			tried = append(tried, d)
			infos, err := fsys.ReadDir(d)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("listing %s: %w", d, err)
			}
			app.Dirs = append(app.Dirs, d)
			ends := checksumEnds(fsys, d, infos)
			for _, fi := range infos {
				// IndexedFile keeps "-checksum" side files; they are no node's logs.
				if fi.IsDir() || strings.HasSuffix(fi.Name(), checksumSuffix) {
					continue
				}
				end, ok := ends[fi.Name()]
				app.Nodes = append(app.Nodes, NodeFile{
					Name:        fi.Name(),
					Path:        path.Join(d, fi.Name()),
					Size:        fi.Size(),
					ModTime:     fi.ModTime(),
					InProgress:  strings.HasSuffix(fi.Name(), tmpSuffix),
					Format:      l.Format,
					HasIndexEnd: ok,
					IndexEnd:    end,
				})
			}
		}
		if len(app.Dirs) > 0 {
			sort.Slice(app.Nodes, func(i, j int) bool { return app.Nodes[i].Name < app.Nodes[j].Name })
			return app, nil
		}
	}
	if user == "" && len(users) == 0 {
		return nil, fmt.Errorf("no aggregated logs for %s: the log root %s has no user directories (is yarn.log-aggregation-enable true, and has the application finished?): %w",
			appID, l.Root, fs.ErrNotExist)
	}
	return nil, fmt.Errorf("no aggregated logs for %s (looked in %s): log aggregation may be disabled (yarn.log-aggregation-enable), not finished yet, or the logs were already deleted: %w",
		appID, strings.Join(tried, ", "), fs.ErrNotExist)
}

// NodeLog opens a node file for reading; Close it when done.
func (a *App) NodeLog(n NodeFile) (*NodeLog, error) {
	if n.InProgress {
		return nil, fmt.Errorf("%s: %w", n.Path, ErrInProgress)
	}
	f, err := a.fs.Open(n.Path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", n.Path, err)
	}
	size := n.Size
	if fi, err := a.fs.Stat(n.Path); err == nil {
		size = fi.Size()
	}
	end := size
	if n.HasIndexEnd {
		end = n.IndexEnd
	}
	if end > size {
		f.Close()
		return nil, fmt.Errorf("reading %s: its checksum file says %d bytes are valid, but it has %d", n.Path, end, size)
	}
	l, err := newNodeLog(f, size, end, a.ID, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", n.Path, err)
	}
	return l, nil
}

// checksumEnds reads a directory's IndexedFile checksum files: node file
// name to the offset its valid part ends at. As Hadoop does, one that
// cannot be read is ignored (the node file is then read to its end).
func checksumEnds(fsys FS, dir string, infos []fs.FileInfo) map[string]int64 {
	ends := map[string]int64{}
	for _, fi := range infos {
		name := fi.Name()
		if fi.IsDir() || !strings.HasSuffix(name, checksumSuffix) || fi.Size() > maxChecksumFile {
			continue
		}
		f, err := fsys.Open(path.Join(dir, name))
		if err != nil {
			continue
		}
		b := make([]byte, fi.Size())
		_, err = f.ReadAt(b, 0)
		f.Close()
		if err != nil && err != io.EOF {
			continue
		}
		node, end, err := readChecksumFile(b)
		if err != nil {
			continue
		}
		if node == "" { // older Hadoop: the name is the checksum file's
			node = strings.TrimSuffix(name, checksumSuffix)
		}
		ends[node] = end
	}
	return ends
}
