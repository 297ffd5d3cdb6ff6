package container

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// EnvTokenPoll, set by the AM when it refreshes delegation tokens with a
// keytab, is how often the runtime asks for them (a duration).
const EnvTokenPoll = "SPINDLE_TOKEN_POLL"

// MaxTokenPoll bounds EnvTokenPoll.
const MaxTokenPoll = time.Hour

// TokensReply is the answer of GET {AM}/v1/tokens: the container's
// credentials (Hadoop's Writable format) and the serial of the token set,
// which grows with every refresh.
type TokensReply struct {
	Serial      int    `json:"serial"`
	Credentials []byte `json:"credentials"`
}

// refreshTokens keeps the container's token file current while the AM
// replaces the application's delegation tokens: every TokenPoll it asks
// the AM and, when the set is new, rewrites the file (atomically, 0600).
// The Dask processes and whatever they start (Java, libhdfs) read
// HADOOP_TOKEN_FILE_LOCATION when they log in, so new ones get the fresh
// tokens.
func (r *runtime) refreshTokens(ctx context.Context) {
	serial := 0
	t := time.NewTicker(r.cfg.TokenPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var reply TokensReply
		if err := r.am.do(ctx, http.MethodGet, "/v1/tokens", nil, &reply); err != nil {
			r.log.Warn("cannot fetch refreshed delegation tokens from the AM", "err", err)
			continue
		}
		if reply.Serial <= serial {
			continue
		}
		if err := replaceTokens(r.cfg.TokenFile, reply.Credentials); err != nil {
			r.log.Warn("cannot update the token file", "err", err)
			continue
		}
		serial = reply.Serial
		r.log.Info("delegation tokens refreshed", "serial", serial)
	}
}

// replaceTokens puts the tokens of fresh (a credentials blob) in the token
// file at path in place of its own, keeping its secrets (the control
// secret, which the AM may not resend).
func replaceTokens(path string, fresh []byte) error {
	nc, err := credentials.Parse(fresh)
	if err != nil {
		return fmt.Errorf("the AM's tokens: %w", err)
	}
	old, err := credentials.ReadFile(path)
	if err != nil {
		return err
	}
	out := credentials.New()
	for _, a := range old.SecretAliases() {
		s, _ := old.Secret(a)
		out.AddSecret(a, s)
	}
	out.AddAll(nc)
	for _, a := range nc.SecretAliases() { // secrets stay the file's own
		if s, ok := old.Secret(a); ok {
			out.AddSecret(a, s)
		}
	}
	return out.WriteFile(path, credentials.FormatWritable)
}
