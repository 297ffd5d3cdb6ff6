package hadooprpc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
)

// ErrKerberos is wrapped by every error about the client's own Kerberos
// credentials or the KDC: no ticket cache, an expired ticket, a keytab or
// principal the KDC refuses, a KDC that does not answer, a server whose
// principal is not the configured one. Running kinit (or fixing the keytab
// or configuration) is the remedy, not retrying.
var ErrKerberos = ipc.ErrKerberos

// KerberosLogin logs in as o says (Keytab and Principal, else the ticket
// cache, KRB5CCNAME or /tmp/krb5cc_<uid>) with krb5.conf from KRB5_CONFIG
// or /etc/krb5.conf, and checks the credentials are usable now. gokrb5 takes
// no context, so a KDC that does not answer ends the wait when ctx ends.
func KerberosLogin(ctx context.Context, o Options) (*client.Client, error) {
	type result struct {
		c   *client.Client
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := kerberosLogin(o)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: no answer from the KDC (see %s) while logging in: %w", ErrKerberos, krb5ConfPath(), ctx.Err())
	}
}

// ServiceTicket asks the KDC for a ticket to spn (name/host@REALM) under
// ctx, so that an expired TGT or a KDC that does not answer is reported
// before any server is contacted. gokrb5 caches the ticket for the SASL
// exchange that follows.
func ServiceTicket(ctx context.Context, kc *client.Client, spn string) error {
	ch := make(chan error, 1)
	go func() {
		_, _, err := kc.GetServiceTicket(strings.SplitN(spn, "@", 2)[0])
		ch <- err
	}()
	select {
	case err := <-ch:
		if err != nil {
			return fmt.Errorf("%w: get a service ticket for %s: %s", ErrKerberos, spn, explainKDC(err))
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: no answer from the KDC (see %s) for a service ticket to %s: %w", ErrKerberos, krb5ConfPath(), spn, ctx.Err())
	}
}

// PrincipalOf names a logged-in client's principal, user@REALM.
func PrincipalOf(kc *client.Client) string {
	return kc.Credentials.CName().PrincipalNameString() + "@" + kc.Credentials.Realm()
}

func krb5ConfPath() string {
	if p := os.Getenv("KRB5_CONFIG"); p != "" {
		return p
	}
	return "/etc/krb5.conf"
}

// CCachePath is the ticket cache kinit writes: KRB5CCNAME (FILE: only),
// else /tmp/krb5cc_<uid>.
func CCachePath() string {
	p := strings.TrimPrefix(os.Getenv("KRB5CCNAME"), "FILE:")
	if p == "" {
		p = fmt.Sprintf("/tmp/krb5cc_%d", os.Getuid())
	}
	return p
}

// kerberosLogin makes a gokrb5 client from a keytab or the ticket cache.
func kerberosLogin(o Options) (*client.Client, error) {
	path := krb5ConfPath()
	kcfg, err := krbconfig.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w: read %s (set KRB5_CONFIG to your krb5.conf): %w", ErrKerberos, path, err)
	}
	if o.Keytab != "" {
		return keytabLogin(o, kcfg)
	}
	return ccacheLogin(o, kcfg, time.Now())
}

func keytabLogin(o Options, kcfg *krbconfig.Config) (*client.Client, error) {
	kt, err := keytab.Load(o.Keytab)
	if err != nil {
		return nil, fmt.Errorf("%w: read keytab %s: %w", ErrKerberos, o.Keytab, err)
	}
	user, realm, _ := strings.Cut(o.Principal, "@")
	if user == "" {
		return nil, fmt.Errorf("%w: keytab %s needs a principal (--principal user@REALM)", ErrKerberos, o.Keytab)
	}
	if realm == "" {
		realm = kcfg.LibDefaults.DefaultRealm
	}
	if !keytabHas(kt, user, realm) {
		return nil, fmt.Errorf("%w: keytab %s has no key for %s@%s (klist -kt %s lists its principals)", ErrKerberos, o.Keytab, user, realm, o.Keytab)
	}
	c := client.NewWithKeytab(user, realm, kt, kcfg, client.DisablePAFXFAST(true))
	if err := c.Login(); err != nil {
		return nil, fmt.Errorf("%w: log in as %s@%s with keytab %s: %s", ErrKerberos, user, realm, o.Keytab, explainKDC(err))
	}
	return c, nil
}

