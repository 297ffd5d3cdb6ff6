package client

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/spec"
)

// Kerberized says whether the cluster's configuration asks for Kerberos
// (hadoop.security.authentication=kerberos): TLS is then on by default.
func (c *Client) Kerberized() bool {
	return strings.EqualFold(strings.TrimSpace(c.Hadoop.GetDefault("hadoop.security.authentication", "simple")), "kerberos")
}

// tlsDir is the local folder of an application's client TLS files: the
// same 0700 folder as its control secret.
func (c *Client) tlsDir(appID string) string { return filepath.Join(c.Home, "apps", appID) }

// stagingTLSDir holds the client's TLS files on HDFS, so the user's other
// edge nodes can connect too (like the control secret; removed with the
// staging folder when the application ends).
func (c *Client) stagingTLSDir(appID string) string { return path.Join(c.stagingDir(appID), "tls") }

// setupTLS resolves the spec's tls switch (recording the decision in sp,
// which the AM reads) and, when on, makes the application's CA and pairs:
// the client's go to ~/.spindle/apps/<id>/ (0600 files in a 0700 folder)
// and to the staging folder at 0600; all go to the AM in the application's
// credentials (the caller adds them). nil: TLS is off.
func (c *Client) setupTLS(fs *hdfs.Client, appID string, sp *spec.Spec) (*dasktls.Bundle, error) {
	on := sp.UseTLS(c.Kerberized())
	sp.TLS = &on
	if !on {
		return nil, nil
	}
	b, err := dasktls.New(appID, time.Now(), dasktls.Validity(time.Duration(sp.Lifetime)))
	if err != nil {
		return nil, err
	}
	f, err := b.Write(c.tlsDir(appID), dasktls.Client)
	if err != nil {
		return nil, fmt.Errorf("save the client's TLS key: %w", err)
	}
	dir := c.stagingTLSDir(appID)
	if err := fs.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	for _, local := range []string{f.CA, f.Cert, f.Key} {
		if err := copyToHDFS(fs, local, path.Join(dir, filepath.Base(local)), 0o600); err != nil {
			return nil, fmt.Errorf("save the client's TLS key on HDFS: %w", err)
		}
	}
	c.progress("TLS: a certificate authority for this application; the client's key is in %s", c.tlsDir(appID))
	return b, nil
}

// TLSFiles are the client's TLS files of an application, local: those
// saved at submit, else fetched (0600, into a 0700 folder) from its
// staging folder on HDFS, for a user on another edge node.
func (c *Client) TLSFiles(appID string) (dasktls.Files, error) {
	dir := c.tlsDir(appID)
	_, f, err := dasktls.Read(dir, dasktls.Client)
	if err == nil || !errors.Is(err, dasktls.ErrNoFiles) {
		return f, err
	}
	fs, ferr := c.FS()
	if ferr != nil {
		return f, ferr
	}
	b := &dasktls.Bundle{Pairs: map[dasktls.Role]dasktls.Pair{}}
	var p dasktls.Pair
	for _, x := range []struct {
		name string
		dst  *[]byte
	}{{filepath.Base(f.CA), &b.CA}, {filepath.Base(f.Cert), &p.Cert}, {filepath.Base(f.Key), &p.Key}} {
		src := path.Join(c.stagingTLSDir(appID), x.name)
		if *x.dst, err = readSmallHDFS(fs, src); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return f, fmt.Errorf("%w: the application's scheduler speaks TLS, and its client key is neither in %s nor in %s on HDFS: was it submitted by %s, and is it still running?",
					dasktls.ErrNoFiles, dir, c.stagingTLSDir(appID), c.User)
			}
			return f, fmt.Errorf("read the client's TLS key from HDFS: %w", err)
		}
	}
	b.Pairs[dasktls.Client] = p
	return b.Write(dir, dasktls.Client)
}

// readSmallHDFS reads a file of at most 64 KiB (PEM files are far smaller).
func readSmallHDFS(fs *hdfs.Client, name string) ([]byte, error) {
	r, err := fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, 64<<10+1))
	if err == nil && len(b) > 64<<10 {
		err = fmt.Errorf("%s is larger than 64 KiB", name)
	}
	return b, err
}
