// Package client is what `spindle` does on an edge node: it stages an
// application on HDFS, submits it, waits for it honestly (YARN's
// diagnostics at once when YARN has failed it), and reaches the AM's
// control API with the application's secret.
package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// Client talks to one Hadoop cluster as one user.
type Client struct {
	Hadoop *conf.Config
	RM     *hadooprpc.ResourceManager
	User   string
	// Progress receives human progress lines (stderr in the CLI); nil: none.
	Progress io.Writer
	// Home holds each application's control secret (~/.spindle).
	Home string
	// Auth is how the client authenticates (Kerberos login, proxy user);
	// submissions fetch delegation tokens with it.
	Auth hadooprpc.Options
	// Context bounds the HDFS connection FS makes: its calls fail once
	// Context ends (nil: never). The HDFS client takes no context per call.
	Context context.Context

	// reports replaces the ResourceManager's application reports in
	// tests of Wait; nil: ask c.RM.
	reports func(context.Context, *yarnpb.ApplicationIdProto) (*yarnpb.ApplicationReportProto, error)

	mu sync.Mutex // guards fs: a side cleanup may connect it (TidyEnded)
	fs *hdfs.Client
}

// New makes a client for the cluster in cfg.
func New(cfg *conf.Config, opts hadooprpc.Options) (*Client, error) {
	rm, err := hadooprpc.NewResourceManager(cfg, opts)
	if err != nil {
		return nil, err
	}
	user := opts.User
	if user == "" {
		if user, err = hadooprpc.DefaultUser(); err != nil {
			return nil, err
		}
	}
	home := os.Getenv("SPINDLE_HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("find the home folder for ~/.spindle (or set SPINDLE_HOME): %w", err)
		}
		home = filepath.Join(h, ".spindle")
	}
	return &Client{Hadoop: cfg, RM: rm, User: user, Home: home, Auth: opts}, nil
}

// Close closes the connections.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fs != nil {
		_ = c.fs.Close()
	}
	return c.RM.Close()
}

// FS is the HDFS client, connected on first use.
func (c *Client) FS() (*hdfs.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fs != nil {
		return c.fs, nil
	}
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	o := c.Auth
	o.User = c.User
	fs, err := hadooprpc.NewHDFSContext(ctx, c.Hadoop, o)
	if err != nil {
		return nil, err
	}
	c.fs = fs
	return fs, nil
}

func (c *Client) progress(format string, a ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", a...)
	}
}

// Folders on HDFS, per user.
func (c *Client) spindleDir() string           { return path.Join("/user", c.User, ".spindle") }
func (c *Client) stagingDir(app string) string { return path.Join(c.spindleDir(), "staging", app) }
func (c *Client) cacheDir(kind string) string  { return path.Join(c.spindleDir(), "cache", kind) }

// DiscoveryPath is where an application's scheduler file is published.
func (c *Client) DiscoveryPath(appID string) string { return discovery.Path(c.User, appID) }

// secretPath is the client's copy of an application's control secret.
func (c *Client) secretPath(appID string) string {
	return filepath.Join(c.Home, "apps", appID, "secret")
}

func newSecret() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// saveSecret keeps the secret readable by the user only: locally, and in
// the application's staging folder (mode 0700) so other edge nodes of the
// same user can control the application too.
func (c *Client) saveSecret(fs *hdfs.Client, appID, staging string, secret []byte) error {
	p := c.secretPath(appID)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("save control secret: %w", err)
	}
	if err := os.WriteFile(p, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return fmt.Errorf("save control secret: %w", err)
	}
	if err := writeHDFS(fs, path.Join(staging, "secret"), []byte(hex.EncodeToString(secret)), 0o600); err != nil {
		return fmt.Errorf("save control secret on HDFS: %w", err)
	}
	return nil
}

// Secret reads an application's control secret: the local copy first, then
// the one in its staging folder.
func (c *Client) Secret(appID string) ([]byte, error) {
	if b, err := os.ReadFile(c.secretPath(appID)); err == nil {
		return appmaster.Secret(string(b))
	}
	fs, err := c.FS()
	if err != nil {
		return nil, err
	}
	r, err := fs.Open(path.Join(c.stagingDir(appID), "secret"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no control secret for %s in %s or its staging folder: was it submitted by %s with spindle, and is it still running?",
				appID, c.secretPath(appID), c.User)
		}
		return nil, fmt.Errorf("read control secret of %s: %w", appID, err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return nil, fmt.Errorf("read control secret of %s: %w", appID, err)
	}
	return appmaster.Secret(string(b))
}

