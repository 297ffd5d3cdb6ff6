package ipc

import (
	"bufio"
	"io"
	"net"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

// srvConn is the server end of a fake Hadoop IPC server speaking raw frames.
type srvConn struct {
	tb  testing.TB
	c   net.Conn
	r   *bufio.Reader
	wmu sync.Mutex
}

// startServer listens on loopback and runs handle for each connection.
func startServer(tb testing.TB, handle func(s *srvConn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(&srvConn{tb: tb, c: c, r: bufio.NewReader(c)})
			}()
		}
	}()
	return ln.Addr().String()
}

func (s *srvConn) preamble() []byte {
	b := make([]byte, 7)
	if _, err := io.ReadFull(s.r, b); err != nil {
		return nil
	}
	return b
}

func (s *srvConn) frame() []byte {
	f, err := readFrame(s.r, 1<<30)
	if err != nil {
		return nil
	}
	return f
}

// request splits a request frame into its header and the remaining
// delimited messages.
func (s *srvConn) request() (*rpcpb.RpcRequestHeaderProto, [][]byte) {
	f := s.frame()
	if f == nil {
		return nil, nil
	}
	var parts [][]byte
	for len(f) > 0 {
		m, rest, err := nextDelimited(f)
		if err != nil {
			s.tb.Errorf("bad request frame: %v", err)
			return nil, nil
		}
		parts = append(parts, m)
		f = rest
	}
	h := &rpcpb.RpcRequestHeaderProto{}
	if err := proto.Unmarshal(parts[0], h); err != nil {
		s.tb.Errorf("bad request header: %v", err)
		return nil, nil
	}
	return h, parts[1:]
}

// call reads a connection-context-free RPC call.
func (s *srvConn) call() (id int32, method string, req *rpcpb.UserInformationProto) {
	h, parts := s.request()
	if h == nil {
		return 0, "", nil
	}
	if len(parts) != 2 {
		s.tb.Errorf("call frame has %d messages after the header", len(parts))
		return 0, "", nil
	}
	rh := &rpcpb.RequestHeaderProto{}
	proto.Unmarshal(parts[0], rh)
	req = &rpcpb.UserInformationProto{}
	proto.Unmarshal(parts[1], req)
	return h.GetCallId(), rh.GetMethodName(), req
}

func (s *srvConn) send(b []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.c.Write(b)
}

func (s *srvConn) reply(id int32, body proto.Message) {
	f, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{
		CallId: proto.Uint32(uint32(id)), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum(),
	}, body)
	s.send(f)
}

func (s *srvConn) fail(id int32, status rpcpb.RpcResponseHeaderProto_RpcStatusProto, code rpcpb.RpcResponseHeaderProto_RpcErrorCodeProto, class, msg string) {
	f, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{
		CallId: proto.Uint32(uint32(id)), Status: status.Enum(),
		ExceptionClassName: proto.String(class), ErrorMsg: proto.String(msg), ErrorDetail: code.Enum(),
	})
	s.send(f)
}

// simpleSetup consumes the preamble and connection context of a SIMPLE client.
func (s *srvConn) simpleSetup() *rpcpb.IpcConnectionContextProto {
	if s.preamble() == nil {
		return nil
	}
	h, parts := s.request()
	if h == nil || h.GetCallId() != callIDConnectionContext || len(parts) != 1 {
		s.tb.Errorf("expected connection context, got %v", h)
		return nil
	}
	cc := &rpcpb.IpcConnectionContextProto{}
	proto.Unmarshal(parts[0], cc)
	return cc
}

// echoServer answers every call with its request, in order.
func echoServer(s *srvConn) {
	if s.simpleSetup() == nil {
		return
	}
	for {
		id, _, req := s.call()
		if req == nil {
			return
		}
		s.reply(id, req)
	}
}

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
