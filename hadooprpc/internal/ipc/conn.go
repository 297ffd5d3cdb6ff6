// Package ipc owns one Hadoop IPC client connection: the connection
// preamble, SASL negotiation (via package sasl), the connection context,
// request/response framing, multiplexing concurrent calls by call id, pings
// and the SASL security layer (auth-int/auth-conf wrapping).
package ipc

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/sasl"
)

// AuthMethod selects how a connection authenticates.
type AuthMethod int

const (
	// AuthAuto uses TOKEN when a token is given, else KERBEROS when a
	// Kerberos client is given, else SIMPLE.
	AuthAuto AuthMethod = iota
	// AuthSimple sends the user name in the connection context, no SASL.
	AuthSimple
	// AuthToken authenticates with a Hadoop token over DIGEST-MD5.
	AuthToken
	// AuthKerberos authenticates with Kerberos over GSSAPI.
	AuthKerberos
)

func (a AuthMethod) String() string {
	switch a {
	case AuthSimple:
		return "SIMPLE"
	case AuthToken:
		return "TOKEN"
	case AuthKerberos:
		return "KERBEROS"
	}
	return "AUTO"
}

// Token is a Hadoop token as stored in a credentials file.
type Token struct {
	Identifier []byte
	Password   []byte
	Kind       string
	Service    string
}

// DefaultPingInterval is how long a connection may go without sending
// anything before a ping is sent. Hadoop servers drop connections idle for
// about 2*ipc.client.connection.maxidletime (20 s by default), so this stays
// below that.
const DefaultPingInterval = 10 * time.Second

// Options configure a connection.
type Options struct {
	// Protocol is the Java protocol name, e.g.
	// "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB". It goes into
	// the connection context and every request header.
	Protocol string
	// User is the effective user. For SIMPLE it defaults to
	// $HADOOP_USER_NAME, then the OS user; for KERBEROS to the client's
	// principal; it is not sent for TOKEN.
	User string
	// RealUser is the authenticated user when User is a proxy user (SIMPLE).
	RealUser string
	Auth     AuthMethod
	Token    *Token
	// Kerberos is a logged-in gokrb5 client, used for KERBEROS.
	Kerberos *client.Client
	// ServicePrincipal is the server's expected principal, e.g.
	// "rm/_HOST@EXAMPLE.COM" (_HOST becomes the server's advertised host).
	// When empty the server's advertised principal is trusted.
	ServicePrincipal string
	// AllowSimpleFallback lets a KERBEROS connection continue when the
	// server says it only needs SIMPLE. TOKEN connections always may.
	AllowSimpleFallback bool
	// QOP lists acceptable SASL protections in order of preference
	// (sasl.DefaultQOP when empty).
	QOP []sasl.QOP
	// ClientID is the 16-byte client id; random when nil. Share one per
	// client so the server's retry cache recognises retried calls.
	ClientID []byte
	// PingInterval is the idle time after which a ping is sent;
	// DefaultPingInterval when 0, no pings when negative.
	PingInterval time.Duration
	// MaxResponseSize bounds a response packet; DefaultMaxResponseSize when 0.
	MaxResponseSize int
	// Dialer opens the TCP connection; a net.Dialer when nil.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewClientID returns 16 random bytes for Options.ClientID.
func NewClientID() []byte {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // never happens on supported platforms
	}
	return b
}

// DefaultUser is the SIMPLE user: $HADOOP_USER_NAME, else the OS user.
func DefaultUser() (string, error) {
	if u := os.Getenv("HADOOP_USER_NAME"); u != "" {
		return u, nil
	}
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("find the current OS user (set HADOOP_USER_NAME): %w", err)
	}
	return u.Username, nil
}

type result struct {
	body []byte
	err  error
}

// Conn is one IPC connection. Its methods are safe for concurrent use;
// concurrent calls share the connection.
type Conn struct {
	addr     string
	opts     Options
	nc       net.Conn
	clientID []byte
	maxResp  int

	auth  AuthMethod // what was actually used
	qop   sasl.QOP
	layer sasl.Layer

	wsem      chan struct{} // one writer at a time
	lastWrite atomic.Int64
	nextID    atomic.Uint32

	mu      sync.Mutex
	pending map[int32]chan result

	closeOnce sync.Once
	closed    chan struct{}
	err       error // set before closed is closed
}

