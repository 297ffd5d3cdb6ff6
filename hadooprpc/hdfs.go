package hadooprpc

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
)

// NewHDFS connects a colinmarc/hdfs client to the NameNode(s) named by cfg
// (fs.defaultFS, HA nameservices included), acting as o.User under SIMPLE
// authentication or as the Kerberos principal under kerberos.
func NewHDFS(cfg *conf.Config, o Options) (*hdfs.Client, error) {
	return NewHDFSContext(context.Background(), cfg, o)
}

// NewHDFSContext is NewHDFS whose connections, to NameNodes and DataNodes,
// end with ctx. colinmarc/hdfs takes no context, so a NameNode that accepts
// and never answers would hold a call forever: each connection is dialled
// under ctx and closed when ctx ends, so a blocked call returns with an
// error then.
func NewHDFSContext(ctx context.Context, cfg *conf.Config, o Options) (*hdfs.Client, error) {
	addrs, err := cfg.NameNodeAddresses()
	if err != nil {
		return nil, fmt.Errorf("hdfs: %w", err)
	}
	opts := hdfs.ClientOptions{Addresses: addrs, User: o.User}
	if ctx.Done() != nil {
		opts.NamenodeDialFunc = dialUntil(ctx)
		opts.DatanodeDialFunc = opts.NamenodeDialFunc
	}
	if opts.User == "" {
		if opts.User, err = ipc.DefaultUser(); err != nil {
			return nil, fmt.Errorf("hdfs: %w", err)
		}
	}
	if strings.EqualFold(cfg.GetDefault("hadoop.security.authentication", "simple"), "kerberos") && (o.HDFSToken != nil || o.ProxyUser != "") {
		// colinmarc/hdfs can neither present a delegation token nor act
		// for another user: its NameNode connections are authenticated by
		// package ipc and handed over as plain streams.
		if o.HDFSToken == nil && o.Kerberos == nil {
			if o.Kerberos, err = kerberosLogin(o); err != nil { // once, not per connection
				return nil, err
			}
		}
		_, user, err := namenodeStreamAuth(cfg, o)
		if err != nil {
			return nil, err
		}
		dial := opts.NamenodeDialFunc
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		opts.User = user
		opts.NamenodeDialFunc = streamDialer(ctx, dial, func() (ipc.Options, error) {
			io, _, err := namenodeStreamAuth(cfg, o)
			return io, err
		})
		opts.DataTransferProtection = cfg.GetDefault("dfs.data.transfer.protection", "")
	} else if strings.EqualFold(cfg.GetDefault("hadoop.security.authentication", "simple"), "kerberos") {
		kc := o.Kerberos
		if kc == nil {
			if kc, err = kerberosLogin(o); err != nil {
				return nil, err
			}
		}
		spn, ok := cfg.Get("dfs.namenode.kerberos.principal")
		if !ok {
			return nil, fmt.Errorf("hdfs: hadoop.security.authentication is kerberos but dfs.namenode.kerberos.principal is not set in hdfs-site.xml")
		}
		opts.KerberosClient = kc
		opts.KerberosServicePrincipleName = strings.SplitN(spn, "@", 2)[0]
		opts.DataTransferProtection = cfg.GetDefault("dfs.data.transfer.protection", "")
	}
	c, err := hdfs.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("hdfs: connect to %v: %w", addrs, err)
	}
	return c, nil
}

// CloseHDFSFile completes a file being written. The NameNode answers "not
// yet" (ErrReplicating) while the last block's replicas are being reported;
// like Hadoop's own client it asks again with growing pauses, until ctx ends
// or for 2 minutes at most. Renaming a file still open for write would
// publish an incomplete one, so callers must not skip this.
func CloseHDFSFile(ctx context.Context, w *hdfs.FileWriter) error {
	delay := 50 * time.Millisecond
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := w.Close()
		if err == nil || !hdfs.IsErrReplicating(err) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the NameNode did not complete the file within 2 minutes: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the NameNode to complete the file: %w", ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// namenodeStreamAuth is how package ipc authenticates a NameNode
// connection lent to colinmarc/hdfs: with o.HDFSToken, or as the Kerberos
// principal acting for o.ProxyUser. user is the effective user's short name.
func namenodeStreamAuth(cfg *conf.Config, o Options) (io ipc.Options, user string, err error) {
	qop, err := qopFrom(cfg)
	if err != nil {
		return io, "", err
	}
	io = ipc.Options{Protocol: clientNamenodeProtocol, QOP: qop, PingInterval: -1}
	if o.HDFSToken != nil {
		tok := o.HDFSToken()
		if tok == nil {
			return io, "", fmt.Errorf("hdfs: %w", ErrNoHDFSToken)
		}
		io.Auth, io.Token = ipc.AuthToken, tok
		user = o.User
		if id, err := ParseDelegationTokenID(tok.Identifier); err == nil {
			user = ShortName(id.Owner)
		}
		return io, user, nil
	}
	if io, err = clientAuth(cfg, o, "dfs.namenode.kerberos.principal"); err != nil {
		return io, "", err
	}
	io.Protocol, io.PingInterval = clientNamenodeProtocol, -1
	return io, o.ProxyUser, nil
}

// ShortName is a principal's user part: "alice" for alice/host@REALM.
func ShortName(principal string) string {
	s, _, _ := strings.Cut(principal, "@")
	s, _, _ = strings.Cut(s, "/")
	return s
}

// streamHandshakeTimeout bounds the SASL exchange of a lent connection;
// colinmarc/hdfs dials with no deadline of its own.
const streamHandshakeTimeout = time.Minute

// streamDialer dials with dial, authenticates as auth says (asked anew
// for each connection) under ctx and returns the stream (see
// ipc.NewStream).
func streamDialer(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), auth func() (ipc.Options, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		io, err := auth()
		if err != nil {
			return nil, err
		}
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		hctx, cancel := context.WithTimeout(ctx, streamHandshakeTimeout)
		defer cancel()
		s, err := ipc.NewStream(hctx, nc, addr, io)
		if err != nil {
			return nil, fmt.Errorf("hdfs: authenticate to the NameNode at %s: %w", addr, err)
		}
		return s, nil
	}
}

// dialUntil dials under ctx (colinmarc/hdfs passes context.Background())
// and closes the connection when ctx ends, so that a blocked call fails
// then; ctx.Err() is set by that time, telling callers why.
func dialUntil(ctx context.Context) func(context.Context, string, string) (net.Conn, error) {
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &ctxConn{Conn: c, stop: context.AfterFunc(ctx, func() { c.Close() })}, nil
	}
}

// ctxConn is a connection closed when its context ends.
type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}
