package appmaster

import (
	"context"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

func kerberizedConf() *conf.Config {
	c := conf.New()
	c.Set("fs.defaultFS", "hdfs://localhost:9000")
	c.Set("hadoop.security.authentication", "kerberos")
	return c
}

// The containers get the application's delegation tokens, never the
// AMRMToken or the AM's own secrets (the keytab).
func TestContainerCredentials(t *testing.T) {
	all := credentials.New()
	all.AddToken("amrm", credentials.Token{Kind: hadooprpc.AMRMTokenKind, Identifier: []byte("amrm")})
	all.AddToken("127.0.0.1:9000", credentials.Token{Kind: hadooprpc.HDFSTokenKind, Service: "127.0.0.1:9000", Identifier: []byte("hdfs")})
	all.AddSecret(KeytabAlias, []byte("keytab bytes"))
	tk, err := NewTokens(context.Background(), kerberizedConf(), all)
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.HDFS(); got == nil || string(got.Identifier) != "hdfs" {
		t.Fatalf("AM's HDFS token %v", got)
	}
	c, serial := tk.Container([]byte("s"))
	if serial != 0 || len(c.TokenAliases()) != 1 || c.TokenAliases()[0] != "127.0.0.1:9000" {
		t.Fatalf("container tokens %v serial %d", c.TokenAliases(), serial)
	}
	if _, ok := c.Secret(KeytabAlias); ok {
		t.Fatal("the keytab would reach the containers")
	}
	if s, _ := c.Secret(SecretAlias); string(s) != "s" {
		t.Fatal("no control secret")
	}

	// Kerberized without an HDFS token: a clear error at start.
	all.RemoveToken("127.0.0.1:9000")
	if _, err := NewTokens(context.Background(), kerberizedConf(), all); err == nil {
		t.Fatal("no HDFS token on a Kerberized cluster: no error")
	}
}

// A refresh replaces the HDFS token for the AM and the containers and is
// next due after three quarters of the new token's life.
func TestRefreshReplacesTokens(t *testing.T) {
	all := credentials.New()
	all.AddToken("127.0.0.1:9000", credentials.Token{Kind: hadooprpc.HDFSTokenKind, Service: "127.0.0.1:9000", Identifier: []byte("submitted")})
	tk, err := NewTokens(context.Background(), kerberizedConf(), all)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	r := &Refresher{Tokens: tk, Log: logrus.New(), Fetch: func(context.Context) (credentials.Token, time.Time, error) {
		n++
		return credentials.Token{Kind: hadooprpc.HDFSTokenKind, Service: "127.0.0.1:9000", Identifier: []byte{'t', byte('0' + n)}},
			time.Now().Add(100 * time.Second), nil
	}}
	before := time.Now()
	next, err := r.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := next.Sub(before); d < 74*time.Second || d > 76*time.Second {
		t.Fatalf("next refresh in %s, want 75s", d)
	}
	c, serial := tk.Container(nil)
	tok, _ := c.Token("127.0.0.1:9000")
	if serial != 1 || string(tok.Identifier) != "t1" || len(c.TokenAliases()) != 1 || string(tk.HDFS().Identifier) != "t1" {
		t.Fatalf("after refresh: serial %d token %q aliases %v", serial, tok.Identifier, c.TokenAliases())
	}
	if p := TokenPoll(time.Until(next)); p < 18*time.Second || p > 19*time.Second {
		t.Fatalf("container poll %s", p)
	}
	if TokenPoll(time.Second) != 5*time.Second || TokenPoll(100*time.Hour) != 10*time.Minute {
		t.Fatal("TokenPoll bounds")
	}
}
