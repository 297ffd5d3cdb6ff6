package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// kerberosFlags are --principal and --keytab, on every command that talks
// to the cluster. Without them a Kerberized cluster is reached with kinit's
// ticket cache.
type kerberosFlags struct {
	principal, keytab string
}

func (k *kerberosFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.principal, "principal", "", "Kerberos principal to log in as (user@REALM), with --keytab; default: the one in kinit's ticket cache (KRB5CCNAME)")
	cmd.Flags().StringVar(&k.keytab, "keytab", "", "keytab holding --principal's key, used instead of kinit's ticket cache")
}

// auth is how to authenticate to the cluster in cfg. On a Kerberized one
// it logs in now, under ctx, and gets a ticket for the ResourceManager, so
// that missing or expired credentials, a refused keytab or a silent KDC
// end the command here with exit 10 (6 when ctx's deadline passes first),
// before anything is submitted. The result rides on the returned context
// for the clients made further down (authFrom).
func (k *kerberosFlags) auth(ctx context.Context, cfg *conf.Config) (context.Context, hadooprpc.Options, error) {
	return k.authTo(ctx, cfg, hadooprpc.RMPrincipal)
}

// authTo is auth with the first ticket for the server spn names (the
// NameNode for commands that only use HDFS).
func (k *kerberosFlags) authTo(ctx context.Context, cfg *conf.Config, spn func(*conf.Config) (string, error)) (context.Context, hadooprpc.Options, error) {
	var o hadooprpc.Options
	if !hadooprpc.Kerberized(cfg) {
		if k.principal != "" || k.keytab != "" {
			src, _ := cfg.Source("hadoop.security.authentication")
			return ctx, o, withCode(ExitUsage, fmt.Errorf("--principal/--keytab: this cluster does not use Kerberos (hadoop.security.authentication is %q%s)",
				cfg.GetDefault("hadoop.security.authentication", "simple"), inSource(src)))
		}
		return ctx, o, nil
	}
	if k.keytab != "" && k.principal == "" {
		return ctx, o, withCode(ExitUsage, errors.New("--keytab needs --principal: the principal (user@REALM) whose key it holds"))
	}
	o.Principal, o.Keytab = k.principal, k.keytab
	kc, err := hadooprpc.KerberosLogin(ctx, o)
	if err == nil {
		var p string
		if p, err = spn(cfg); err != nil {
			return ctx, o, withCode(ExitUnavailable, err)
		}
		err = hadooprpc.ServiceTicket(ctx, kc, p)
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctx, o, withCode(ExitTimeout, err)
		}
		return ctx, o, withCode(ExitAuth, err)
	}
	o.Kerberos = kc
	o.User = hadooprpc.ShortName(hadooprpc.PrincipalOf(kc))
	return context.WithValue(ctx, authKey{}, o), o, nil
}

func inSource(src string) string {
	if src == "" {
		return ", Hadoop's default"
	}
	return " in " + src
}

type authKey struct{}

// authFrom is the authentication kerberosFlags.auth put on ctx; the zero
// Options (SIMPLE, or the ticket cache) when there is none.
func authFrom(ctx context.Context) hadooprpc.Options {
	o, _ := ctx.Value(authKey{}).(hadooprpc.Options)
	return o
}

// webClient is an HTTP client for the cluster's web services (NodeManager
// logs): on a Kerberized cluster it answers SPNEGO challenges with o's
// Kerberos login; when the cluster serves YARN's web over HTTPS only
// (yarn.http.policy=HTTPS_ONLY, the NodeManagers' reported web addresses
// being their HTTPS ones) it speaks HTTPS to them, checking certificates
// against the system's authorities and SSL_CERT_FILE's.
func webClient(cfg *conf.Config, o hadooprpc.Options, timeout time.Duration) (*http.Client, error) {
	c := &http.Client{Timeout: timeout}
	var rt http.RoundTripper = http.DefaultTransport
	if cfg.WebAppHTTPS() {
		roots, err := certPool()
		if err != nil {
			return nil, err
		}
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		rt = httpsOnly{t}
	}
	if o.Kerberos != nil {
		rt = hadooprpc.SPNEGOTransport(o.Kerberos, rt)
		c.Jar, _ = cookiejar.New(nil) // hadoop.auth: one ticket exchange per server
	}
	c.Transport = rt
	return c, nil
}

// certPool is the system's certificate authorities and SSL_CERT_FILE's,
// read now: Go reads SSL_CERT_FILE once per process.
func certPool() (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read SSL_CERT_FILE: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("SSL_CERT_FILE %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// httpsOnly sends requests for http:// URLs as https://: the log code
// names NodeManagers by host:port, and under HTTPS_ONLY those are their
// HTTPS ports.
type httpsOnly struct{ base http.RoundTripper }

func (h httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" {
		req = req.Clone(req.Context())
		req.URL.Scheme = "https"
	}
	return h.base.RoundTrip(req)
}
