package sasl

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TokenCredentials turns a Hadoop token's identifier and password into the
// DIGEST-MD5 username and password Hadoop expects: both base64 encoded
// (standard alphabet, padded, no line breaks).
func TokenCredentials(identifier, password []byte) (username, passwd string) {
	return base64.StdEncoding.EncodeToString(identifier), base64.StdEncoding.EncodeToString(password)
}

// DigestMD5Config configures a DIGEST-MD5 client.
type DigestMD5Config struct {
	Username string
	Password string
	// AuthzID is sent only when non-empty; Hadoop clients never send one.
	AuthzID string
	// Protocol and ServerID form the digest-uri "<Protocol>/<ServerID>".
	// Hadoop's token auth advertises protocol "" and serverId "default",
	// giving digest-uri "/default".
	Protocol string
	ServerID string
	// QOP lists acceptable protections in order of preference
	// (DefaultQOP when empty).
	QOP []QOP
	// Ciphers lists acceptable auth-conf ciphers in order of preference
	// (DefaultCiphers when empty).
	Ciphers []string
	// Rand supplies the client nonce; crypto/rand when nil.
	Rand io.Reader
}

// DefaultCiphers is the auth-conf cipher preference, strongest first, as the
// JDK client orders them.
var DefaultCiphers = []string{"3des", "rc4", "des", "rc4-56", "rc4-40"}

// ourMaxBuf is the receive buffer size we announce; we accept any size.
const ourMaxBuf = 65536

// DigestMD5 is a DIGEST-MD5 client (RFC 2831), initial challenge from the
// server, as the JDK's server speaks it.
type DigestMD5 struct {
	cfg     DigestMD5Config
	state   int // 0: want digest-challenge, 1: want rspauth, 2: complete
	qop     QOP
	cipher  string
	ha1     [16]byte
	uri     string
	nonce   string
	cnonce  string
	nc      string
	peerMax int
	layer   Layer
	rspauth string
}

// NewDigestMD5 returns a DIGEST-MD5 client.
func NewDigestMD5(cfg DigestMD5Config) *DigestMD5 {
	return &DigestMD5{cfg: cfg}
}

// Name implements Mechanism.
func (d *DigestMD5) Name() string { return "DIGEST-MD5" }

// Complete implements Mechanism.
func (d *DigestMD5) Complete() bool { return d.state == 2 }

// Layer implements Mechanism.
func (d *DigestMD5) Layer() Layer { return d.layer }

// QOP implements Mechanism.
func (d *DigestMD5) QOP() QOP { return d.qop }

// Step implements Mechanism.
func (d *DigestMD5) Step(challenge []byte) ([]byte, error) {
	switch d.state {
	case 0:
		if len(challenge) == 0 {
			// DIGEST-MD5 has no initial response; the server must speak first.
			return nil, nil
		}
		resp, err := d.respond(challenge)
		if err != nil {
			return nil, fmt.Errorf("DIGEST-MD5: %w", err)
		}
		d.state = 1
		return resp, nil
	case 1:
		if err := d.verifyRspauth(challenge); err != nil {
			return nil, fmt.Errorf("DIGEST-MD5: %w", err)
		}
		d.state = 2
		return nil, nil
	default:
		if len(challenge) != 0 {
			return nil, errors.New("DIGEST-MD5: server sent a token after authentication completed")
		}
		return nil, nil
	}
}

// DigestChallenge is a parsed digest-challenge (RFC 2831 section 2.1.1).
type DigestChallenge struct {
	Realms    []string
	Nonce     string
	QOP       []QOP
	Stale     bool
	MaxBuf    int
	Charset   string
	Algorithm string
	Ciphers   []string
}

