// Package credentials reads and writes Hadoop's credentials ("token
// storage") format, byte-compatible with org.apache.hadoop.security.
// Credentials in Hadoop 3.4.1: the magic "HDTS", a version byte, and either
// the Writable body (version 0, what Hadoop writes by default: the RM, the
// NodeManager's container_tokens file and YarnClient all use it) or a
// varint-delimited CredentialsProto (version 1). It owns the Token and
// Credentials types, the file and byte-slice codecs, and the WritableUtils
// variable-length integer encoding they use.
package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// Format is the version byte of a credentials file.
type Format byte

const (
	// FormatWritable is version 0, Hadoop's default when writing.
	FormatWritable Format = 0
	// FormatProtobuf is version 1, a varint-delimited CredentialsProto.
	FormatProtobuf Format = 1
)

func (f Format) String() string {
	switch f {
	case FormatWritable:
		return "writable (version 0)"
	case FormatProtobuf:
		return "protobuf (version 1)"
	}
	return fmt.Sprintf("unknown format (version %d)", byte(f))
}

// Magic starts every credentials file.
const Magic = "HDTS"

// MaxSize bounds how much Read and ReadFile accept. Real files hold a
// handful of tokens of a few hundred bytes each.
const MaxSize = 64 << 20

// KindAMRMToken is the kind of the ResourceManager's AMRMToken, which the
// RM stores with an empty service: select it with TokenByKind.
const KindAMRMToken = "YARN_AM_RM_TOKEN"

// Token is a Hadoop security token (org.apache.hadoop.security.token.Token).
type Token struct {
	Identifier []byte
	Password   []byte
	Kind       string
	Service    string
}

func (t Token) clone() Token {
	t.Identifier = bytes.Clone(t.Identifier)
	t.Password = bytes.Clone(t.Password)
	return t
}

// Credentials holds tokens and secret keys, each by alias. Encoding writes
// them sorted by alias so output is deterministic. The zero value is empty
// and ready to use.
type Credentials struct {
	tokens  map[string]Token
	secrets map[string][]byte
}

// New returns empty credentials.
func New() *Credentials { return &Credentials{} }

// AddToken stores t under alias, replacing any token already there. Hadoop
// uses the token's service as the alias for most tokens.
func (c *Credentials) AddToken(alias string, t Token) {
	if c.tokens == nil {
		c.tokens = map[string]Token{}
	}
	c.tokens[alias] = t.clone()
}

// Token returns the token stored under alias.
func (c *Credentials) Token(alias string) (Token, bool) {
	t, ok := c.tokens[alias]
	if !ok {
		return Token{}, false
	}
	return t.clone(), true
}

// TokenByKind returns the first token, in alias order, whose kind is kind.
func (c *Credentials) TokenByKind(kind string) (Token, bool) {
	for _, a := range c.TokenAliases() {
		if t := c.tokens[a]; t.Kind == kind {
			return t.clone(), true
		}
	}
	return Token{}, false
}

// RemoveToken deletes the token stored under alias.
func (c *Credentials) RemoveToken(alias string) { delete(c.tokens, alias) }

// TokenAliases lists the token aliases, sorted.
func (c *Credentials) TokenAliases() []string { return sortedKeys(c.tokens) }

// AddSecret stores a secret key under alias, replacing any already there.
func (c *Credentials) AddSecret(alias string, secret []byte) {
	if c.secrets == nil {
		c.secrets = map[string][]byte{}
	}
	c.secrets[alias] = bytes.Clone(secret)
	if c.secrets[alias] == nil {
		c.secrets[alias] = []byte{}
	}
}

// Secret returns the secret key stored under alias.
func (c *Credentials) Secret(alias string) ([]byte, bool) {
	s, ok := c.secrets[alias]
	return bytes.Clone(s), ok
}

// RemoveSecret deletes the secret stored under alias.
func (c *Credentials) RemoveSecret(alias string) { delete(c.secrets, alias) }

// SecretAliases lists the secret aliases, sorted.
func (c *Credentials) SecretAliases() []string { return sortedKeys(c.secrets) }

// AddAll copies every token and secret of other into c, replacing entries
// with the same alias (Hadoop's Credentials.addAll).
func (c *Credentials) AddAll(other *Credentials) {
	for a, t := range other.tokens {
		c.AddToken(a, t)
	}
	for a, s := range other.secrets {
		c.AddSecret(a, s)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ReadFile reads a credentials file, such as the one named by
// $HADOOP_TOKEN_FILE_LOCATION in a YARN container.
func ReadFile(path string) (*Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading Hadoop credentials: %w", err)
	}
	defer f.Close()
	c, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("reading Hadoop credentials file %s: %w", path, err)
	}
	return c, nil
}

// Read decodes credentials from r, reading at most MaxSize bytes.
func Read(r io.Reader) (*Credentials, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading Hadoop credentials: %w", err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("Hadoop credentials are larger than %d bytes", MaxSize)
	}
	return Parse(b)
}

// Parse decodes credentials in either format. Like Hadoop's reader it
// ignores bytes after the body (blobs copied out of a Java
// DataOutputBuffer can carry unused buffer space).
func Parse(b []byte) (*Credentials, error) {
	if len(b) < len(Magic)+1 {
		return nil, errors.New("not a Hadoop credentials file: too short for the HDTS header")
	}
	if string(b[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("not a Hadoop credentials file: header is %q, want %q", b[:len(Magic)], Magic)
	}
	body := b[len(Magic)+1:]
	switch f := Format(b[len(Magic)]); f {
	case FormatWritable:
		return parseWritable(body)
	case FormatProtobuf:
		return parseProto(body)
	default:
		return nil, fmt.Errorf("unsupported Hadoop credentials version %d (known: 0 writable, 1 protobuf)", byte(f))
	}
}

// Marshal encodes c in format f, header included.
func (c *Credentials) Marshal(f Format) ([]byte, error) {
	b := append([]byte(Magic), byte(f))
	switch f {
	case FormatWritable:
		return c.appendWritable(b), nil
	case FormatProtobuf:
		return c.appendProto(b)
	}
	return nil, fmt.Errorf("cannot write Hadoop credentials: %v", f)
}

// WriteTo writes c in Hadoop's default format, FormatWritable, so that
// *Credentials is an io.WriterTo.
func (c *Credentials) WriteTo(w io.Writer) (int64, error) {
	return c.WriteFormat(w, FormatWritable)
}

// WriteFormat writes c to w in format f.
func (c *Credentials) WriteFormat(w io.Writer, f Format) (int64, error) {
	b, err := c.Marshal(f)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	if err != nil {
		return int64(n), fmt.Errorf("writing Hadoop credentials: %w", err)
	}
	return int64(n), nil
}

// WriteFile writes c to path in format f with mode 0600, replacing the file
// atomically (a temporary file in the same directory is renamed over it).
func (c *Credentials) WriteFile(path string, f Format) error {
	b, err := c.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing Hadoop credentials file %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("writing Hadoop credentials file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing Hadoop credentials file %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing Hadoop credentials file %s: %w", path, err)
	}
	return nil
}

// ContainerTokens encodes c for ContainerLaunchContextProto.tokens. Hadoop
// 3.4.1's YarnClientImpl and the RM's AMLauncher fill that field with
// Credentials.writeTokenStorageToStream(DataOutputStream), which writes the
// version 0 (Writable) format, and the NodeManager copies it into the
// container's token file; so this is Marshal(FormatWritable).
func (c *Credentials) ContainerTokens() []byte {
	b, _ := c.Marshal(FormatWritable) // cannot fail for this format
	return b
}
