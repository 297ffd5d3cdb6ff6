package sasl

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/crypto/etype"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/chksumtype"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// GSSAPIConfig configures a GSSAPI (Kerberos V5) client.
type GSSAPIConfig struct {
	// Client is a logged-in gokrb5 client (from a keytab or ccache).
	Client *client.Client
	// SPN is the server's service principal, "service/host" with an
	// optional "@REALM" (e.g. "rm/rm1.example.com@EXAMPLE.COM").
	SPN string
	// QOP lists acceptable protections in order of preference
	// (DefaultQOP when empty).
	QOP []QOP
	// AuthzID is appended to the security-layer reply when non-empty;
	// Hadoop clients never send one.
	AuthzID string
}

// RFC 4752 security layer bits.
const (
	layerNone      = 1
	layerIntegrity = 2
	layerPrivacy   = 4
)

// gssMaxBuf is the receive size we announce; we accept any size anyway.
const gssMaxBuf = 0xFFFFFF

// GSSAPI is a SASL GSSAPI client (RFC 4752) over Kerberos V5 (RFC 4121).
//
// It asks for the context the JDK's initiator (and so every Hadoop Java
// client) asks for: mutual authentication with replay and sequence
// detection. The server then answers the AP-REQ with an AP-REP before its
// security-layer offer, and both sides number their wrap tokens from the
// sequence numbers exchanged in the AP-REQ and AP-REP.
type GSSAPI struct {
	cfg   GSSAPIConfig
	state int // 0: send AP-REQ, 1: context/ layer negotiation, 2: complete
	key   types.EncryptionKey
	// acceptorSubkey is set when the server's AP-REP chose its own subkey;
	// wrap tokens then carry the AcceptorSubkey flag.
	acceptorSubkey bool
	// auth is the authenticator we sent: the AP-REP must echo its time.
	auth types.Authenticator
	// sendSeq and recvSeq number the next wrap token each way.
	sendSeq, recvSeq uint64
	apRepSeen        bool
	qop              QOP
	layer            Layer
}

// NewGSSAPI returns a GSSAPI client.
func NewGSSAPI(cfg GSSAPIConfig) *GSSAPI { return &GSSAPI{cfg: cfg} }

// Name implements Mechanism.
func (g *GSSAPI) Name() string { return "GSSAPI" }

// Complete implements Mechanism.
func (g *GSSAPI) Complete() bool { return g.state == 2 }

// Layer implements Mechanism.
func (g *GSSAPI) Layer() Layer { return g.layer }

// QOP implements Mechanism.
func (g *GSSAPI) QOP() QOP { return g.qop }

// Step implements Mechanism.
func (g *GSSAPI) Step(challenge []byte) ([]byte, error) {
	switch g.state {
	case 0:
		tok, err := g.initial()
		if err != nil {
			return nil, fmt.Errorf("GSSAPI: %w", err)
		}
		g.state = 1
		return tok, nil
	case 1:
		if len(challenge) == 0 {
			return nil, errors.New("GSSAPI: server sent an empty challenge")
		}
		if challenge[0] == 0x60 {
			// An initial-context token from the acceptor: AP-REP or KRB-ERROR.
			if g.apRepSeen {
				return nil, errors.New("GSSAPI: server sent a second context token")
			}
			if err := g.apRep(challenge); err != nil {
				return nil, fmt.Errorf("GSSAPI: %w", err)
			}
			return []byte{}, nil
		}
		resp, err := g.negotiateLayer(challenge)
		if err != nil {
			return nil, fmt.Errorf("GSSAPI: security layer negotiation: %w", err)
		}
		g.state = 2
		return resp, nil
	default:
		if len(challenge) != 0 {
			return nil, errors.New("GSSAPI: server sent a token after authentication completed")
		}
		return nil, nil
	}
}

