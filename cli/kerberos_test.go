package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

func siteConf(t *testing.T, auth string) *conf.Config {
	t.Helper()
	c := conf.New()
	xml := `<configuration><property><name>hadoop.security.authentication</name><value>` + auth + `</value></property></configuration>`
	if err := c.AddReader(strings.NewReader(xml), "core-site.xml"); err != nil {
		t.Fatal(err)
	}
	return c
}

// --principal/--keytab are refused where they cannot apply, before any
// login is tried.
func TestKerberosFlagsUsage(t *testing.T) {
	for _, tc := range []struct {
		auth              string
		principal, keytab string
		want              string
	}{
		{"simple", "alice@EXAMPLE.COM", "a.keytab", "does not use Kerberos"},
		{"simple", "", "a.keytab", "does not use Kerberos"},
		{"kerberos", "", "a.keytab", "--keytab needs --principal"},
	} {
		k := kerberosFlags{principal: tc.principal, keytab: tc.keytab}
		_, _, err := k.auth(context.Background(), siteConf(t, tc.auth))
		if exitCode(err) != ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s cluster, --principal %q --keytab %q: %v (exit %d); want exit 2 saying %q",
				tc.auth, tc.principal, tc.keytab, err, exitCode(err), tc.want)
		}
	}
	// A SIMPLE cluster without the flags: nothing to do.
	var k kerberosFlags
	if _, o, err := k.auth(context.Background(), siteConf(t, "simple")); err != nil || o.Kerberos != nil {
		t.Fatalf("simple cluster: %v, %+v", err, o)
	}
}

// No ticket cache on a Kerberized cluster: exit 10 saying to run kinit.
func TestKerberosNoTicketCacheExit10(t *testing.T) {
	dir := t.TempDir()
	krb5 := filepath.Join(dir, "krb5.conf")
	if err := os.WriteFile(krb5, []byte("[libdefaults]\n default_realm = TEST.REALM\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KRB5_CONFIG", krb5)
	t.Setenv("KRB5CCNAME", filepath.Join(dir, "none"))
	var k kerberosFlags
	_, _, err := k.auth(context.Background(), siteConf(t, "kerberos"))
	if exitCode(err) != ExitAuth || !strings.Contains(err.Error(), "run kinit") {
		t.Fatalf("%v: exit %d, want %d saying run kinit", err, exitCode(err), ExitAuth)
	}
}
