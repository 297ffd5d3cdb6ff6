package ipc

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

func (s *srvConn) sasl() *rpcpb.RpcSaslProto {
	h, parts := s.request()
	if h == nil || h.GetCallId() != callIDSASL || len(parts) != 1 || len(h.GetClientId()) != 0 {
		s.tb.Errorf("expected a SASL packet, got %v", h)
		return nil
	}
	m := &rpcpb.RpcSaslProto{}
	proto.Unmarshal(parts[0], m)
	return m
}

func (s *srvConn) sendSASL(m *rpcpb.RpcSaslProto) {
	f, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{
		CallId: proto.Uint32(uint32(0xFFFFFFDF)), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum(),
	}, m)
	s.send(f)
}

func digestFields(b []byte) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(string(b), ",") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = strings.Trim(v, `"`)
	}
	return out
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// tokenHandshake plays Hadoop's server side of TOKEN/DIGEST-MD5 (qop
// auth) for the token with identifier "ident" and password "secret",
// with the challenge inside the NEGOTIATE reply as Hadoop sends it.
func (s *srvConn) tokenHandshake() bool {
	user, pass := "aWRlbnQ=", "c2VjcmV0"
	if p := s.preamble(); !bytes.Equal(p, []byte("hrpc\x09\x00\xdf")) {
		s.tb.Errorf("preamble % x", p)
		return false
	}
	if m := s.sasl(); m.GetState() != rpcpb.RpcSaslProto_NEGOTIATE {
		s.tb.Errorf("want NEGOTIATE, got %v", m)
		return false
	}
	s.sendSASL(&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_NEGOTIATE.Enum(), Auths: []*rpcpb.RpcSaslProto_SaslAuth{
		{Method: proto.String("TOKEN"), Mechanism: proto.String("DIGEST-MD5"), Protocol: proto.String(""), ServerId: proto.String("default"),
			Challenge: []byte(`realm="default",nonce="N",qop="auth",charset=utf-8,algorithm=md5-sess`)},
		{Method: proto.String("SIMPLE"), Mechanism: proto.String("")},
	}})
	m := s.sasl()
	if m.GetState() != rpcpb.RpcSaslProto_INITIATE || len(m.Auths) != 1 || m.Auths[0].Challenge != nil || m.Auths[0].GetMethod() != "TOKEN" {
		s.tb.Errorf("bad INITIATE %v", m)
		return false
	}
	f := digestFields(m.Token)
	if f["username"] != user || f["digest-uri"] != "/default" || f["realm"] != "default" {
		s.tb.Errorf("digest response %s", m.Token)
	}
	inner := md5.Sum([]byte(user + ":default:" + pass))
	ha1 := md5hex(string(inner[:]) + ":N:" + f["cnonce"])
	kd := func(a2 string) string {
		return md5hex(ha1 + ":N:00000001:" + f["cnonce"] + ":auth:" + md5hex(a2))
	}
	if f["response"] != kd("AUTHENTICATE:/default") {
		s.fail(-1, rpcpb.RpcResponseHeaderProto_FATAL, rpcpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED, "javax.security.sasl.SaslException", "bad digest")
		return false
	}
	s.sendSASL(&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_SUCCESS.Enum(), Token: []byte("rspauth=" + kd(":/default"))})
	return true
}

func TestTokenAuth(t *testing.T) {
	tok := &Token{Identifier: []byte("ident"), Password: []byte("secret"), Kind: "YARN_AM_RM_TOKEN"}
	ctxCh := make(chan *rpcpb.IpcConnectionContextProto, 1)
	addr := startServer(t, func(s *srvConn) {
		if !s.tokenHandshake() {
			return
		}
		h, parts := s.request()
		cc := &rpcpb.IpcConnectionContextProto{}
		if h.GetCallId() == callIDConnectionContext && len(parts) == 1 {
			proto.Unmarshal(parts[0], cc)
		}
		ctxCh <- cc
		id, _, req := s.call()
		s.reply(id, req)
	})
	c := dialT(t, addr, func(o *Options) { o.Token = tok })
	if c.AuthMethod() != AuthToken || c.QOP() != "auth" {
		t.Fatalf("auth %v qop %q", c.AuthMethod(), c.QOP())
	}
	cc := <-ctxCh
	if cc.GetProtocol() != "p" || cc.UserInfo != nil {
		t.Fatalf("TOKEN connection context must not name a user: %v", cc)
	}
	var resp rpcpb.UserInformationProto
	if err := c.Call(context.Background(), "m", &rpcpb.UserInformationProto{EffectiveUser: proto.String("x")}, &resp); err != nil {
		t.Fatal(err)
	}
}

