package hadooprpc

import (
	"fmt"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"

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

// kerberosLogin makes a gokrb5 client from a keytab or the ticket cache,
// with krb5.conf from KRB5_CONFIG or /etc/krb5.conf.
func kerberosLogin(o Options) (*client.Client, error) {
	krb5conf := os.Getenv("KRB5_CONFIG")
	if krb5conf == "" {
		krb5conf = "/etc/krb5.conf"
	}
	kcfg, err := krbconfig.Load(krb5conf)
	if err != nil {
		return nil, fmt.Errorf("kerberos: read %s (set KRB5_CONFIG to your krb5.conf): %w", krb5conf, err)
	}
	if o.Keytab != "" {
		kt, err := keytab.Load(o.Keytab)
		if err != nil {
			return nil, fmt.Errorf("kerberos: read keytab %s: %w", o.Keytab, err)
		}
		user, realm, _ := strings.Cut(o.Principal, "@")
		if user == "" || realm == "" {
			return nil, fmt.Errorf("kerberos: principal %q must be user@REALM to use keytab %s", o.Principal, o.Keytab)
		}
		c := client.NewWithKeytab(user, realm, kt, kcfg, client.DisablePAFXFAST(true))
		if err := c.Login(); err != nil {
			return nil, fmt.Errorf("kerberos: log in as %s with %s: %w", o.Principal, o.Keytab, err)
		}
		return c, nil
	}
	ccPath := os.Getenv("KRB5CCNAME")
	ccPath = strings.TrimPrefix(ccPath, "FILE:")
	if ccPath == "" {
		ccPath = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
	}
	cc, err := credentials.LoadCCache(ccPath)
	if err != nil {
		return nil, fmt.Errorf("kerberos: no ticket cache at %s (run kinit, or pass a keytab): %w", ccPath, err)
	}
	c, err := client.NewFromCCache(cc, kcfg, client.DisablePAFXFAST(true))
	if err != nil {
		return nil, fmt.Errorf("kerberos: use ticket cache %s (run kinit again?): %w", ccPath, err)
	}
	return c, nil
}

// DefaultUser is the user under SIMPLE authentication: $HADOOP_USER_NAME,
// else the OS user.
func DefaultUser() (string, error) { return ipc.DefaultUser() }
