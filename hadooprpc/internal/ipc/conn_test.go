package ipc

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

var testClientID = bytes.Repeat([]byte{0xAB}, 16)

func dialT(t testing.TB, addr string, mod func(*Options)) *Conn {
	t.Helper()
	o := Options{Protocol: "p", User: "alice", ClientID: testClientID, PingInterval: -1}
	if mod != nil {
		mod(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHandshakeAndCallBytes(t *testing.T) {
	got := make(chan []byte, 3)
	addr := startServer(t, func(s *srvConn) {
		got <- s.preamble()
		got <- s.frame()
		got <- s.frame()
	})
	c := dialT(t, addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c.Call(ctx, "getX", &rpcpb.UserInformationProto{EffectiveUser: proto.String("q")}, &rpcpb.UserInformationProto{})

	if p := <-got; hex.EncodeToString(p) != "68727063090000" {
		t.Errorf("preamble % x", p)
	}
	cid := strings.Repeat("ab", 16)
	// header: rpcKind=2, rpcOp=0, callId=zigzag(-3)=5, clientId, retryCount=zigzag(-1)=1
	hdr := "1a" + "0802" + "1000" + "1805" + "2210" + cid + "2801"
	ctxMsg := "0c" + "1207" + "0a05" + hex.EncodeToString([]byte("alice")) + "1a01" + "70"
	if f := hex.EncodeToString(<-got); f != hdr+ctxMsg {
		t.Errorf("connection context frame\n got %s\nwant %s", f, hdr+ctxMsg)
	}
	// call 0: callId=0, retryCount=0; RequestHeaderProto{methodName, protocol, version 1}
	callHdr := "1a" + "0802" + "1000" + "1800" + "2210" + cid + "2800"
	rh := "0b" + "0a04" + hex.EncodeToString([]byte("getX")) + "1201" + "70" + "1801"
	body := "03" + "0a0171"
	if f := hex.EncodeToString(<-got); f != callHdr+rh+body {
		t.Errorf("call frame\n got %s\nwant %s", f, callHdr+rh+body)
	}
}

func TestOutOfOrderMultiplexing(t *testing.T) {
	const n = 20
	addr := startServer(t, func(s *srvConn) {
		s.simpleSetup()
		type call struct {
			id  int32
			req *rpcpb.UserInformationProto
		}
		var calls []call
		for i := 0; i < n; i++ {
			id, _, req := s.call()
			calls = append(calls, call{id, req})
		}
		for i := n - 1; i >= 0; i-- { // answer in reverse order
			s.reply(calls[i].id, calls[i].req)
		}
	})
	c := dialT(t, addr, nil)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			want := fmt.Sprint("user", i)
			var resp rpcpb.UserInformationProto
			if err := c.Call(context.Background(), "m", &rpcpb.UserInformationProto{EffectiveUser: proto.String(want)}, &resp); err != nil {
				t.Error(err)
			} else if resp.GetEffectiveUser() != want {
				t.Errorf("got %q want %q", resp.GetEffectiveUser(), want)
			}
		}(i)
	}
	wg.Wait()
}

func TestErrorKeepsConnectionFatalCloses(t *testing.T) {
	addr := startServer(t, func(s *srvConn) {
		s.simpleSetup()
		id, _, _ := s.call()
		s.fail(id, rpcpb.RpcResponseHeaderProto_ERROR, rpcpb.RpcResponseHeaderProto_ERROR_APPLICATION,
			"org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException", "Application with id 'x' doesn't exist in RM.\n\tat stack")
		id, _, req := s.call()
		s.reply(id, req)
		id, _, _ = s.call()
		s.fail(id, rpcpb.RpcResponseHeaderProto_FATAL, rpcpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED,
			"org.apache.hadoop.security.AccessControlException", "denied")
	})
	c := dialT(t, addr, nil)
	var resp rpcpb.UserInformationProto
	err := c.Call(context.Background(), "getApp", &rpcpb.UserInformationProto{}, &resp)
	var re *RemoteError
	if !errors.As(err, &re) || re.Fatal || re.ErrorCode != "ERROR_APPLICATION" || re.Method != "getApp" ||
		!strings.HasSuffix(re.Class, "ApplicationNotFoundException") {
		t.Fatalf("got %#v", err)
	}
	if strings.Contains(err.Error(), "at stack") {
		t.Errorf("Error() should hide the stack trace: %s", err)
	}
	if err := c.Call(context.Background(), "ok", &rpcpb.UserInformationProto{EffectiveUser: proto.String("z")}, &resp); err != nil || resp.GetEffectiveUser() != "z" {
		t.Fatalf("after ERROR: %v", err)
	}
	err = c.Call(context.Background(), "bad", &rpcpb.UserInformationProto{}, &resp)
	if !errors.As(err, &re) || !re.Fatal || re.ErrorCode != "FATAL_UNAUTHORIZED" {
		t.Fatalf("got %v", err)
	}
	<-c.Done()
	err = c.Call(context.Background(), "again", &rpcpb.UserInformationProto{}, &resp)
	if !errors.Is(err, ErrClosed) || !errors.As(err, &re) {
		t.Fatalf("after FATAL: %v", err)
	}
}

func TestDeadlineDropsLateResponse(t *testing.T) {
	release := make(chan struct{})
	addr := startServer(t, func(s *srvConn) {
		s.simpleSetup()
		slow, _, slowReq := s.call()
		<-release
		s.reply(slow, slowReq) // late: the caller gave up
		id, _, req := s.call()
		s.reply(id, req)
	})
	c := dialT(t, addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Call(ctx, "slow", &rpcpb.UserInformationProto{EffectiveUser: proto.String("slow")}, &rpcpb.UserInformationProto{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(start))
	}
	close(release)
	var resp rpcpb.UserInformationProto
	if err := c.Call(context.Background(), "fast", &rpcpb.UserInformationProto{EffectiveUser: proto.String("fast")}, &resp); err != nil || resp.GetEffectiveUser() != "fast" {
		t.Fatalf("after timeout: %v %q", err, resp.GetEffectiveUser())
	}
}

func TestPingWhenIdle(t *testing.T) {
	pinged := make(chan *rpcpb.RpcRequestHeaderProto, 1)
	addr := startServer(t, func(s *srvConn) {
		s.simpleSetup()
		h, parts := s.request()
		if h != nil && len(parts) == 0 {
			pinged <- h
		}
	})
	dialT(t, addr, func(o *Options) { o.PingInterval = 30 * time.Millisecond })
	select {
	case h := <-pinged:
		if h.GetCallId() != callIDPing || h.GetRetryCount() != -1 {
			t.Fatalf("ping header %v", h)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no ping")
	}
}

func TestOversizedResponse(t *testing.T) {
	addr := startServer(t, func(s *srvConn) {
		s.simpleSetup()
		s.call()
		s.send([]byte{0x7f, 0xff, 0xff, 0xff})
		time.Sleep(time.Second)
	})
	c := dialT(t, addr, nil)
	err := c.Call(context.Background(), "m", &rpcpb.UserInformationProto{}, &rpcpb.UserInformationProto{})
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("got %v", err)
	}
}

func TestServerCloseFailsPending(t *testing.T) {
	addr := startServer(t, func(s *srvConn) {
		s.simpleSetup()
		s.call()
	})
	c := dialT(t, addr, nil)
	err := c.Call(context.Background(), "m", &rpcpb.UserInformationProto{}, &rpcpb.UserInformationProto{})
	if !errors.Is(err, ErrClosed) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("got %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err := Dial(context.Background(), addr, Options{Protocol: "p"})
	if err == nil || !strings.HasPrefix(err.Error(), "dial "+addr) {
		t.Fatalf("got %v", err)
	}
	// A server that never answers the SASL negotiation: the deadline wins.
	addr = startServer(t, func(s *srvConn) { s.preamble(); time.Sleep(2 * time.Second) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, addr, Options{Protocol: "p", Token: &Token{Identifier: []byte("i"), Password: []byte("p")}})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "sasl negotiate with "+addr) {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkCallRoundTrip(b *testing.B) {
	addr := startServer(b, echoServer)
	c := dialT(b, addr, nil)
	req := &rpcpb.UserInformationProto{EffectiveUser: proto.String("bench")}
	var resp rpcpb.UserInformationProto
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Call(context.Background(), "m", req, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConcurrentCalls(b *testing.B) {
	addr := startServer(b, echoServer)
	c := dialT(b, addr, nil)
	req := &rpcpb.UserInformationProto{EffectiveUser: proto.String("bench")}
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/1000 + 1
	for g := 0; g < 1000; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var resp rpcpb.UserInformationProto
			for i := 0; i < per; i++ {
				if err := c.Call(context.Background(), "m", req, &resp); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