// Dial connects to a Hadoop IPC server at addr (host:port), authenticates
// and sends the connection context.
func Dial(ctx context.Context, addr string, opts Options) (*Conn, error) {
	dial := opts.Dialer
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c, err := NewConn(ctx, nc, addr, opts)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// NewConn runs the connection setup over an already open nc (closed on
// failure). addr names the peer in errors.
func NewConn(ctx context.Context, nc net.Conn, addr string, opts Options) (*Conn, error) {
	c, br, err := handshake(ctx, nc, addr, opts)
	if err != nil {
		return nil, err
	}
	var in io.Reader = br
	if c.layer != nil {
		in = &unwrapReader{r: br, layer: c.layer, max: c.maxResp}
	}
	c.lastWrite.Store(time.Now().UnixNano())
	go c.readLoop(in)
	if iv := c.pingInterval(); iv > 0 {
		go c.pingLoop(iv)
	}
	return c, nil
}

// handshake makes a Conn over nc and runs the connection setup; nc is
// closed on failure.
func handshake(ctx context.Context, nc net.Conn, addr string, opts Options) (*Conn, *bufio.Reader, error) {
	c := &Conn{
		addr:     addr,
		opts:     opts,
		nc:       nc,
		clientID: opts.ClientID,
		maxResp:  opts.MaxResponseSize,
		wsem:     make(chan struct{}, 1),
		pending:  make(map[int32]chan result),
		closed:   make(chan struct{}),
	}
	if c.clientID == nil {
		c.clientID = NewClientID()
	}
	if c.maxResp <= 0 {
		c.maxResp = DefaultMaxResponseSize
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	if err := c.setup(ctx, br); err != nil {
		nc.Close()
		return nil, nil, err
	}
	return c, br, nil
}

func (c *Conn) pingInterval() time.Duration {
	if c.opts.PingInterval == 0 {
		return DefaultPingInterval
	}
	return c.opts.PingInterval
}

// setup writes the preamble, negotiates SASL when needed and sends the
// connection context, all under ctx's deadline.
func (c *Conn) setup(ctx context.Context, br *bufio.Reader) error {
	if c.opts.Protocol == "" {
		return fmt.Errorf("connect to %s: no protocol name given", c.addr)
	}
	if len(c.clientID) != 16 {
		return fmt.Errorf("connect to %s: client id is %d bytes, want 16", c.addr, len(c.clientID))
	}
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		stop()
		c.nc.SetDeadline(time.Time{})
	}()
	ctxErr := func(err error) error { return withCtxErr(ctx, err) }

	auth := c.opts.Auth
	if auth == AuthAuto {
		switch {
		case c.opts.Token != nil:
			auth = AuthToken
		case c.opts.Kerberos != nil:
			auth = AuthKerberos
		default:
			auth = AuthSimple
		}
	}
	switch {
	case auth == AuthToken && c.opts.Token == nil:
		return fmt.Errorf("connect to %s: TOKEN authentication needs a token", c.addr)
	case auth == AuthKerberos && c.opts.Kerberos == nil:
		return fmt.Errorf("connect to %s: KERBEROS authentication needs a Kerberos client", c.addr)
	}

	preamble := []byte{'h', 'r', 'p', 'c', 9, 0, 0}
	if auth != AuthSimple {
		preamble[6] = 0xDF // SASL
	}
	if _, err := c.nc.Write(preamble); err != nil {
		return fmt.Errorf("send preamble to %s: %w", c.addr, ctxErr(err))
	}
	c.auth = auth
	if auth != AuthSimple {
		if err := c.negotiate(br, auth); err != nil {
			return fmt.Errorf("sasl negotiate with %s: %w", c.addr, ctxErr(err))
		}
	}

	cc := &rpcpb.IpcConnectionContextProto{Protocol: proto.String(c.opts.Protocol)}
	switch c.auth {
	case AuthSimple:
		u := c.opts.User
		if u == "" {
			var err error
			if u, err = DefaultUser(); err != nil {
				return fmt.Errorf("connect to %s: %w", c.addr, err)
			}
		}
		cc.UserInfo = &rpcpb.UserInformationProto{EffectiveUser: proto.String(u)}
		if c.opts.RealUser != "" {
			cc.UserInfo.RealUser = proto.String(c.opts.RealUser)
		}
	case AuthKerberos:
		// The real user is the Kerberos identity; only the effective user is sent.
		u := c.opts.User
		if u == "" {
			cr := c.opts.Kerberos.Credentials
			u = cr.CName().PrincipalNameString() + "@" + cr.Domain()
		}
		cc.UserInfo = &rpcpb.UserInformationProto{EffectiveUser: proto.String(u)}
	case AuthToken:
		// The token names the user; a different effective user would be rejected.
	}
	frame, err := buildFrame(requestHeader(callIDConnectionContext, c.clientID, invalidRetryCount), cc)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.addr, err)
	}
	if err := c.writeRaw(frame); err != nil {
		return fmt.Errorf("send connection context to %s: %w", c.addr, ctxErr(err))
	}
	return nil
}

