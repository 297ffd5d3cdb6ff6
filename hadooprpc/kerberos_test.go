package hadooprpc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/iana/etypeID"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// krb5Conf writes a krb5.conf for realm TEST.REALM whose KDC is kdc.
func krb5Conf(t *testing.T, kdc string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5.conf")
	c := "[libdefaults]\n default_realm = TEST.REALM\n udp_preference_limit = 1\n[realms]\n TEST.REALM = {\n  kdc = " + kdc + "\n }\n"
	if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKerberosLoginNoTicketCache(t *testing.T) {
	t.Setenv("KRB5_CONFIG", krb5Conf(t, "127.0.0.1:1"))
	cc := filepath.Join(t.TempDir(), "krb5cc_missing")
	t.Setenv("KRB5CCNAME", "FILE:"+cc)
	_, err := KerberosLogin(context.Background(), Options{})
	if !errors.Is(err, ErrKerberos) || !strings.Contains(err.Error(), "run kinit") || !strings.Contains(err.Error(), cc) {
		t.Fatalf("err = %v; want ErrKerberos naming %s and saying run kinit", err, cc)
	}
}

func TestKerberosLoginKeytabWithoutThePrincipal(t *testing.T) {
	t.Setenv("KRB5_CONFIG", krb5Conf(t, "127.0.0.1:1"))
	kt := keytab.New()
	if err := kt.AddEntry("bob", "TEST.REALM", "pw", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "bob.keytab")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = KerberosLogin(context.Background(), Options{Keytab: p, Principal: "alice@TEST.REALM"})
	if !errors.Is(err, ErrKerberos) || !strings.Contains(err.Error(), "has no key for alice@TEST.REALM") {
		t.Fatalf("err = %v; want ErrKerberos saying the keytab has no key for alice", err)
	}
	// The right principal, realm from krb5.conf: the KDC (nothing listens
	// there) is asked, and its silence is named.
	_, err = KerberosLogin(context.Background(), Options{Keytab: p, Principal: "bob"})
	if !errors.Is(err, ErrKerberos) || !strings.Contains(err.Error(), "no answer from the KDC") {
		t.Fatalf("err = %v; want ErrKerberos saying the KDC did not answer", err)
	}
}

// A KDC that accepts and never answers: the login ends with ctx.
func TestKerberosLoginSilentKDCEndsWithContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	t.Setenv("KRB5_CONFIG", krb5Conf(t, l.Addr().String()))
	kt := keytab.New()
	if err := kt.AddEntry("bob", "TEST.REALM", "pw", time.Now(), 1, etypeID.AES256_CTS_HMAC_SHA1_96); err != nil {
		t.Fatal(err)
	}
	b, _ := kt.Marshal()
	p := filepath.Join(t.TempDir(), "bob.keytab")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = KerberosLogin(ctx, Options{Keytab: p, Principal: "bob@TEST.REALM"})
	if !errors.Is(err, ErrKerberos) || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %s; want ErrKerberos and DeadlineExceeded at once", err, time.Since(start))
	}
}

func TestExplainKDC(t *testing.T) {
	for msg, want := range map[string]string{
		"KRB Error: (24) KDC_ERR_PREAUTH_FAILED Pre-authentication information was invalid": "wrong or outdated keytab",
		"KRB Error: (6) KDC_ERR_C_PRINCIPAL_UNKNOWN Client not found in Kerberos database":  "does not know this principal",
		"KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database":  "service principal",
		"error sending to a KDC: error reading response size header: i/o timeout":           "no answer from the KDC",
	} {
		if got := explainKDC(errors.New(msg)); !strings.Contains(got, want) || !strings.Contains(got, msg) {
			t.Errorf("explainKDC(%q) = %q; want it to say %q and keep the message", msg, got, want)
		}
	}
}

// A 401 that does not ask for Negotiate passes through; one that does is
// answered with a ticket, and a client that cannot get one gets
// ErrKerberos naming the server.
func TestSPNEGOTransport(t *testing.T) {
	negotiate := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if negotiate {
			w.Header().Set("WWW-Authenticate", "Negotiate")
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	kcfg, err := krbconfig.NewFromString("[libdefaults]\n default_realm = TEST.REALM\n[realms]\n TEST.REALM = {\n  kdc = 127.0.0.1:1\n }\n")
	if err != nil {
		t.Fatal(err)
	}
	kc := client.NewWithPassword("bob", "TEST.REALM", "pw", kcfg, client.DisablePAFXFAST(true))
	hc := &http.Client{Transport: SPNEGOTransport(kc, nil)}
	_, err = hc.Get(srv.URL + "/ws/v1/node/info")
	if !errors.Is(err, ErrKerberos) || !strings.Contains(err.Error(), "HTTP/127.0.0.1") {
		t.Fatalf("err = %v; want ErrKerberos naming HTTP/127.0.0.1", err)
	}
	negotiate = false
	resp, err := hc.Get(srv.URL + "/ws/v1/node/info")
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("plain 401: %v, %v", resp, err)
	}
	resp.Body.Close()
}
