package ipc

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/sasl"
)

// dummyClientID is what Hadoop's client puts in SASL packet headers.
var dummyClientID = []byte{}

// maxSASLRounds bounds the exchange; real ones take 2 or 3.
const maxSASLRounds = 16

// negotiate runs Hadoop's SASL exchange (SaslRpcClient.saslConnect):
// NEGOTIATE, the server's auth list, INITIATE, CHALLENGE/RESPONSE rounds,
// SUCCESS. On return c.auth, c.qop and c.layer are set.
func (c *Conn) negotiate(br *bufio.Reader, want AuthMethod) error {
	if err := c.sendSASL(&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_NEGOTIATE.Enum()}); err != nil {
		return fmt.Errorf("send NEGOTIATE: %w", err)
	}
	var mech sasl.Mechanism
	for round := 0; round < maxSASLRounds; round++ {
		frame, err := readFrame(br, c.maxResp)
		if err != nil {
			return fmt.Errorf("read SASL reply: %w", err)
		}
		h, msg, err := parseSASL(frame)
		if err != nil {
			return err
		}
		if msg == nil {
			return remoteErrorFrom(h, "")
		}
		switch msg.GetState() {
		case rpcpb.RpcSaslProto_NEGOTIATE:
			if mech != nil {
				return errors.New("server sent NEGOTIATE twice")
			}
			auth, m, err := c.selectAuth(msg.GetAuths(), want)
			if err != nil {
				return err
			}
			if m == nil { // server accepts SIMPLE: no reply, no SASL
				return c.switchToSimple(want)
			}
			mech = m
			var tok []byte
			if auth.Challenge != nil {
				// DIGEST-MD5: the first challenge rides in the NEGOTIATE reply.
				if tok, err = mech.Step(auth.GetChallenge()); err != nil {
					return err
				}
			} else if tok, err = mech.Step(nil); err != nil {
				return err
			}
			sent := proto.Clone(auth).(*rpcpb.RpcSaslProto_SaslAuth)
			sent.Challenge = nil
			init := &rpcpb.RpcSaslProto{
				State: rpcpb.RpcSaslProto_INITIATE.Enum(),
				Token: tok,
				Auths: []*rpcpb.RpcSaslProto_SaslAuth{sent},
			}
			if err := c.sendSASL(init); err != nil {
				return fmt.Errorf("send INITIATE: %w", err)
			}
		case rpcpb.RpcSaslProto_CHALLENGE:
			if mech == nil {
				return errors.New("server sent a CHALLENGE before NEGOTIATE")
			}
			if msg.Token == nil {
				return errors.New("server CHALLENGE carries no token")
			}
			tok, err := mech.Step(msg.GetToken())
			if err != nil {
				return err
			}
			if tok == nil {
				tok = []byte{}
			}
			if err := c.sendSASL(&rpcpb.RpcSaslProto{State: rpcpb.RpcSaslProto_RESPONSE.Enum(), Token: tok}); err != nil {
				return fmt.Errorf("send RESPONSE: %w", err)
			}
		case rpcpb.RpcSaslProto_SUCCESS:
			if mech == nil {
				return c.switchToSimple(want)
			}
			if msg.Token != nil {
				tok, err := mech.Step(msg.GetToken())
				if err != nil {
					return err
				}
				if len(tok) != 0 {
					return errors.New("client has a response after the server reported SUCCESS")
				}
			}
			if !mech.Complete() {
				return errors.New("server reported SUCCESS before the client completed authentication")
			}
			c.qop = mech.QOP()
			c.layer = mech.Layer()
			return nil
		default:
			return fmt.Errorf("unexpected SASL state %s", msg.GetState())
		}
	}
	return fmt.Errorf("no SASL result after %d rounds", maxSASLRounds)
}

func (c *Conn) switchToSimple(want AuthMethod) error {
	if want == AuthKerberos && !c.opts.AllowSimpleFallback {
		return errors.New("server asks to fall back to SIMPLE authentication but Kerberos was required (set AllowSimpleFallback to permit)")
	}
	c.auth = AuthSimple
	return nil
}

// selectAuth picks the first server-offered auth this client can do, as
// Hadoop's client does. A nil mechanism means "SIMPLE".
func (c *Conn) selectAuth(auths []*rpcpb.RpcSaslProto_SaslAuth, want AuthMethod) (*rpcpb.RpcSaslProto_SaslAuth, sasl.Mechanism, error) {
	var offered []string
	for _, a := range auths {
		offered = append(offered, a.GetMethod()+"/"+a.GetMechanism())
		switch {
		case a.GetMethod() == "TOKEN" && a.GetMechanism() == "DIGEST-MD5" && want == AuthToken:
			user, pass := sasl.TokenCredentials(c.opts.Token.Identifier, c.opts.Token.Password)
			return a, sasl.NewDigestMD5(sasl.DigestMD5Config{
				Username: user, Password: pass,
				Protocol: a.GetProtocol(), ServerID: a.GetServerId(),
				QOP: c.opts.QOP,
			}), nil
		case a.GetMethod() == "KERBEROS" && a.GetMechanism() == "GSSAPI" && want == AuthKerberos:
			spn, err := c.servicePrincipal(a)
			if err != nil {
				return nil, nil, err
			}
			return a, sasl.NewGSSAPI(sasl.GSSAPIConfig{Client: c.opts.Kerberos, SPN: spn, QOP: c.opts.QOP}), nil
		case a.GetMethod() == "SIMPLE":
			if want == AuthToken || c.opts.AllowSimpleFallback {
				return a, nil, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("server offers %v but the client is configured for %s; supply matching credentials", offered, want)
}

// servicePrincipal checks the server's advertised principal against the
// configured one, so a client does not hand a ticket to the wrong service.
func (c *Conn) servicePrincipal(a *rpcpb.RpcSaslProto_SaslAuth) (string, error) {
	if a.GetProtocol() == "" || a.GetServerId() == "" {
		return "", fmt.Errorf("server advertises an incomplete Kerberos principal %q/%q", a.GetProtocol(), a.GetServerId())
	}
	advertised := a.GetProtocol() + "/" + a.GetServerId()
	conf := c.opts.ServicePrincipal
	if conf == "" {
		return advertised, nil
	}
	conf = strings.Replace(conf, "_HOST", strings.ToLower(a.GetServerId()), 1)
	name, realm, _ := strings.Cut(conf, "@")
	if name != advertised {
		return "", fmt.Errorf("%w: the server at %s has Kerberos principal %s, but the configuration expects %s (%s): check the Hadoop configuration's *.kerberos.principal / *.principal setting for this service",
			ErrKerberos, c.addr, advertised, name, c.opts.ServicePrincipal)
	}
	if realm != "" {
		return name + "@" + realm, nil
	}
	return name, nil
}

func (c *Conn) sendSASL(m *rpcpb.RpcSaslProto) error {
	frame, err := buildFrame(requestHeader(callIDSASL, dummyClientID, invalidRetryCount), m)
	if err != nil {
		return err
	}
	return c.writeRaw(frame)
}
