package appmaster

import (
	"bytes"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// TestLaunchContextCarriesItsRolesTLSOnly: each container's credentials
// hold the CA and its own role's pair, nothing of the others; the key is
// in no environment variable.
func TestLaunchContextCarriesItsRolesTLSOnly(t *testing.T) {
	am := testAM(t)
	b, err := dasktls.New(am.plan.AppID, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	am.tls = b
	am.plan.Binary = Resource{URL: "hdfs://nn:8020/cache/spindle"}
	am.scheduler.Address = "tls://h:1"
	for _, s := range am.services {
		launch, err := am.launchContext(s)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := credentials.Parse(launch.GetTokens())
		if err != nil {
			t.Fatal(err)
		}
		got, ok := dasktls.FromCredentials(creds)
		if !ok || !bytes.Equal(got.CA, b.CA) {
			t.Fatalf("%s: no CA in the container's credentials", s.name)
		}
		role := dasktls.Role(s.role)
		if len(got.Pairs) != 1 || !bytes.Equal(got.Pairs[role].Key, b.Pairs[role].Key) {
			t.Errorf("%s: credentials hold pairs %v, want the %s's only", s.name, len(got.Pairs), role)
		}
		for _, kv := range launch.GetEnvironment() {
			for _, p := range b.Pairs {
				if bytes.Contains([]byte(kv.GetValue()), p.Key[30:60]) {
					t.Errorf("%s: environment variable %s holds a key", s.name, kv.GetKey())
				}
			}
		}
	}
}
