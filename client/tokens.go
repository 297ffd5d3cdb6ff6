package client

import (
	"context"
	"fmt"
	"os"
	"path"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/appmaster"
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

// shipKeytab gives the AM the keytab the client logged in with, so that a
// long-running application outlives its delegation tokens' maximum
// lifetime: the AM logs in with it and fetches new ones. The keytab
// travels in the AM's credentials only (the RM hands them to the AM's
// NodeManager, which writes them to a file only the application's user
// reads), never in the environment, argv or the staging folder, and the
// containers' credentials never include it.
func (c *Client) shipKeytab(creds *credentials.Credentials, plan *appmaster.Plan) error {
	if c.Auth.Keytab == "" || !hadooprpc.Kerberized(c.Hadoop) {
		return nil
	}
	kt, err := os.ReadFile(c.Auth.Keytab)
	if err != nil {
		return fmt.Errorf("read the keytab to give the application master: %w", err)
	}
	creds.AddSecret(appmaster.KeytabAlias, kt)
	plan.Principal = c.Auth.Principal
	if c.Auth.Kerberos != nil { // the full user@REALM the login used
		plan.Principal = hadooprpc.PrincipalOf(c.Auth.Kerberos)
	}
	return nil
}

// shipKrb5Conf gives the AM the client's krb5.conf (KRB5_CONFIG, else
// /etc/krb5.conf) for its keytab logins, as AM file krb5.conf.
func (c *Client) shipKrb5Conf(fs *hdfs.Client, staging string, amFiles map[string]appmaster.Resource, amEnv map[string]string) error {
	src := os.Getenv("KRB5_CONFIG")
	if src == "" {
		src = "/etc/krb5.conf"
	}
	dst := path.Join(staging, "krb5.conf")
	if err := copyToHDFS(fs, src, dst, 0o600); err != nil {
		return fmt.Errorf("stage krb5.conf for the application master's keytab logins: %w", err)
	}
	r, err := c.resource(fs, dst)
	if err != nil {
		return err
	}
	amFiles["krb5.conf"] = r
	amEnv["KRB5_CONFIG"] = "krb5.conf"
	return nil
}