// writeHDFS writes a small file atomically (temporary name, then rename).
func writeHDFS(fs *hdfs.Client, name string, body []byte, perm os.FileMode) error {
	tmp := fmt.Sprintf("%s._tmp_%x", name, randBytes(4))
	w, err := createFile(fs, tmp, perm)
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		w.Close()
		_ = fs.Remove(tmp)
		return err
	}
	if err := hadooprpc.CloseHDFSFile(context.Background(), w); err != nil {
		_ = fs.Remove(tmp)
		return err
	}
	return fs.Rename(tmp, name)
}

// uploadCached puts a local file under a content-addressed name in the
// user's cache, once: later submissions reuse the same HDFS file, with the
// same timestamp, so NodeManagers reuse what they already localized.
func (c *Client) uploadCached(fs *hdfs.Client, kind, local, name string) (appmaster.Resource, bool, error) {
	sum, err := fileSHA256(local)
	if err != nil {
		return appmaster.Resource{}, false, err
	}
	dir := path.Join(c.cacheDir(kind), sum)
	dst := path.Join(dir, name)
	uploaded := false
	if _, err := fs.Stat(dst); errors.Is(err, os.ErrNotExist) {
		if err := fs.MkdirAll(dir, 0o755); err != nil {
			return appmaster.Resource{}, false, fmt.Errorf("create %s: %w", dir, err)
		}
		if err := copyToHDFS(fs, local, dst, 0o644); err != nil {
			return appmaster.Resource{}, false, err
		}
		uploaded = true
	} else if err != nil {
		return appmaster.Resource{}, false, fmt.Errorf("stat %s: %w", dst, err)
	}
	r, err := c.resource(fs, dst)
	r.Visibility = "PRIVATE"
	return r, uploaded, err
}

// resource describes an HDFS file for YARN with its exact size and mtime.
func (c *Client) resource(fs *hdfs.Client, p string) (appmaster.Resource, error) {
	fi, err := fs.Stat(p)
	if err != nil {
		return appmaster.Resource{}, fmt.Errorf("stat %s: %w", p, err)
	}
	return appmaster.Resource{URL: c.hdfsURL(p), Size: fi.Size(), Timestamp: fi.ModTime().UnixMilli()}, nil
}

// hdfsURL qualifies a path with fs.defaultFS.
func (c *Client) hdfsURL(p string) string {
	if strings.Contains(p, "://") {
		return p
	}
	fsURI := strings.TrimSuffix(c.Hadoop.GetDefault("fs.defaultFS", ""), "/")
	return fsURI + p
}

func copyToHDFS(fs *hdfs.Client, local, dst string, perm os.FileMode) error {
	in, err := os.Open(local)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := fmt.Sprintf("%s._tmp_%x", dst, randBytes(4))
	w, err := createFile(fs, tmp, perm)
	if err != nil {
		return fmt.Errorf("upload %s: %w", local, err)
	}
	if _, err := io.Copy(w, in); err != nil {
		w.Close()
		_ = fs.Remove(tmp)
		return fmt.Errorf("upload %s to %s: %w", local, dst, err)
	}
	if err := hadooprpc.CloseHDFSFile(context.Background(), w); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("upload %s to %s: %w", local, dst, err)
	}
	if err := fs.Rename(tmp, dst); err != nil {
		_ = fs.Remove(tmp)
		return fmt.Errorf("upload %s: rename to %s: %w", local, dst, err)
	}
	return nil
}

// createFile creates a file with the cluster's default replication and
// block size (colinmarc/hdfs's CreateFile takes them explicitly).
func createFile(fs *hdfs.Client, name string, perm os.FileMode) (*hdfs.FileWriter, error) {
	d, err := fs.ServerDefaults()
	if err != nil {
		return nil, fmt.Errorf("hdfs server defaults: %w", err)
	}
	return fs.CreateFile(name, d.Replication, d.BlockSize, perm)
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err) // plain structs: cannot fail
	}
	return b
}
