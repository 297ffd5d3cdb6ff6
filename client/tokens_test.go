package client

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// The keytab a client logged in with goes to the AM's credentials, for
// refreshing tokens, only on a Kerberized cluster and only when given.
func TestShipKeytab(t *testing.T) {
	kt := filepath.Join(t.TempDir(), "u.keytab")
	if err := os.WriteFile(kt, []byte("keytab bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	kerb := conf.New()
	kerb.Set("hadoop.security.authentication", "kerberos")
	for _, tc := range []struct {
		cfg  *conf.Config
		auth hadooprpc.Options
		want bool
	}{
		{kerb, hadooprpc.Options{Keytab: kt, Principal: "u@R"}, true},
		{kerb, hadooprpc.Options{}, false},                 // ticket cache: nothing to ship
		{conf.New(), hadooprpc.Options{Keytab: kt}, false}, // SIMPLE
	} {
		c := &Client{Hadoop: tc.cfg, Auth: tc.auth}
		creds, plan := credentials.New(), &appmaster.Plan{}
		if err := c.shipKeytab(creds, plan); err != nil {
			t.Fatal(err)
		}
		s, ok := creds.Secret(appmaster.KeytabAlias)
		if ok != tc.want || (ok && (string(s) != "keytab bytes" || plan.Principal != "u@R")) {
			t.Errorf("%+v: shipped %v %q principal %q", tc.auth, ok, s, plan.Principal)
		}
	}
	c := &Client{Hadoop: kerb, Auth: hadooprpc.Options{Keytab: filepath.Join(t.TempDir(), "missing"), Principal: "u@R"}}
	if err := c.shipKeytab(credentials.New(), &appmaster.Plan{}); err == nil {
		t.Fatal("a missing keytab: no error")
	}
}

// Without Kerberos a submission carries no delegation token (and asks
// no NameNode for one).
func TestNoTokensWithoutKerberos(t *testing.T) {
	c := &Client{Hadoop: conf.New()}
	creds, err := c.appCredentials(context.Background())
	if err != nil || len(creds.TokenAliases()) != 0 {
		t.Fatalf("%v %v", creds.TokenAliases(), err)
	}
}
