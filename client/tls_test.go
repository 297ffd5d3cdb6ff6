package client

import (
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/spec"
)

// TestTLSDefaultFollowsKerberos: with no tls key in the spec, TLS is on
// exactly when core-site says kerberos; a spec's tls wins; the decision
// is recorded in the spec the AM reads.
func TestTLSDefaultFollowsKerberos(t *testing.T) {
	site := func(auth string) *conf.Config {
		c := conf.New()
		xml := `<configuration><property><name>hadoop.security.authentication</name><value>` + auth + `</value></property></configuration>`
		if err := c.AddReader(strings.NewReader(xml), "core-site.xml"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	for auth, want := range map[string]bool{"kerberos": true, " KERBEROS ": true, "simple": false} {
		c := &Client{Hadoop: site(auth), Home: t.TempDir()}
		if got := c.Kerberized(); got != want {
			t.Errorf("hadoop.security.authentication=%q: Kerberized %v, want %v", auth, got, want)
		}
		if !want {
			sp := spec.Default()
			if b, err := c.setupTLS(nil, "application_1_0001", sp); b != nil || err != nil || sp.TLS == nil || *sp.TLS {
				t.Errorf("%q: setupTLS = %v, %v, spec tls %v; want off, recorded", auth, b, err, sp.TLS)
			}
		}
	}
	if (&Client{Hadoop: conf.New()}).Kerberized() {
		t.Error("no hadoop.security.authentication: Kerberized (Hadoop's default is simple)")
	}
	off := false
	sp := spec.Default()
	sp.TLS = &off
	c := &Client{Hadoop: site("kerberos"), Home: t.TempDir()}
	if b, err := c.setupTLS(nil, "application_1_0001", sp); b != nil || err != nil || *sp.TLS {
		t.Errorf("tls: false under Kerberos: setupTLS = %v, %v", b, err)
	}
}
