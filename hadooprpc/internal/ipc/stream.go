package ipc

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
)

// maxForeignContext bounds the connection context frame a stream's caller
// writes (and which the stream drops); real ones are under 200 bytes.
const maxForeignContext = 64 << 10

// NewStream authenticates over nc as Dial does (preamble, SASL, this
// package's connection context from opts) and then lends the connection to
// a caller that frames its own calls but cannot authenticate this way:
// colinmarc/hdfs, which speaks only SIMPLE and KERBEROS without proxy
// users, is handed a NameNode connection authenticated with a delegation
// token. The caller's own preamble (7 bytes) and connection context (its
// first frame) are dropped, since this connection has sent its own. With
// SASL integrity or privacy, what the caller writes is wrapped and what it
// reads comes unwrapped, so it sees the plain packet stream either way.
func NewStream(ctx context.Context, nc net.Conn, addr string, opts Options) (net.Conn, error) {
	c, br, err := handshake(ctx, nc, addr, opts)
	if err != nil {
		return nil, err
	}
	s := &stream{Conn: nc, c: c, in: br}
	if c.layer != nil {
		s.in = &unwrapReader{r: br, layer: c.layer, max: c.maxResp}
	}
	return s, nil
}

// stream is the connection NewStream lends out.
type stream struct {
	net.Conn // deadlines, addresses, Close
	c        *Conn
	in       io.Reader

	rmu sync.Mutex
	wmu sync.Mutex
	// What of the caller's own setup is still to be dropped: first the
	// preamble, then the context frame's length prefix, then its body.
	pre  []byte
	lenb []byte
	skip int
	done bool
}

func (s *stream) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.in.Read(p)
}

func (s *stream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	n := len(p)
	for !s.done && len(p) > 0 {
		switch {
		case len(s.pre) < 7:
			k := min(7-len(s.pre), len(p))
			s.pre = append(s.pre, p[:k]...)
			p = p[k:]
			if len(s.pre) >= 4 && string(s.pre[:4]) != "hrpc" {
				return 0, fmt.Errorf("ipc stream to %s: the caller's first bytes %q are not a Hadoop IPC preamble", s.c.addr, s.pre)
			}
		case len(s.lenb) < 4:
			k := min(4-len(s.lenb), len(p))
			s.lenb = append(s.lenb, p[:k]...)
			p = p[k:]
			if len(s.lenb) == 4 {
				s.skip = int(binary.BigEndian.Uint32(s.lenb))
				if s.skip > maxForeignContext {
					return 0, fmt.Errorf("ipc stream to %s: the caller's connection context is %d bytes, more than %d", s.c.addr, s.skip, maxForeignContext)
				}
				s.done = s.skip == 0
			}
		default:
			k := min(s.skip, len(p))
			s.skip -= k
			p = p[k:]
			s.done = s.skip == 0
		}
	}
	if len(p) == 0 {
		return n, nil
	}
	if err := s.c.writeWrapped(p); err != nil {
		return 0, err
	}
	return n, nil
}
