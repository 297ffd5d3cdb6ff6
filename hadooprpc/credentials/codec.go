package credentials

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// Version 0 body (Credentials.write / readFields):
//
//	vint tokenCount
//	tokenCount × { Text alias; vint idLen; id; vint pwLen; pw; Text kind; Text service }
//	vint secretCount
//	secretCount × { Text alias; vint len; bytes }
//
// where Text is a vint byte length followed by the UTF-8 bytes.

func (c *Credentials) appendWritable(b []byte) []byte {
	b = AppendVLong(b, int64(len(c.tokens)))
	for _, a := range c.TokenAliases() {
		t := c.tokens[a]
		b = appendBytes(b, []byte(a))
		b = appendBytes(b, t.Identifier)
		b = appendBytes(b, t.Password)
		b = appendBytes(b, []byte(t.Kind))
		b = appendBytes(b, []byte(t.Service))
	}
	b = AppendVLong(b, int64(len(c.secrets)))
	for _, a := range c.SecretAliases() {
		b = appendBytes(b, []byte(a))
		b = appendBytes(b, c.secrets[a])
	}
	return b
}

func appendBytes(b, v []byte) []byte {
	return append(AppendVLong(b, int64(len(v))), v...)
}

// wreader walks a version 0 body. Every length is checked against the bytes
// that remain before anything is copied, so a corrupt length cannot cause a
// large allocation.
type wreader struct {
	b   []byte
	off int
}

func (r *wreader) vint(what string) (int, error) {
	v, n, err := ConsumeVInt(r.b[r.off:])
	if err != nil {
		return 0, fmt.Errorf("%s at byte %d: %w", what, r.off+len(Magic)+1, err)
	}
	if v < 0 {
		return 0, fmt.Errorf("%s at byte %d is negative (%d)", what, r.off+len(Magic)+1, v)
	}
	r.off += n
	return int(v), nil
}

func (r *wreader) bytes(what string) ([]byte, error) {
	start := r.off
	n, err := r.vint(what + " length")
	if err != nil {
		return nil, err
	}
	if n > len(r.b)-r.off {
		return nil, fmt.Errorf("%s at byte %d claims %d bytes but only %d remain", what, start+len(Magic)+1, n, len(r.b)-r.off)
	}
	v := make([]byte, n)
	copy(v, r.b[r.off:])
	r.off += n
	return v, nil
}

func (r *wreader) text(what string) (string, error) {
	v, err := r.bytes(what)
	return string(v), err
}

// count reads an entry count and rejects one that cannot fit in what
// remains, given each entry needs at least minEntry bytes.
func (r *wreader) count(what string, minEntry int) (int, error) {
	n, err := r.vint(what)
	if err != nil {
		return 0, err
	}
	if n > (len(r.b)-r.off)/minEntry {
		return 0, fmt.Errorf("%s %d is more than the %d remaining bytes can hold", what, n, len(r.b)-r.off)
	}
	return n, nil
}

func parseWritable(body []byte) (*Credentials, error) {
	r := &wreader{b: body}
	c := New()
	// A token is at least five one-byte lengths; a secret two.
	n, err := r.count("token count", 5)
	if err != nil {
		return nil, err
	}
	for i := range n {
		alias, err := r.text(fmt.Sprintf("token %d alias", i))
		if err != nil {
			return nil, err
		}
		var t Token
		if t.Identifier, err = r.bytes("token " + alias + " identifier"); err != nil {
			return nil, err
		}
		if t.Password, err = r.bytes("token " + alias + " password"); err != nil {
			return nil, err
		}
		if t.Kind, err = r.text("token " + alias + " kind"); err != nil {
			return nil, err
		}
		if t.Service, err = r.text("token " + alias + " service"); err != nil {
			return nil, err
		}
		if c.tokens == nil {
			c.tokens = map[string]Token{}
		}
		c.tokens[alias] = t
	}
	n, err = r.count("secret count", 2)
	if err != nil {
		return nil, err
	}
	for i := range n {
		alias, err := r.text(fmt.Sprintf("secret %d alias", i))
		if err != nil {
			return nil, err
		}
		s, err := r.bytes("secret " + alias)
		if err != nil {
			return nil, err
		}
		if c.secrets == nil {
			c.secrets = map[string][]byte{}
		}
		c.secrets[alias] = s
	}
	return c, nil
}

// Version 1 body: one CredentialsProto preceded by its length as a
// protobuf varint (Java's writeDelimitedTo / parseDelimitedFrom).

func (c *Credentials) appendProto(b []byte) ([]byte, error) {
	m := &yarnpb.CredentialsProto{}
	for _, a := range c.TokenAliases() {
		t := c.tokens[a]
		m.Tokens = append(m.Tokens, &yarnpb.CredentialsKVProto{
			Alias: proto.String(a),
			Token: &yarnpb.TokenProto{
				Identifier: nonNil(t.Identifier),
				Password:   nonNil(t.Password),
				Kind:       proto.String(t.Kind),
				Service:    proto.String(t.Service),
			},
		})
	}
	for _, a := range c.SecretAliases() {
		m.Secrets = append(m.Secrets, &yarnpb.CredentialsKVProto{
			Alias:  proto.String(a),
			Secret: nonNil(c.secrets[a]),
		})
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding Hadoop credentials: %w", err)
	}
	b = protowire.AppendVarint(b, uint64(len(body)))
	return append(b, body...), nil
}

// nonNil makes sure a required bytes field is marked present.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func parseProto(body []byte) (*Credentials, error) {
	n, used := protowire.ConsumeVarint(body)
	if used < 0 {
		return nil, fmt.Errorf("protobuf credentials: bad length prefix: %w", protowire.ParseError(used))
	}
	if n > uint64(len(body)-used) {
		return nil, fmt.Errorf("protobuf credentials: length prefix claims %d bytes but only %d remain", n, len(body)-used)
	}
	var m yarnpb.CredentialsProto
	if err := proto.Unmarshal(body[used:used+int(n)], &m); err != nil {
		return nil, fmt.Errorf("protobuf credentials: %w", err)
	}
	c := New()
	for _, kv := range m.GetTokens() {
		// Like Java's proto2 getToken, a missing token reads as empty.
		c.AddToken(kv.GetAlias(), Token{
			Identifier: kv.Token.GetIdentifier(),
			Password:   kv.Token.GetPassword(),
			Kind:       kv.Token.GetKind(),
			Service:    kv.Token.GetService(),
		})
	}
	for _, kv := range m.GetSecrets() {
		c.AddSecret(kv.GetAlias(), kv.GetSecret())
	}
	return c, nil
}
