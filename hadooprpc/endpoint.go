package hadooprpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
	"google.golang.org/protobuf/proto"
)

// endpoint is one logical server reachable at several addresses (the
// ResourceManagers of an HA pair). It keeps one multiplexed connection to the
// address that last answered and moves to the next on connection errors and
// StandbyException.
type endpoint struct {
	what  string // for errors: "ResourceManager", "ResourceManager scheduler"
	addrs []string
	// opts returns the connection options at dial time, so a rolled token
	// is used by the next connection.
	opts func() ipc.Options
	// rounds is how many times every address is tried before giving up.
	rounds  int
	backoff time.Duration

	mu   sync.Mutex
	cur  int
	conn *ipc.Conn
}

func newEndpoint(what string, addrs []string, opts func() ipc.Options) *endpoint {
	return &endpoint{what: what, addrs: addrs, opts: opts, rounds: 3, backoff: 200 * time.Millisecond}
}

// call runs one RPC, failing over between addresses as needed.
func (e *endpoint) call(ctx context.Context, method string, req, resp proto.Message) error {
	if len(e.addrs) == 0 {
		return fmt.Errorf("%s %s: no address configured", e.what, method)
	}
	tries := e.rounds * len(e.addrs)
	var errs []error
	for i := 0; i < tries; i++ {
		conn, addr, err := e.connect(ctx)
		if err == nil {
			err = conn.Call(ctx, method, req, resp)
			if err == nil {
				return nil
			}
			err = classify(err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s %s at %s: %w", e.what, method, addr, err)
		}
		if !shouldFailover(err) {
			return fmt.Errorf("%s %s at %s: %w", e.what, method, addr, err)
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		e.drop(conn)
		if (i+1)%len(e.addrs) == 0 { // a whole round failed: back off
			t := time.NewTimer(e.backoff << (i / len(e.addrs)))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s %s: %w (tried %v: %w)", e.what, method, ctx.Err(), e.addrs, errors.Join(errs...))
			case <-t.C:
			}
		}
	}
	return fmt.Errorf("%s %s: %w: tried %v %d times each: %w", e.what, method, ErrUnavailable, e.addrs, e.rounds, errors.Join(errs...))
}

// shouldFailover: the server is down, not the active one, or the connection
// broke. Application errors are returned as they are.
func shouldFailover(err error) bool {
	if errors.Is(err, ErrStandby) || errors.Is(err, ErrRetriable) || errors.Is(err, ipc.ErrClosed) {
		return true
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || errors.As(err, &ne)
}

// connect returns the current connection, dialling the current address if
// there is none. A failed dial moves to the next address.
func (e *endpoint) connect(ctx context.Context) (*ipc.Conn, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	addr := e.addrs[e.cur]
	if e.conn != nil {
		select {
		case <-e.conn.Done():
			e.conn = nil
		default:
			return e.conn, addr, nil
		}
	}
	conn, err := ipc.Dial(ctx, addr, e.opts())
	if err != nil {
		e.cur = (e.cur + 1) % len(e.addrs)
		return nil, addr, err
	}
	e.conn = conn
	return conn, addr, nil
}

// drop forgets conn (if still current) and moves to the next address.
func (e *endpoint) drop(conn *ipc.Conn) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if conn == nil || conn != e.conn {
		return
	}
	_ = e.conn.Close()
	e.conn = nil
	e.cur = (e.cur + 1) % len(e.addrs)
}

// reset closes the connection so the next call dials with fresh options.
func (e *endpoint) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil {
		_ = e.conn.Close()
		e.conn = nil
	}
}

func (e *endpoint) close() error {
	e.reset()
	return nil
}
