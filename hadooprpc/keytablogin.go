package hadooprpc

import (
	"fmt"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// KeytabLogin logs principal (user@REALM) in with a keytab's bytes, with
// krb5.conf from KRB5_CONFIG or /etc/krb5.conf: how the AM logs in with the
// keytab it was given in its credentials, never written to a file.
func KeytabLogin(principal string, keytabBytes []byte) (*client.Client, error) {
	path := os.Getenv("KRB5_CONFIG")
	if path == "" {
		path = "/etc/krb5.conf"
	}
	kcfg, err := krbconfig.Load(path)
	if err != nil {
		return nil, fmt.Errorf("kerberos: read %s (set KRB5_CONFIG to your krb5.conf): %w", path, err)
	}
	kt := keytab.New()
	if err := kt.Unmarshal(keytabBytes); err != nil {
		return nil, fmt.Errorf("kerberos: the keytab for %s is not a keytab: %w", principal, err)
	}
	user, realm, _ := strings.Cut(principal, "@")
	if user == "" || realm == "" {
		return nil, fmt.Errorf("kerberos: principal %q must be user@REALM to log in with a keytab", principal)
	}
	c := client.NewWithKeytab(user, realm, kt, kcfg, client.DisablePAFXFAST(true))
	if err := c.Login(); err != nil {
		return nil, fmt.Errorf("kerberos: log in as %s with the keytab: %w", principal, err)
	}
	return c, nil
}