func (g *GSSAPI) initial() ([]byte, error) {
	if g.cfg.Client == nil {
		return nil, errors.New("no Kerberos client configured")
	}
	spn := g.cfg.SPN
	if i := strings.IndexByte(spn, '@'); i >= 0 {
		// gokrb5 derives the realm itself; the name must not carry it.
		spn = spn[:i]
	}
	tkt, key, err := g.cfg.Client.GetServiceTicket(spn)
	if err != nil {
		return nil, fmt.Errorf("get service ticket for %s: %w", spn, err)
	}
	g.key = key
	auth, err := types.NewAuthenticator(g.cfg.Client.Credentials.Domain(), g.cfg.Client.Credentials.CName())
	if err != nil {
		return nil, fmt.Errorf("build authenticator: %w", err)
	}
	auth.Cksum = types.Checksum{CksumType: chksumtype.GSSAPI, Checksum: gssChecksum(gssFlags)}
	req, err := messages.NewAPReq(tkt, key, auth)
	if err != nil {
		return nil, fmt.Errorf("build AP-REQ for %s: %w", spn, err)
	}
	types.SetFlag(&req.APOptions, flags.APOptionMutualRequired)
	b, err := req.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal AP-REQ: %w", err)
	}
	g.auth = auth
	// Our first wrap token carries the authenticator's sequence number; until
	// an AP-REP says otherwise the acceptor counts from the same number.
	g.sendSeq = uint64(auth.SeqNumber)
	g.recvSeq = g.sendSeq
	return initialContextToken(tokIDAPReq, b), nil
}

// The context flags of the AP-REQ checksum (RFC 4121 4.1.1.1).
var gssFlags = []int{gssapi.ContextFlagMutual, gssapi.ContextFlagReplay, gssapi.ContextFlagSequence,
	gssapi.ContextFlagConf, gssapi.ContextFlagInteg}

// gssChecksum is the RFC 4121 4.1.1 authenticator checksum: no channel
// bindings, the context flags, no delegation.
func gssChecksum(fl []int) []byte {
	c := make([]byte, 24)
	binary.LittleEndian.PutUint32(c[:4], 16) // length of the (zero) bindings hash
	var f uint32
	for _, x := range fl {
		f |= uint32(x)
	}
	binary.LittleEndian.PutUint32(c[20:], f)
	return c
}

var tokIDAPReq = []byte{0x01, 0x00}

// initialContextToken frames a Kerberos message as an RFC 2743 3.1
// InitialContextToken: [APPLICATION 0] { krb5 OID, TOK_ID, message }.
func initialContextToken(tokID, msg []byte) []byte {
	oid, _ := asn1.Marshal(gssapi.OIDKRB5.OID()) // a constant OID cannot fail
	body := make([]byte, 0, len(oid)+len(tokID)+len(msg))
	body = append(append(append(body, oid...), tokID...), msg...)
	return asn1tools.AddASNAppTag(body, 0)
}