func keytabHas(kt *keytab.Keytab, user, realm string) bool {
	want := types.NewPrincipalName(1, user)
	for _, e := range kt.Entries {
		if strings.EqualFold(e.Principal.Realm, realm) && e.Principal.Components != nil &&
			strings.Join(e.Principal.Components, "/") == strings.Join(want.NameString, "/") {
			return true
		}
	}
	return false
}

func ccacheLogin(o Options, kcfg *krbconfig.Config, now time.Time) (*client.Client, error) {
	path := CCachePath()
	cc, err := credentials.LoadCCache(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no ticket cache at %s: run kinit first (or pass --keytab and --principal)", ErrKerberos, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read ticket cache %s (run kinit again): %w", ErrKerberos, path, err)
	}
	who := cc.GetClientPrincipalName().PrincipalNameString() + "@" + cc.GetClientRealm()
	if o.Principal != "" && !samePrincipal(o.Principal, who, kcfg.LibDefaults.DefaultRealm) {
		return nil, fmt.Errorf("%w: ticket cache %s holds tickets of %s, not of %s: kinit %s, or pass --keytab", ErrKerberos, path, who, o.Principal, o.Principal)
	}
	tgt, ok := cc.GetEntry(types.PrincipalName{NameType: 2, NameString: []string{"krbtgt", cc.GetClientRealm()}})
	if !ok {
		return nil, fmt.Errorf("%w: ticket cache %s holds no ticket-granting ticket for %s: run kinit", ErrKerberos, path, who)
	}
	if !tgt.EndTime.After(now) {
		return nil, fmt.Errorf("%w: the Kerberos ticket of %s in %s expired at %s: run kinit again", ErrKerberos, who, path,
			tgt.EndTime.UTC().Format(time.RFC3339))
	}
	c, err := client.NewFromCCache(cc, kcfg, client.DisablePAFXFAST(true))
	if err != nil {
		return nil, fmt.Errorf("%w: use ticket cache %s (run kinit again): %w", ErrKerberos, path, err)
	}
	return c, nil
}

func samePrincipal(given, full, defaultRealm string) bool {
	if !strings.Contains(given, "@") {
		given += "@" + defaultRealm
	}
	return given == full
}

// explainKDC turns gokrb5's KDC errors into what to do about them.
func explainKDC(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "KDC_ERR_C_PRINCIPAL_UNKNOWN"):
		return "the KDC does not know this principal (check --principal): " + s
	case strings.Contains(s, "KDC_ERR_PREAUTH_FAILED"), strings.Contains(s, "KRB_AP_ERR_BAD_INTEGRITY"),
		strings.Contains(s, "Decrypting_Error"), strings.Contains(s, "error decrypting"):
		return "the KDC refused the key (a wrong or outdated keytab, or a wrong password): " + s
	case strings.Contains(s, "KDC_ERR_S_PRINCIPAL_UNKNOWN"):
		return "the KDC does not know this service principal (check the *.principal settings of the Hadoop configuration): " + s
	case strings.Contains(s, "KRB_AP_ERR_TKT_EXPIRED"), strings.Contains(s, "TGT expired"), strings.Contains(s, "expired"):
		return "the Kerberos ticket expired: run kinit again: " + s
	case strings.Contains(s, "error sending to"), strings.Contains(s, "communication error with KDC"),
		strings.Contains(s, "failed to communicate with KDC"), strings.Contains(s, "no response data"),
		strings.Contains(s, "error reading response"):
		return "no answer from the KDC (check the realm's kdc entries in " + krb5ConfPath() + "): " + s
	}
	return s
}

// NameNodePrincipal is dfs.namenode.kerberos.principal, _HOST being the
// first NameNode's host.
func NameNodePrincipal(cfg *conf.Config) (string, error) {
	p := strings.TrimSpace(cfg.GetDefault("dfs.namenode.kerberos.principal", ""))
	if p == "" {
		return "", errors.New("hadoop.security.authentication is kerberos but dfs.namenode.kerberos.principal is not set in hdfs-site.xml")
	}
	addrs, err := cfg.NameNodeAddresses()
	if err != nil {
		return "", err
	}
	return withHost(p, addrs[0], "NameNode")
}

// withHost replaces _HOST in principal p with addr's host, as Hadoop's
// SecurityUtil.getServerPrincipal does.
func withHost(p, addr, what string) (string, error) {
	if !strings.Contains(p, "_HOST") {
		return p, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s address %s: %w", what, addr, err)
	}
	return strings.Replace(p, "_HOST", strings.ToLower(host), 1), nil
}
