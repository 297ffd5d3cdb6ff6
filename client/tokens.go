package client

import (
	"context"
	"fmt"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// appCredentials are the credentials an application's AM starts with. On a
// Kerberized cluster they hold an HDFS delegation token, renewable by the
// ResourceManager so that YARN keeps it alive for the application's life
// (up to dfs.namenode.delegation.token.max-lifetime): the AM and the
// containers have no Kerberos login and reach HDFS with it alone.
func (c *Client) appCredentials(ctx context.Context) (*credentials.Credentials, error) {
	creds := credentials.New()
	if !hadooprpc.Kerberized(c.Hadoop) {
		return creds, nil
	}
	renewer, err := hadooprpc.RMPrincipal(c.Hadoop)
	if err != nil {
		return nil, fmt.Errorf("delegation tokens: %w", err)
	}
	tok, err := hadooprpc.HDFSDelegationToken(ctx, c.Hadoop, c.Auth, renewer)
	if err != nil {
		return nil, fmt.Errorf("delegation tokens: %w", err)
	}
	// Hadoop stores a token under its service, which is also how Java
	// clients in the containers find it.
	creds.AddToken(tok.Service, tok)
	c.progress("HDFS delegation token for %s (renewer %s)", tok.Service, renewer)
	return creds, nil
}