// ParseDigestChallenge parses a server's digest-challenge.
func ParseDigestChallenge(b []byte) (*DigestChallenge, error) {
	dirs, err := parseDirectives(b)
	if err != nil {
		return nil, err
	}
	c := &DigestChallenge{MaxBuf: 65536}
	for _, kv := range dirs {
		switch kv.key {
		case "realm":
			c.Realms = append(c.Realms, kv.val)
		case "nonce":
			if c.Nonce != "" {
				return nil, errors.New("challenge has more than one nonce")
			}
			c.Nonce = kv.val
		case "qop":
			for _, q := range splitList(kv.val) {
				c.QOP = append(c.QOP, QOP(strings.ToLower(q)))
			}
		case "stale":
			c.Stale = strings.EqualFold(kv.val, "true")
		case "maxbuf":
			n, err := strconv.Atoi(kv.val)
			if err != nil || n <= 16 {
				return nil, fmt.Errorf("challenge has bad maxbuf %q", kv.val)
			}
			c.MaxBuf = n
		case "charset":
			c.Charset = kv.val
		case "algorithm":
			c.Algorithm = kv.val
		case "cipher":
			for _, ci := range splitList(kv.val) {
				c.Ciphers = append(c.Ciphers, strings.ToLower(ci))
			}
		}
	}
	if c.Nonce == "" {
		return nil, errors.New("challenge has no nonce")
	}
	if !strings.EqualFold(c.Algorithm, "md5-sess") {
		return nil, fmt.Errorf("challenge algorithm %q is not md5-sess", c.Algorithm)
	}
	if len(c.QOP) == 0 {
		c.QOP = []QOP{QOPAuth}
	}
	return c, nil
}

func (d *DigestMD5) respond(challenge []byte) ([]byte, error) {
	c, err := ParseDigestChallenge(challenge)
	if err != nil {
		return nil, fmt.Errorf("parse server challenge: %w", err)
	}
	qop, ok := pickQOP(d.cfg.QOP, c.QOP)
	if !ok {
		return nil, fmt.Errorf("server offers qop %v, none acceptable (client allows %v); align hadoop.rpc.protection", c.QOP, d.qopPref())
	}
	d.qop = qop
	if qop == QOPAuthConf {
		prefs := d.cfg.Ciphers
		if len(prefs) == 0 {
			prefs = DefaultCiphers
		}
	outer:
		for _, p := range prefs {
			if _, ok := cipherKeyLen[p]; !ok {
				continue
			}
			for _, o := range c.Ciphers {
				if o == p {
					d.cipher = p
					break outer
				}
			}
		}
		if d.cipher == "" {
			return nil, fmt.Errorf("no supported privacy cipher among the server's %v", c.Ciphers)
		}
	}
	realm := ""
	if len(c.Realms) > 0 {
		realm = c.Realms[0]
	}
	rnd := d.cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	nb := make([]byte, 24)
	if _, err := io.ReadFull(rnd, nb); err != nil {
		return nil, fmt.Errorf("generate client nonce: %w", err)
	}
	d.cnonce = base64.RawStdEncoding.EncodeToString(nb)
	d.nonce = c.Nonce
	d.nc = "00000001"
	d.uri = d.cfg.Protocol + "/" + d.cfg.ServerID
	d.peerMax = c.MaxBuf
	d.ha1 = digestHA1(d.cfg.Username, realm, d.cfg.Password, d.nonce, d.cnonce, d.cfg.AuthzID)
	resp := digestResponse(d.ha1, d.nonce, d.nc, d.cnonce, d.qop, "AUTHENTICATE:"+d.uri)
	d.rspauth = digestResponse(d.ha1, d.nonce, d.nc, d.cnonce, d.qop, ":"+d.uri)

	var sb strings.Builder
	if strings.EqualFold(c.Charset, "utf-8") {
		sb.WriteString("charset=utf-8,")
	}
	sb.WriteString("username=" + quote(d.cfg.Username))
	if len(c.Realms) > 0 {
		sb.WriteString(",realm=" + quote(realm))
	}
	sb.WriteString(",nonce=" + quote(d.nonce))
	sb.WriteString(",nc=" + d.nc)
	sb.WriteString(",cnonce=" + quote(d.cnonce))
	sb.WriteString(",digest-uri=" + quote(d.uri))
	sb.WriteString(",maxbuf=" + strconv.Itoa(ourMaxBuf))
	sb.WriteString(",response=" + resp)
	sb.WriteString(",qop=" + string(d.qop))
	if d.cipher != "" {
		sb.WriteString(",cipher=" + quote(d.cipher))
	}
	if d.cfg.AuthzID != "" {
		sb.WriteString(",authzid=" + quote(d.cfg.AuthzID))
	}
	return []byte(sb.String()), nil
}

func (d *DigestMD5) qopPref() []QOP {
	if len(d.cfg.QOP) == 0 {
		return DefaultQOP
	}
	return d.cfg.QOP
}