func (g *GSSAPI) apRep(b []byte) error {
	var tok spnego.KRB5Token
	if err := tok.Unmarshal(b); err != nil {
		return fmt.Errorf("parse server context token: %w", err)
	}
	if tok.IsKRBError() {
		return fmt.Errorf("server rejected the ticket: %s", tok.KRBError.Error())
	}
	if !tok.IsAPRep() {
		return errors.New("server context token is neither AP-REP nor KRB-ERROR")
	}
	et, err := crypto.GetEtype(g.key.KeyType)
	if err != nil {
		return fmt.Errorf("decrypt AP-REP: %w", err)
	}
	plain, err := safeDecrypt(et, g.key.KeyValue, tok.APRep.EncPart.Cipher, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("decrypt AP-REP: %w", err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return fmt.Errorf("parse AP-REP: %w", err)
	}
	// RFC 4120 3.2.5: the reply proves the server read our authenticator.
	if !part.CTime.Equal(g.auth.CTime.Truncate(time.Second)) || part.Cusec != g.auth.Cusec {
		return errors.New("AP-REP does not echo our authenticator's time: not from the service we asked for")
	}
	if len(part.Subkey.KeyValue) > 0 {
		if !rfc4121Etype(part.Subkey.KeyType) {
			return fmt.Errorf("server chose a subkey of enctype %d, which has no RFC 4121 wrap tokens", part.Subkey.KeyType)
		}
		g.key = part.Subkey
		g.acceptorSubkey = true
	}
	if part.SequenceNumber < 0 {
		return fmt.Errorf("AP-REP carries a negative sequence number %d", part.SequenceNumber)
	}
	g.recvSeq = uint64(part.SequenceNumber)
	g.apRepSeen = true
	return nil
}

func (g *GSSAPI) negotiateLayer(challenge []byte) ([]byte, error) {
	w := &gssWrapper{key: g.key, acceptorSubkey: g.acceptorSubkey, sendSeq: g.sendSeq, recvSeq: g.recvSeq}
	offer, err := w.Unwrap(challenge)
	if err != nil {
		return nil, err
	}
	if len(offer) != 4 {
		return nil, fmt.Errorf("server's layer offer is %d bytes, want 4", len(offer))
	}
	var offered []QOP
	if offer[0]&layerNone != 0 {
		offered = append(offered, QOPAuth)
	}
	if offer[0]&layerIntegrity != 0 {
		offered = append(offered, QOPAuthInt)
	}
	if offer[0]&layerPrivacy != 0 {
		offered = append(offered, QOPAuthConf)
	}
	qop, ok := pickQOP(g.cfg.QOP, offered)
	if !ok {
		return nil, fmt.Errorf("server offers %v, none acceptable (client allows %v); align hadoop.rpc.protection", offered, g.cfg.QOP)
	}
	g.qop = qop
	peerMax := int(offer[1])<<16 | int(offer[2])<<8 | int(offer[3])
	reply := make([]byte, 4, 4+len(g.cfg.AuthzID))
	switch qop {
	case QOPAuth:
		reply[0] = layerNone // max size stays 0: no layer, nothing to receive
	case QOPAuthInt:
		reply[0] = layerIntegrity
	case QOPAuthConf:
		reply[0] = layerPrivacy
	}
	if qop != QOPAuth {
		reply[1], reply[2], reply[3] = gssMaxBuf>>16, gssMaxBuf>>8&0xff, gssMaxBuf&0xff
	}
	reply = append(reply, g.cfg.AuthzID...)
	// The reply itself is always integrity-protected only.
	out, err := w.wrap(reply, false)
	if err != nil {
		return nil, err
	}
	if qop != QOPAuth {
		if peerMax == 0 {
			return nil, errors.New("server offered a security layer with a zero receive buffer")
		}
		w.seal = qop == QOPAuthConf
		w.peerMax = peerMax
		g.layer = w
	}
	return out, nil
}

// RFC 4121 wrap token flags.
const (
	flagSentByAcceptor = 1
	flagSealed         = 2
	flagAcceptorSubkey = 4
	wrapHdrLen         = 16
)

// gssWrapper implements RFC 4121 Wrap tokens for the AES enctypes.
type gssWrapper struct {
	key            types.EncryptionKey
	acceptorSubkey bool
	seal           bool
	sendSeq        uint64
	// recvSeq is the sequence number the next token from the server must
	// carry: SASL runs over one ordered stream, so anything else is a replay,
	// a loss or a reordering, which the JDK rejects too.
	recvSeq uint64
	peerMax int
}

func (w *gssWrapper) MaxWrap() int {
	// Header, confounder, filler, header copy and checksum: 64 bytes covers
	// every RFC 3961 enctype with room to spare.
	return w.peerMax - 64
}

func (w *gssWrapper) Wrap(p []byte) ([]byte, error) { return w.wrap(p, w.seal) }

func (w *gssWrapper) wrap(p []byte, seal bool) ([]byte, error) {
	et, err := crypto.GetEtype(w.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("wrap: %w", err)
	}
	if !rfc4121Etype(w.key.KeyType) {
		return nil, fmt.Errorf("wrap: enctype %d has no RFC 4121 wrap tokens; use an AES enctype", w.key.KeyType)
	}
	var flags byte
	if w.acceptorSubkey {
		flags |= flagAcceptorSubkey
	}
	if seal {
		flags |= flagSealed
	}
	hdr := wrapHeader(flags, 0, w.sendSeq)
	var out []byte
	if seal {
		plain := make([]byte, 0, len(p)+wrapHdrLen)
		plain = append(plain, p...)
		plain = append(plain, hdr...) // EC = 0: no filler needed for CTS
		_, ct, err := et.EncryptMessage(w.key.KeyValue, plain, keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			return nil, fmt.Errorf("wrap: encrypt: %w", err)
		}
		out = append(hdr, ct...)
	} else {
		sum, err := et.GetChecksumHash(w.key.KeyValue, append(append([]byte{}, p...), hdr...), keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			return nil, fmt.Errorf("wrap: checksum: %w", err)
		}
		binary.BigEndian.PutUint16(hdr[4:], uint16(len(sum)))
		out = append(append(hdr, p...), sum...)
	}
	w.sendSeq++
	return out, nil
}

func (w *gssWrapper) Unwrap(t []byte) ([]byte, error) {
	if len(t) < wrapHdrLen {
		return nil, fmt.Errorf("unwrap: token of %d bytes is too short", len(t))
	}
	if t[0] != 0x05 || t[1] != 0x04 || t[3] != 0xFF {
		return nil, fmt.Errorf("unwrap: not an RFC 4121 wrap token (header % x)", t[:4])
	}
	flags := t[2]
	if flags&flagSentByAcceptor == 0 {
		return nil, errors.New("unwrap: token was not sent by the acceptor")
	}
	if (flags&flagAcceptorSubkey != 0) != w.acceptorSubkey {
		return nil, errors.New("unwrap: acceptor-subkey flag does not match the negotiated key")
	}
	if !rfc4121Etype(w.key.KeyType) {
		return nil, fmt.Errorf("unwrap: enctype %d has no RFC 4121 wrap tokens; use an AES enctype", w.key.KeyType)
	}
	et, err := crypto.GetEtype(w.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("unwrap: %w", err)
	}
	ec := int(binary.BigEndian.Uint16(t[4:]))
	rrc := int(binary.BigEndian.Uint16(t[6:]))
	seq := binary.BigEndian.Uint64(t[8:])
	data := rotateLeft(t[wrapHdrLen:], rrc)
	if flags&flagSealed != 0 {
		if len(data) < et.GetConfounderByteSize()+et.GetHMACBitLength()/8+wrapHdrLen {
			return nil, fmt.Errorf("unwrap: sealed token of %d bytes is too short", len(t))
		}
		plain, err := safeDecrypt(et, w.key.KeyValue, data, keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			return nil, fmt.Errorf("unwrap: decrypt: %w", err)
		}
		if len(plain) < ec+wrapHdrLen {
			return nil, errors.New("unwrap: decrypted token too short")
		}
		inner := plain[len(plain)-wrapHdrLen:]
		want := wrapHeader(flags, uint16(ec), seq)
		if !hmac.Equal(inner, want) {
			return nil, errors.New("unwrap: encrypted header copy does not match")
		}
		if err := w.checkSeq(seq); err != nil {
			return nil, err
		}
		return plain[:len(plain)-wrapHdrLen-ec], nil
	}
	if ec > len(data) {
		return nil, errors.New("unwrap: checksum length exceeds token")
	}
	msg, sum := data[:len(data)-ec], data[len(data)-ec:]
	hdr := wrapHeader(flags, 0, seq)
	if !et.VerifyChecksum(w.key.KeyValue, append(append([]byte{}, msg...), hdr...), sum, keyusage.GSSAPI_ACCEPTOR_SEAL) {
		return nil, errors.New("unwrap: checksum does not verify")
	}
	if err := w.checkSeq(seq); err != nil {
		return nil, err
	}
	return append([]byte{}, msg...), nil
}

// checkSeq accepts only the next token in order; called after the token
// verified, so a forged number cannot move the counter.
func (w *gssWrapper) checkSeq(seq uint64) error {
	if seq != w.recvSeq {
		return fmt.Errorf("unwrap: token has sequence number %d, want %d (replayed, lost or reordered)", seq, w.recvSeq)
	}
	w.recvSeq++
	return nil
}

// safeDecrypt guards against panics inside gokrb5 on malformed input.
func safeDecrypt(et etype.EType, key, data []byte, usage uint32) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed ciphertext: %v", r)
		}
	}()
	return et.DecryptMessage(key, data, usage)
}

func wrapHeader(flags byte, ec uint16, seq uint64) []byte {
	h := make([]byte, wrapHdrLen)
	h[0], h[1], h[2], h[3] = 0x05, 0x04, flags, 0xFF
	binary.BigEndian.PutUint16(h[4:], ec)
	binary.BigEndian.PutUint64(h[8:], seq)
	return h
}

func rotateLeft(b []byte, n int) []byte {
	if len(b) == 0 {
		return b
	}
	n %= len(b)
	out := make([]byte, len(b))
	copy(out, b[n:])
	copy(out[len(b)-n:], b[:n])
	return out
}

// rfc4121Etype reports whether the enctype uses RFC 4121 "new style" tokens
// (the AES families); DES and RC4-HMAC use the older RFC 1964/4757 formats.
func rfc4121Etype(id int32) bool {
	switch id {
	case 17, 18, 19, 20:
		return true
	}
	return false
}
