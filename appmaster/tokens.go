package appmaster

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

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

// KeytabAlias is the secret, in the AM's credentials only, holding the
// keytab a long-running application was submitted with.
const KeytabAlias = "spindle.keytab"

// Refresher obtains fresh HDFS delegation tokens with a keytab before the
// current ones expire, as Spark's AM does: YARN renews the submitted token
// only up to dfs.namenode.delegation.token.max-lifetime.
type Refresher struct {
	Hadoop    *conf.Config
	Tokens    *Tokens
	Principal string
	Keytab    []byte
	Log       logrus.FieldLogger
	// Fetch obtains a token and its expiry; default: from the NameNode.
	Fetch func(ctx context.Context) (credentials.Token, time.Time, error)
}

// refreshShare is how much of a token's remaining life passes before a
// new one is fetched (Spark's spark.security.credentials.renewalRatio).
const refreshShare = 0.75

// minRefreshRetry and maxRefreshRetry bound the pause before a failed
// refresh is tried again.
const (
	minRefreshRetry = 5 * time.Second
	maxRefreshRetry = time.Minute
)

// Refresh fetches a new token, puts it in place and returns when the next
// one is due.
func (r *Refresher) Refresh(ctx context.Context) (time.Time, error) {
	fetch := r.Fetch
	if fetch == nil {
		fetch = r.fetch
	}
	tok, expiry, err := fetch(ctx)
	if err != nil {
		return time.Time{}, err
	}
	r.Tokens.Replace(tok)
	now := time.Now()
	return now.Add(time.Duration(refreshShare * float64(expiry.Sub(now)))), nil
}

// fetch gets a token the principal itself may renew and renews it once:
// the renewal's answer is the only way to learn when it expires.
func (r *Refresher) fetch(ctx context.Context) (credentials.Token, time.Time, error) {
	kc, err := hadooprpc.KeytabLogin(r.Principal, r.Keytab)
	if err != nil {
		return credentials.Token{}, time.Time{}, err
	}
	defer kc.Destroy()
	o := hadooprpc.Options{Kerberos: kc}
	tok, err := hadooprpc.HDFSDelegationToken(ctx, r.Hadoop, o, r.Principal)
	if err != nil {
		return credentials.Token{}, time.Time{}, err
	}
	expiry, err := hadooprpc.RenewHDFSDelegationToken(ctx, r.Hadoop, o, tok)
	if err != nil {
		return credentials.Token{}, time.Time{}, err
	}
	if id, err := hadooprpc.ParseDelegationTokenID(tok.Identifier); err == nil && id.MaxDate.Before(expiry) {
		expiry = id.MaxDate
	}
	return tok, expiry, nil
}

// TokenPoll is how often containers ask for refreshed tokens, given the
// time until the next refresh: a quarter of it, from 5 seconds to 10
// minutes, so that a container has its new tokens long before the old ones
// expire.
func TokenPoll(untilRefresh time.Duration) time.Duration {
	return min(max(untilRefresh/4, 5*time.Second), 10*time.Minute)
}

// Run refreshes until ctx ends; next is when the first refresh is due.
// A failed refresh is logged and retried, after minRefreshRetry doubling up
// to maxRefreshRetry: containers keep their tokens meanwhile.
func (r *Refresher) Run(ctx context.Context, next time.Time) {
	retry := minRefreshRetry
	for {
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		n, err := r.Refresh(ctx)
		if err != nil {
			r.Log.WithError(err).Warn("delegation token refresh failed; retrying")
			next = time.Now().Add(retry)
			retry = min(2*retry, maxRefreshRetry)
			continue
		}
		retry = minRefreshRetry
		r.Log.WithField("next", n.UTC().Format(time.RFC3339)).Info("delegation tokens refreshed")
		next = n
	}
}
