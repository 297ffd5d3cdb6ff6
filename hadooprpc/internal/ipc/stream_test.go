package ipc

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

// foreignSetup is what colinmarc/hdfs writes on a fresh NameNode
// connection: a SIMPLE preamble, then a connection context naming its user.
func foreignSetup(t *testing.T) []byte {
	t.Helper()
	cc, err := buildFrame(requestHeader(callIDConnectionContext, testClientID, invalidRetryCount),
		&rpcpb.IpcConnectionContextProto{Protocol: proto.String("p"),
			UserInfo: &rpcpb.UserInformationProto{EffectiveUser: proto.String("mallory")}})
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte("hrpc\x09\x00\x00"), cc...)
}

// A caller that speaks SIMPLE gets a TOKEN-authenticated connection: the
// server sees the token handshake and this package's context (no user), not
// the caller's preamble or context, then the caller's call bytes unchanged,
// however the caller chunks its writes.
func TestStreamReplacesCallerSetup(t *testing.T) {
	call, err := buildFrame(requestHeader(7, testClientID, 0),
		&rpcpb.RequestHeaderProto{MethodName: proto.String("getFileInfo"), DeclaringClassProtocolName: proto.String("p"), ClientProtocolVersion: proto.Uint64(1)},
		&rpcpb.UserInformationProto{EffectiveUser: proto.String("arg")})
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 3, 7, 1000} {
		got := make(chan []byte, 2)
		addr := startServer(t, func(s *srvConn) {
			if !s.tokenHandshake() {
				return
			}
			got <- s.frame()
			got <- s.frame()
			s.reply(7, &rpcpb.UserInformationProto{EffectiveUser: proto.String("reply")})
		})
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		st, err := NewStream(context.Background(), nc, addr, Options{Protocol: "p", Auth: AuthToken,
			Token: &Token{Identifier: []byte("ident"), Password: []byte("secret")}})
		if err != nil {
			t.Fatal(err)
		}
		out := append(foreignSetup(t), call...)
		for len(out) > 0 {
			k := min(chunk, len(out))
			if n, err := st.Write(out[:k]); err != nil || n != k {
				t.Fatalf("chunk %d: write %d: %v", chunk, n, err)
			}
			out = out[k:]
		}
		ctxFrame := <-got
		h, parts := splitFrame(t, ctxFrame)
		cc := &rpcpb.IpcConnectionContextProto{}
		if h.GetCallId() != callIDConnectionContext || len(parts) != 1 || proto.Unmarshal(parts[0], cc) != nil {
			t.Fatalf("chunk %d: first frame after SASL is not a connection context: %v", chunk, h)
		}
		if cc.UserInfo != nil || cc.GetProtocol() != "p" {
			t.Fatalf("chunk %d: the server got the caller's context %v", chunk, cc)
		}
		if f := <-got; !bytes.Equal(f, call[4:]) {
			t.Fatalf("chunk %d: call frame changed in transit", chunk)
		}
		var lenb [4]byte
		if _, err := io.ReadFull(st, lenb[:]); err != nil {
			t.Fatal(err)
		}
		f, err := readFrame(io.MultiReader(bytes.NewReader(lenb[:]), st), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		rh, body, err := parseResponse(f)
		var u rpcpb.UserInformationProto
		if err != nil || rh.GetCallId() != 7 || proto.Unmarshal(body, &u) != nil || u.GetEffectiveUser() != "reply" {
			t.Fatalf("chunk %d: reply %v %v", chunk, rh, err)
		}
		st.Close()
	}
}

func splitFrame(t *testing.T, f []byte) (*rpcpb.RpcRequestHeaderProto, [][]byte) {
	t.Helper()
	var parts [][]byte
	for len(f) > 0 {
		m, rest, err := nextDelimited(f)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, m)
		f = rest
	}
	h := &rpcpb.RpcRequestHeaderProto{}
	if len(parts) == 0 || proto.Unmarshal(parts[0], h) != nil {
		t.Fatal("bad request header")
	}
	return h, parts[1:]
}

// Under integrity or privacy the caller's bytes go out SASL-wrapped and the
// server's wrapped replies come back plain.
func TestStreamWrapsUnderSecurityLayer(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &Conn{nc: a, addr: "nn", layer: xorLayer{max: 64}, clientID: testClientID, maxResp: 1 << 20}
	st := &stream{Conn: a, c: c, in: &unwrapReader{r: a, layer: xorLayer{}, max: 1 << 20}}
	payload := []byte(strings.Repeat("x", 100))
	go func() {
		st.Write(foreignSetup(t))
		st.Write(payload)
	}()
	s := &srvConn{tb: t, c: b, r: bufioReader(b)}
	var got []byte
	for len(got) < len(payload) {
		m := s.sasl()
		if m.GetState() != rpcpb.RpcSaslProto_WRAP {
			t.Fatalf("state %v", m.GetState())
		}
		p, err := xorLayer{}.Unwrap(m.Token)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p...)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("server unwrapped %q", got)
	}
	tok, _ := xorLayer{}.Wrap([]byte("reply bytes"))
	f, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{CallId: proto.Uint32(0xFFFFFFDF), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum()},
		&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_WRAP.Enum(), Token: tok})
	go s.send(f)
	buf := make([]byte, 11)
	if _, err := io.ReadFull(st, buf); err != nil || string(buf) != "reply bytes" {
		t.Fatalf("read %q %v", buf, err)
	}
}

// A caller that is not a Hadoop IPC client is stopped at its first bytes.
func TestStreamRejectsForeignPreamble(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	st := &stream{Conn: a, c: &Conn{nc: a, addr: "nn"}, in: a}
	if _, err := st.Write([]byte("GET / HTTP/1.1\r\n")); err == nil || !strings.Contains(err.Error(), "not a Hadoop IPC preamble") {
		t.Fatalf("got %v", err)
	}
}