// withCtxErr attributes a socket timeout to ctx when ctx's deadline (which
// was copied onto the socket) caused it; the socket may fire a moment
// before ctx's own timer.
func withCtxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	if dl, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(dl.Add(-time.Millisecond)) {
		return fmt.Errorf("%w (%v)", context.DeadlineExceeded, err)
	}
	return err
}

// Addr returns the address the connection was made to.
func (c *Conn) Addr() string { return c.addr }

// AuthMethod returns the authentication finally used (after any fallback).
func (c *Conn) AuthMethod() AuthMethod { return c.auth }

// QOP returns the SASL quality of protection, empty for SIMPLE.
func (c *Conn) QOP() sasl.QOP { return c.qop }

// Done is closed once the connection is unusable.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Err returns why the connection closed, nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.closed:
		return c.err
	default:
		return nil
	}
}

// Close closes the connection; pending calls fail with ErrClosed.
func (c *Conn) Close() error {
	c.fail(fmt.Errorf("%w: closed by client", ErrClosed))
	return nil
}

// fail records err (first one wins), closes the socket and fails every
// pending call.
func (c *Conn) fail(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		if !errors.Is(err, ErrClosed) {
			c.err = fmt.Errorf("%w: %w", ErrClosed, err)
		}
		close(c.closed)
		c.nc.Close()
		c.mu.Lock()
		p := c.pending
		c.pending = nil
		c.mu.Unlock()
		for _, ch := range p {
			ch <- result{err: err}
		}
	})
}

// Call invokes method with req and decodes the reply into resp. A server
// ERROR comes back as *RemoteError and leaves the connection usable.
func (c *Conn) Call(ctx context.Context, method string, req, resp proto.Message) error {
	id := int32(c.nextID.Add(1)-1) & 0x7fffffff
	ch := make(chan result, 1)
	c.mu.Lock()
	if c.pending == nil {
		c.mu.Unlock()
		return fmt.Errorf("call %s on %s: %w", method, c.addr, c.err)
	}
	c.pending[id] = ch
	c.mu.Unlock()

	frame, err := buildFrame(
		requestHeader(id, c.clientID, 0),
		&rpcpb.RequestHeaderProto{
			MethodName:                 proto.String(method),
			DeclaringClassProtocolName: proto.String(c.opts.Protocol),
			ClientProtocolVersion:      proto.Uint64(1),
		},
		req)
	if err != nil {
		c.forget(id)
		return fmt.Errorf("call %s on %s: %w", method, c.addr, err)
	}
	if err := c.write(ctx, frame); err != nil {
		c.forget(id)
		return fmt.Errorf("call %s on %s: %w", method, c.addr, err)
	}

	select {
	case r := <-ch:
		if r.err != nil {
			var re *RemoteError
			if errors.As(r.err, &re) && re.Method == "" {
				cp := *re
				cp.Method = method
				return &cp
			} else if re != nil {
				return re
			}
			return fmt.Errorf("call %s on %s: %w", method, c.addr, r.err)
		}
		if err := proto.Unmarshal(r.body, resp); err != nil {
			return fmt.Errorf("call %s on %s: decode %s: %w", method, c.addr, resp.ProtoReflect().Descriptor().FullName(), err)
		}
		return nil
	case <-ctx.Done():
		// The late response, if any, is dropped by the reader.
		c.forget(id)
		return fmt.Errorf("call %s on %s: %w", method, c.addr, ctx.Err())
	}
}

func (c *Conn) forget(id int32) {
	c.mu.Lock()
	if c.pending != nil {
		delete(c.pending, id)
	}
	c.mu.Unlock()
}

// write sends one frame, waiting for the writer slot no longer than ctx
// allows. A write that fails part-way leaves the stream corrupt, so it fails
// the connection.
func (c *Conn) write(ctx context.Context, frame []byte) error {
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return c.err
	}
	defer func() { <-c.wsem }()
	select {
	case <-c.closed:
		return c.err
	default:
	}
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetWriteDeadline(dl)
		defer c.nc.SetWriteDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.writeWrapped(frame); err != nil {
		err = withCtxErr(ctx, err)
		c.fail(fmt.Errorf("%w: write to %s failed: %v", ErrClosed, c.addr, err))
		return err
	}
	return nil
}

