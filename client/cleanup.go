package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// TidyBound bounds the cleanup a command does on the side of its own work
// (TidyEnded): it must not make `spindle status` slow or hang.
const TidyBound = 10 * time.Second

// Ended reports whether YARN has ended an application for good.
func Ended(st yarnpb.YarnApplicationStateProto) bool {
	return st == yarnpb.YarnApplicationStateProto_FINISHED || st == yarnpb.YarnApplicationStateProto_FAILED ||
		st == yarnpb.YarnApplicationStateProto_KILLED
}

// EndedFrom is the EndedError for a report of an ended application, nil
// while it runs.
func EndedFrom(appID string, rep *yarnpb.ApplicationReportProto) *EndedError {
	if !Ended(rep.GetYarnApplicationState()) {
		return nil
	}
	return &EndedError{AppID: appID, State: rep.GetYarnApplicationState(), FinalStatus: rep.GetFinalApplicationStatus(),
		Diagnostics: rep.GetDiagnostics()}
}

// Leftover is what an application left behind: its staging folder (which
// holds the control secret) and discovery folder on HDFS, and its folder
// under Home/apps.
type Leftover struct {
	AppID string
	HDFS  []string // the folders that exist
	Local string   // "" when there is none
	// Changed is the latest modification time among them.
	Changed time.Time
}

// Paths are the leftover's folders, HDFS ones first.
func (l *Leftover) Paths() []string {
	if l.Local == "" {
		return l.HDFS
	}
	return append(slices.Clone(l.HDFS), l.Local)
}

// Leftovers lists the applications that have a folder in this user's
// staging or discovery folders on HDFS, or under Home/apps: two HDFS calls.
func (c *Client) Leftovers() (map[string]*Leftover, error) {
	fs, err := c.FS()
	if err != nil {
		return nil, err
	}
	out := map[string]*Leftover{}
	get := func(id string, mod time.Time) *Leftover {
		l := out[id]
		if l == nil {
			l = &Leftover{AppID: id}
			out[id] = l
		}
		if mod.After(l.Changed) {
			l.Changed = mod
		}
		return l
	}
	for _, dir := range []string{path.Dir(c.stagingDir("x")), path.Dir(path.Dir(c.DiscoveryPath("x")))} {
		infos, err := fs.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s on HDFS: %w", dir, err)
		}
		for _, fi := range infos {
			if _, err := hadooprpc.ParseApplicationID(fi.Name()); err == nil && fi.IsDir() {
				l := get(fi.Name(), fi.ModTime())
				l.HDFS = append(l.HDFS, path.Join(dir, fi.Name()))
			}
		}
	}
	entries, err := os.ReadDir(filepath.Join(c.Home, "apps"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list %s: %w", filepath.Join(c.Home, "apps"), err)
	}
	for _, en := range entries {
		if _, err := hadooprpc.ParseApplicationID(en.Name()); err != nil || !en.IsDir() {
			continue
		}
		var mod time.Time
		if fi, err := en.Info(); err == nil {
			mod = fi.ModTime()
		}
		get(en.Name(), mod).Local = filepath.Join(c.Home, "apps", en.Name())
	}
	return out, nil
}

// RemoveLeftover removes a leftover's folders; missing ones are fine.
func (c *Client) RemoveLeftover(l *Leftover) error {
	var errs []error
	if len(l.HDFS) > 0 {
		fs, err := c.FS()
		if err != nil {
			return err
		}
		for _, p := range l.HDFS {
			if err := fs.RemoveAll(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove %s on HDFS: %w", p, err))
			}
		}
	}
	if l.Local != "" {
		if err := os.RemoveAll(l.Local); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", l.Local, err))
		}
	}
	return errors.Join(errs...)
}

// Cleanup removes what a Spindle application left when its AM could not
// (YARN killed it): the staging folder, the discovery folder and the local
// folder with its secret. Missing ones are fine.
func (c *Client) Cleanup(appID string) error {
	return c.RemoveLeftover(&Leftover{AppID: appID, HDFS: []string{c.stagingDir(appID), path.Dir(c.DiscoveryPath(appID))},
		Local: filepath.Dir(c.secretPath(appID))})
}

// CleanupEnded removes what the ended applications ids left, and returns
// what it removed. It lists the leftovers first, so applications already
// cleaned cost nothing more.
func (c *Client) CleanupEnded(ids []string) ([]*Leftover, error) {
	all, err := c.Leftovers()
	if err != nil {
		return nil, err
	}
	var removed []*Leftover
	var errs []error
	for _, id := range ids {
		if l := all[id]; l != nil {
			if err := c.RemoveLeftover(l); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, l)
		}
	}
	return removed, errors.Join(errs...)
}

// TidyEnded cleans up after ended applications on the side of another
// command (status, list, wait, address): within TidyBound at most, or
// until ctx ends, and it only warns (on Progress) when it fails or is not
// done by then. An unfinished cleanup is abandoned; its HDFS calls end with
// c.Context.
func (c *Client) TidyEnded(ctx context.Context, ids ...string) {
	if len(ids) == 0 {
		return
	}
	type result struct {
		removed []*Leftover
		err     error
	}
	done := make(chan result, 1)
	go func() {
		r, err := c.CleanupEnded(ids)
		done <- result{r, err}
	}()
	bound := time.NewTimer(TidyBound)
	defer bound.Stop()
	select {
	case r := <-done:
		for _, l := range r.removed {
			c.progress("%s has ended: removed what it left: %v", l.AppID, l.Paths())
		}
		if r.err != nil {
			c.progress("warning: cleaning up after ended applications: %v (`spindle gc` retries)", r.err)
		}
	case <-bound.C:
		c.progress("warning: cleaning up after ended applications %v: not done within %s; left for `spindle gc`", ids, TidyBound)
	case <-ctx.Done():
		c.progress("warning: cleaning up after ended applications %v: not done within --timeout; left for `spindle gc`", ids)
	}
}