func (d *DigestMD5) verifyRspauth(b []byte) error {
	dirs, err := parseDirectives(b)
	if err != nil {
		return fmt.Errorf("parse server response-auth: %w", err)
	}
	var got string
	for _, kv := range dirs {
		if kv.key == "rspauth" {
			got = kv.val
		}
	}
	if got == "" {
		return errors.New("server's final message has no rspauth")
	}
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(got)), []byte(d.rspauth)) != 1 {
		return errors.New("server's rspauth does not match: the server does not know the token password")
	}
	switch d.qop {
	case QOPAuthInt:
		d.layer = newDigestIntegrity(d.ha1, d.peerMax)
	case QOPAuthConf:
		l, err := newDigestPrivacy(d.ha1, d.cipher, d.peerMax)
		if err != nil {
			return err
		}
		d.layer = l
	}
	return nil
}

func digestHA1(user, realm, pass, nonce, cnonce, authzid string) [16]byte {
	inner := md5.Sum([]byte(user + ":" + realm + ":" + pass))
	a1 := append([]byte{}, inner[:]...)
	a1 = append(a1, ":"+nonce+":"+cnonce...)
	if authzid != "" {
		a1 = append(a1, ":"+authzid...)
	}
	return md5.Sum(a1)
}

func digestResponse(ha1 [16]byte, nonce, nc, cnonce string, qop QOP, a2 string) string {
	if qop == QOPAuthInt || qop == QOPAuthConf {
		a2 += ":00000000000000000000000000000000"
	}
	ha2 := md5.Sum([]byte(a2))
	kd := hex.EncodeToString(ha1[:]) + ":" + nonce + ":" + nc + ":" + cnonce + ":" + string(qop) + ":" + hex.EncodeToString(ha2[:])
	sum := md5.Sum([]byte(kd))
	return hex.EncodeToString(sum[:])
}

func quote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteByte(s[i])
	}
	sb.WriteByte('"')
	return sb.String()
}

type directive struct{ key, val string }

// maxDirectiveInput bounds what we parse: real challenges are a few hundred
// bytes; RFC 2831 caps them at 2048.
const maxDirectiveInput = 16 << 10

// parseDirectives parses a comma separated list of name=value pairs whose
// values are tokens or quoted strings (RFC 2831 section 7.1, with empty
// list elements allowed).
func parseDirectives(b []byte) ([]directive, error) {
	if len(b) > maxDirectiveInput {
		return nil, fmt.Errorf("digest message of %d bytes is too long", len(b))
	}
	var out []directive
	i := 0
	skipWS := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
			i++
		}
	}
	for {
		skipWS()
		for i < len(b) && b[i] == ',' {
			i++
			skipWS()
		}
		if i >= len(b) {
			return out, nil
		}
		start := i
		for i < len(b) && b[i] != '=' && b[i] != ',' && b[i] != ' ' && b[i] != '\t' {
			i++
		}
		key := strings.ToLower(string(b[start:i]))
		if key == "" {
			return nil, fmt.Errorf("empty directive name at offset %d", start)
		}
		skipWS()
		if i >= len(b) || b[i] != '=' {
			return nil, fmt.Errorf("directive %q has no value", key)
		}
		i++
		skipWS()
		var val string
		if i < len(b) && b[i] == '"' {
			i++
			var sb strings.Builder
			closed := false
			for i < len(b) {
				c := b[i]
				i++
				if c == '\\' && i < len(b) {
					sb.WriteByte(b[i])
					i++
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				sb.WriteByte(c)
			}
			if !closed {
				return nil, fmt.Errorf("directive %q has an unterminated quoted value", key)
			}
			val = sb.String()
		} else {
			vs := i
			for i < len(b) && b[i] != ',' && b[i] != ' ' && b[i] != '\t' {
				i++
			}
			val = string(b[vs:i])
		}
		out = append(out, directive{key, val})
		skipWS()
		if i < len(b) && b[i] != ',' {
			return nil, fmt.Errorf("unexpected %q after directive %q", b[i], key)
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// hmacMD5Trunc is HMAC-MD5(key, seq || msg) truncated to 10 bytes.
func hmacMD5Trunc(key []byte, seq uint32, msg []byte) []byte {
	m := hmac.New(md5.New, key)
	var s [4]byte
	s[0], s[1], s[2], s[3] = byte(seq>>24), byte(seq>>16), byte(seq>>8), byte(seq)
	m.Write(s[:])
	m.Write(msg)
	return m.Sum(nil)[:10]
}
