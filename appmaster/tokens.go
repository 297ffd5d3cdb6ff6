package appmaster

import (
	"context"
	"fmt"
	"sync"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// Tokens are the delegation tokens the AM holds: what it reaches HDFS with
// and what it passes to every container it launches. A keytab login
// replaces them before they expire (see Refresher).
type Tokens struct {
	mu     sync.Mutex
	creds  *credentials.Credentials // tokens for containers, no AMRMToken, no secrets
	hdfs   *credentials.Token
	serial int // counts replacements, so containers can tell a new set
}

// NewTokens takes the application's tokens from the AM container's
// credentials. On a Kerberized cluster an HDFS delegation token must be
// among them: the AM has no Kerberos login of its own.
func NewTokens(ctx context.Context, hconf *conf.Config, all *credentials.Credentials) (*Tokens, error) {
	t := &Tokens{creds: credentials.New()}
	for _, a := range all.TokenAliases() {
		if tok, _ := all.Token(a); tok.Kind != hadooprpc.AMRMTokenKind {
			t.creds.AddToken(a, tok)
		}
	}
	if !hadooprpc.Kerberized(hconf) {
		return t, nil
	}
	tok, err := hadooprpc.HDFSToken(ctx, hconf, all)
	if err != nil {
		return nil, fmt.Errorf("the cluster is Kerberized but the AM's credentials hold no usable HDFS delegation token (was the application submitted by a Spindle without Kerberos support?): %w", err)
	}
	t.hdfs = &tok
	return t, nil
}

// HDFS is the HDFS delegation token to connect with; nil without Kerberos.
func (t *Tokens) HDFS() *hadooprpc.Token {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hdfs == nil {
		return nil
	}
	tok := hadooprpc.Token(*t.hdfs)
	return &tok
}

// Replace puts tok in place of the HDFS token(s) held so far.
func (t *Tokens) Replace(tok credentials.Token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.creds.TokenAliases() {
		if old, _ := t.creds.Token(a); old.Kind == tok.Kind {
			t.creds.RemoveToken(a)
		}
	}
	t.creds.AddToken(tok.Service, tok)
	t.hdfs = &tok
	t.serial++
}

// Container returns a container's credentials: the tokens and the
// control secret, and the serial of this token set.
// A nil Tokens gives the secret alone.
func (t *Tokens) Container(secret []byte) (*credentials.Credentials, int) {
	c := credentials.New()
	c.AddSecret(SecretAlias, secret)
	if t == nil {
		return c, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c.AddAll(t.creds)
	return c, t.serial
}
