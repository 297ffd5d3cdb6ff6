package hadooprpc

import (
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
)

// Options are what a client needs beyond the Hadoop configuration.
type Options struct {
	// User is the effective user under SIMPLE authentication; default
	// $HADOOP_USER_NAME, then the OS user.
	User string
	// Kerberos is a logged-in client for clusters with
	// hadoop.security.authentication=kerberos; when nil one is made from
	// the ticket cache (KRB5CCNAME) or from Keytab/Principal.
	Kerberos *client.Client
	// Keytab and Principal log in with a keytab instead of the ticket cache.
	Keytab, Principal string
	// ProxyUser, under Kerberos, is the user to act as (Hadoop's doAs):
	// the logged-in principal is the real user, and the cluster's
	// hadoop.proxyuser.* settings decide whether it may.
	ProxyUser string
	// HDFSToken, under Kerberos, returns the HDFS delegation token to reach
	// the NameNode with instead of a Kerberos login: what the AM and the
	// containers have. It is called for every new connection, so a
	// refreshed token serves the next one.
	HDFSToken func() *Token
}

// Token is a Hadoop token: identifier and password, kind and service.
type Token = ipc.Token

// clientAuth decides how a client connection to the ResourceManager
// authenticates, from hadoop.security.authentication.
func clientAuth(cfg *conf.Config, o Options, principalKey string) (ipc.Options, error) {
	var opts ipc.Options
	qop, err := qopFrom(cfg)
	if err != nil {
		return opts, err
	}
	opts.QOP = qop
	opts.ClientID = ipc.NewClientID()
	mode := strings.ToLower(strings.TrimSpace(cfg.GetDefault("hadoop.security.authentication", "simple")))
	switch mode {
	case "simple":
		opts.Auth = ipc.AuthSimple
		opts.User = o.User
	case "kerberos":
		kc := o.Kerberos
		if kc == nil {
			if kc, err = kerberosLogin(o); err != nil {
				return opts, err
			}
		}
		opts.Auth = ipc.AuthKerberos
		opts.Kerberos = kc
		opts.User = o.ProxyUser // empty: the principal itself
		if p, ok := cfg.Get(principalKey); ok {
			opts.ServicePrincipal = p
		}
	default:
		src, _ := cfg.Source("hadoop.security.authentication")
		return opts, fmt.Errorf("%s: hadoop.security.authentication is %q: Spindle supports simple and kerberos", src, mode)
	}
	return opts, nil
}

// DefaultUser is the user under SIMPLE authentication: $HADOOP_USER_NAME,
// else the OS user.
func DefaultUser() (string, error) { return ipc.DefaultUser() }
