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
}

// Open finds an application's aggregated logs. user is the application's
// owner; when empty, every user directory under the log root is searched.
// It lists the node files only; NodeLog reads one.
func Open(fsys FS, cfg *conf.Config, user, appID string) (*App, error) {
	l, err := LayoutFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	return OpenLayout(fsys, l, user, appID)
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
			for _, fi := range infos {
				// IndexedFile keeps "-checksum" side files; they are no node's logs.
				if fi.IsDir() || strings.HasSuffix(fi.Name(), "-checksum") {
					continue
				}
				app.Nodes = append(app.Nodes, NodeFile{
					Name:       fi.Name(),
					Path:       path.Join(d, fi.Name()),
					Size:       fi.Size(),
					ModTime:    fi.ModTime(),
					InProgress: strings.HasSuffix(fi.Name(), tmpSuffix),
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
	l, err := NewNodeLog(f, size, a.ID, f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", n.Path, err)
	}
	return l, nil
}