func TestTokenAuthRejected(t *testing.T) {
	addr := startServer(t, func(s *srvConn) {
		s.preamble()
		s.sasl()
		s.fail(-1, rpcpb.RpcResponseHeaderProto_FATAL, rpcpb.RpcResponseHeaderProto_FATAL_UNAUTHORIZED,
			"org.apache.hadoop.security.AccessControlException", "SIMPLE authentication is not enabled.  Available:[TOKEN]")
	})
	_, err := Dial(context.Background(), addr, Options{Protocol: "p", Token: &Token{}})
	var re *RemoteError
	if !errors.As(err, &re) || !re.Fatal || !strings.Contains(err.Error(), "sasl negotiate with "+addr) {
		t.Fatalf("got %v", err)
	}
}

func TestServerSwitchesToSimple(t *testing.T) {
	ctxCh := make(chan *rpcpb.IpcConnectionContextProto, 1)
	addr := startServer(t, func(s *srvConn) {
		s.preamble()
		s.sasl()
		s.sendSASL(&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_SUCCESS.Enum()})
		h, parts := s.request()
		cc := &rpcpb.IpcConnectionContextProto{}
		if h != nil && len(parts) == 1 {
			proto.Unmarshal(parts[0], cc)
		}
		ctxCh <- cc
	})
	c := dialT(t, addr, func(o *Options) { o.Token = &Token{} })
	if c.AuthMethod() != AuthSimple {
		t.Fatalf("auth %v", c.AuthMethod())
	}
	if cc := <-ctxCh; cc.GetUserInfo().GetEffectiveUser() != "alice" {
		t.Fatalf("context %v", cc)
	}
}

// xorLayer is a toy security layer to test the wrapping plumbing.
type xorLayer struct{ max int }

func (x xorLayer) Wrap(p []byte) ([]byte, error) {
	out := make([]byte, len(p)+1)
	for i, b := range p {
		out[i+1] = b ^ 0x5a
	}
	return out, nil
}

func (x xorLayer) Unwrap(p []byte) ([]byte, error) {
	if len(p) == 0 || p[0] != 0 {
		return nil, errors.New("bad toy token")
	}
	out := make([]byte, len(p)-1)
	for i, b := range p[1:] {
		out[i] = b ^ 0x5a
	}
	return out, nil
}

func (x xorLayer) MaxWrap() int { return x.max }

func TestWrappedStream(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &Conn{nc: a, layer: xorLayer{max: 64}, clientID: testClientID}
	frame, _ := buildFrame(requestHeader(5, testClientID, 0), &rpcpb.UserInformationProto{EffectiveUser: proto.String(strings.Repeat("u", 150))})
	go c.writeWrapped(frame)
	// The peer sees SASL WRAP packets whose unwrapped payloads concatenate
	// to the original frame, length prefix included.
	s := &srvConn{tb: t, c: b, r: nil}
	s.r = bufioReader(b)
	var got []byte
	for len(got) < len(frame) {
		m := s.sasl()
		if m.GetState() != rpcpb.RpcSaslProto_WRAP {
			t.Fatalf("state %v", m.GetState())
		}
		p, err := xorLayer{}.Unwrap(m.Token)
		if err != nil || len(p) > 64 {
			t.Fatalf("%v %d", err, len(p))
		}
		got = append(got, p...)
	}
	if !bytes.Equal(got, frame) {
		t.Fatal("unwrapped stream differs")
	}

	// And the reverse: a response split over two WRAP packets.
	resp, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{CallId: proto.Uint32(5), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum()},
		&rpcpb.UserInformationProto{EffectiveUser: proto.String("v")})
	var wire bytes.Buffer
	for _, part := range [][]byte{resp[:3], resp[3:]} {
		tok, _ := xorLayer{}.Wrap(part)
		f, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{CallId: proto.Uint32(0xFFFFFFDF), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum()},
			&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_WRAP.Enum(), Token: tok})
		wire.Write(f)
	}
	u := &unwrapReader{r: &wire, layer: xorLayer{}, max: 1 << 20}
	f, err := readFrame(u, 1<<20)
	if err != nil || !bytes.Equal(f, resp[4:]) {
		t.Fatalf("%v % x", err, f)
	}
}

func FuzzParseResponse(f *testing.F) {
	ok, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{CallId: proto.Uint32(1), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum()}, &rpcpb.UserInformationProto{EffectiveUser: proto.String("x")})
	f.Add(ok[4:])
	sasl, _ := buildFrame(&rpcpb.RpcResponseHeaderProto{CallId: proto.Uint32(0xFFFFFFDF), Status: rpcpb.RpcResponseHeaderProto_SUCCESS.Enum()},
		&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_NEGOTIATE.Enum(), Auths: []*rpcpb.RpcSaslProto_SaslAuth{{Method: proto.String("TOKEN"), Mechanism: proto.String("DIGEST-MD5")}}})
	f.Add(sasl[4:])
	f.Fuzz(func(t *testing.T, b []byte) {
		parseResponse(b)
		parseSASL(b)
		framed := append([]byte{byte(len(b) >> 24), byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
		u := &unwrapReader{r: bytes.NewReader(framed), layer: xorLayer{}, max: 1 << 16}
		readFrame(u, 1<<16)
	})
}