// writeWrapped sends frame, through the SASL layer when one is in force.
// The caller holds the writer slot.
func (c *Conn) writeWrapped(frame []byte) error {
	if c.layer == nil {
		return c.writeRaw(frame)
	}
	max := c.layer.MaxWrap()
	if max < 64 {
		max = 64
	}
	// Wrapping covers the length prefix too: the peer unwraps into a byte
	// stream and reads frames from it.
	for len(frame) > 0 {
		n := min(len(frame), max)
		tok, err := c.layer.Wrap(frame[:n])
		if err != nil {
			return fmt.Errorf("sasl wrap: %w", err)
		}
		out, err := buildFrame(requestHeader(callIDSASL, dummyClientID, invalidRetryCount),
			&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_WRAP.Enum(), Token: tok})
		if err != nil {
			return err
		}
		if err := c.writeRaw(out); err != nil {
			return err
		}
		frame = frame[n:]
	}
	return nil
}

func (c *Conn) writeRaw(b []byte) error {
	_, err := c.nc.Write(b)
	c.lastWrite.Store(time.Now().UnixNano())
	return err
}

func (c *Conn) readLoop(in io.Reader) {
	for {
		frame, err := readFrame(in, c.maxResp)
		if err != nil {
			select {
			case <-c.closed:
				return
			default:
			}
			var re *RemoteError
			if errors.As(err, &re) {
				c.fail(re)
				return
			}
			if errors.Is(err, io.EOF) {
				err = errors.New("server closed the connection")
			}
			c.fail(fmt.Errorf("%w: read from %s: %v", ErrClosed, c.addr, err))
			return
		}
		h, body, err := parseResponse(frame)
		if err != nil {
			c.fail(fmt.Errorf("%w: bad response from %s: %v", ErrClosed, c.addr, err))
			return
		}
		id := int32(h.GetCallId())
		switch h.GetStatus() {
		case rpcpb.RpcResponseHeaderProto_SUCCESS:
			c.deliver(id, result{body: body})
		case rpcpb.RpcResponseHeaderProto_ERROR:
			c.deliver(id, result{err: remoteErrorFrom(h, "")})
		default:
			re := remoteErrorFrom(h, "")
			re.Fatal = true
			c.fail(re)
			return
		}
	}
}

func (c *Conn) deliver(id int32, r result) {
	c.mu.Lock()
	ch := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// pingLoop sends a ping whenever nothing was written for iv, so the server
// neither times the connection out nor suspects a dead client.
func (c *Conn) pingLoop(iv time.Duration) {
	ping, err := buildFrame(requestHeader(callIDPing, c.clientID, invalidRetryCount))
	if err != nil {
		return
	}
	t := time.NewTicker(max(iv/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-t.C:
		}
		if time.Since(time.Unix(0, c.lastWrite.Load())) < iv {
			continue
		}
		select {
		case c.wsem <- struct{}{}:
		default:
			continue // someone is writing: not idle
		}
		c.nc.SetWriteDeadline(time.Now().Add(iv))
		err := c.writeWrapped(ping)
		c.nc.SetWriteDeadline(time.Time{})
		<-c.wsem
		if err != nil {
			c.fail(fmt.Errorf("%w: ping %s: %v", ErrClosed, c.addr, err))
			return
		}
	}
}

// unwrapReader turns the SASL WRAP packets of a protected connection back
// into the plain packet stream.
type unwrapReader struct {
	r     io.Reader
	layer sasl.Layer
	max   int
	buf   []byte
}

func (u *unwrapReader) Read(p []byte) (int, error) {
	for len(u.buf) == 0 {
		frame, err := readFrame(u.r, u.max)
		if err != nil {
			return 0, err
		}
		h, m, err := parseSASL(frame)
		if err != nil {
			return 0, err
		}
		if m == nil {
			// An unwrapped error: the server failed before it could wrap.
			re := remoteErrorFrom(h, "")
			re.Fatal = true
			return 0, re
		}
		if m.GetState() != rpcpb.RpcSaslProto_WRAP {
			return 0, fmt.Errorf("expected a SASL WRAP packet, got %s", m.GetState())
		}
		if u.buf, err = u.layer.Unwrap(m.GetToken()); err != nil {
			return 0, fmt.Errorf("sasl unwrap: %w", err)
		}
	}
	n := copy(p, u.buf)
	u.buf = u.buf[n:]
	return n, nil
}
