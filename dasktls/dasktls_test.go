package dasktls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

func newBundle(t *testing.T) *Bundle {
	t.Helper()
	b, err := New("application_1_0001", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseCert(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	blk, _ := pem.Decode(p)
	if blk == nil {
		t.Fatalf("not PEM: %q", p)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewMakesAChainPerApplication(t *testing.T) {
	now := time.Now()
	b, err := New("application_1_0001", now, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ca := parseCert(t, b.CA)
	if !ca.IsCA || !ca.MaxPathLenZero || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: IsCA %v, MaxPathLenZero %v, key usage %v", ca.IsCA, ca.MaxPathLenZero, ca.KeyUsage)
	}
	if !strings.Contains(ca.Subject.CommonName, "application_1_0001") {
		t.Errorf("CA subject %q does not name the application", ca.Subject)
	}
	if len(b.Pairs) != len(Roles) {
		t.Fatalf("%d pairs, want one per role (%v)", len(b.Pairs), Roles)
	}
	seen := map[string]bool{}
	for _, r := range Roles {
		p := b.Pairs[r]
		if err := Verify(b.CA, p, now); err != nil {
			t.Errorf("%s: %v", r, err)
		}
		c := parseCert(t, p.Cert)
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s: key %T, want ECDSA P-256", r, c.PublicKey)
		}
		if c.IsCA {
			t.Errorf("%s: a leaf certificate may not be a CA", r)
		}
		if d := c.NotAfter.Sub(now); d < 2*time.Hour-time.Second || d > 2*time.Hour+time.Second {
			t.Errorf("%s: valid for %s after now, want 2h", r, d)
		}
		if !c.NotBefore.Before(now) {
			t.Errorf("%s: NotBefore %s is not before now (clock skew between nodes)", r, c.NotBefore)
		}
		if seen[string(p.Key)] {
			t.Errorf("%s: same key as another role", r)
		}
		seen[string(p.Key)] = true
		if bytes.Contains(p.Cert, []byte("PRIVATE")) {
			t.Errorf("%s: certificate file holds a private key", r)
		}
	}
	// Past the validity, the chain no longer verifies.
	if err := Verify(b.CA, b.Pairs[Client], now.Add(3*time.Hour)); !errors.Is(err, ErrMaterial) {
		t.Errorf("verify after expiry: %v, want ErrMaterial", err)
	}
}

func TestVerifyRefusesOtherApplications(t *testing.T) {
	a, other := newBundle(t), newBundle(t)
	if err := Verify(a.CA, other.Pairs[Client], time.Now()); !errors.Is(err, ErrMaterial) {
		t.Errorf("another application's certificate verified against this CA: %v", err)
	}
	mixed := Pair{Cert: a.Pairs[Client].Cert, Key: a.Pairs[Worker].Key}
	if err := Verify(a.CA, mixed, time.Now()); !errors.Is(err, ErrMaterial) {
		t.Errorf("a certificate with another role's key: %v, want ErrMaterial", err)
	}
}

func TestValidity(t *testing.T) {
	for _, c := range []struct{ lifetime, want time.Duration }{
		{0, DefaultValidity},
		{30 * time.Minute, 90 * time.Minute},
		{10 * 365 * 24 * time.Hour, MaxValidity},
	} {
		if got := Validity(c.lifetime); got != c.want {
			t.Errorf("Validity(%s) = %s, want %s", c.lifetime, got, c.want)
		}
	}
	for _, v := range []time.Duration{0, -time.Second, MaxValidity + time.Second} {
		if _, err := New("a", time.Now(), v); err == nil {
			t.Errorf("New with validity %s: no error", v)
		}
	}
}

// tlsConfig is what Dask builds from the files: its pair, the CA as the
// only root, a certificate required from the peer, no host name check.
func tlsConfig(t *testing.T, ca []byte, p Pair) *tls.Config {
	t.Helper()
	cert, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, InsecureSkipVerify: true, //nolint:gosec // chain checked below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return err
			}
			_, err = c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			return err
		}}
}

// handshake runs a TLS handshake between a server holding server's pair
// and a client holding client's, each trusting its own CA.
func handshake(t *testing.T, serverCA []byte, server Pair, clientCA []byte, client Pair) error {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tlsConfig(t, serverCA, server))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srvErr := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		srvErr <- err
	}()
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", ln.Addr().String(), tlsConfig(t, clientCA, client))
	if err == nil {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		// TLS 1.3: a refused client certificate shows on the first read.
		_, err = c.Read(make([]byte, 1))
		c.Close()
	}
	if serr := <-srvErr; serr != nil {
		return serr
	}
	return err
}

// TestPairsTalkOnlyWithinTheApplication: the scheduler's pair accepts the
// client's and the workers' of the same application, and refuses a client
// with another application's pair.
func TestPairsTalkOnlyWithinTheApplication(t *testing.T) {
	a, other := newBundle(t), newBundle(t)
	for _, r := range []Role{Client, Worker} {
		if err := handshake(t, a.CA, a.Pairs[Scheduler], a.CA, a.Pairs[r]); err != nil && !isEOF(err) {
			t.Errorf("%s to scheduler: %v", r, err)
		}
	}
	// The scheduler dials workers: a worker's pair serves too.
	if err := handshake(t, a.CA, a.Pairs[Worker], a.CA, a.Pairs[Scheduler]); err != nil && !isEOF(err) {
		t.Errorf("scheduler to worker: %v", err)
	}
	if err := handshake(t, a.CA, a.Pairs[Scheduler], other.CA, other.Pairs[Client]); err == nil || isEOF(err) {
		t.Errorf("a client of another application was accepted (err %v)", err)
	}
}

func isEOF(err error) bool { return err != nil && strings.Contains(err.Error(), "EOF") }

func TestWriteAndRead(t *testing.T) {
	b := newBundle(t)
	dir := filepath.Join(t.TempDir(), "apps", "x", "tls")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := b.Write(dir, Client)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
	for _, p := range []string{f.CA, f.Cert, f.Key} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("folder holds %d entries, want 3 (no temporary files left)", len(entries))
	}
	got, f2, err := Read(dir, Client)
	if err != nil {
		t.Fatal(err)
	}
	if f2 != f || !bytes.Equal(got.CA, b.CA) || !bytes.Equal(got.Pairs[Client].Key, b.Pairs[Client].Key) {
		t.Errorf("Read gave back other files or contents: %+v", f2)
	}
	if _, _, err := Read(dir, Worker); !errors.Is(err, ErrNoFiles) {
		t.Errorf("Read of a role not written: %v, want ErrNoFiles", err)
	}
	os.Chmod(f.Key, 0o644)
	if _, _, err := Read(dir, Client); !errors.Is(err, ErrMaterial) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Read of a world-readable key: %v, want ErrMaterial naming chmod 600", err)
	}
	if _, err := b.Write(dir, "nobody"); !errors.Is(err, ErrMaterial) {
		t.Errorf("Write of an unknown role: %v", err)
	}
}

func TestCredentialsCarryOnlyTheRolesGiven(t *testing.T) {
	b := newBundle(t)
	creds := credentials.New()
	b.AddTo(creds, Worker)
	raw, err := creds.Marshal(credentials.FormatWritable)
	if err != nil {
		t.Fatal(err)
	}
	back, err := credentials.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := FromCredentials(back)
	if !ok {
		t.Fatal("no TLS material read back")
	}
	if !bytes.Equal(got.CA, b.CA) || len(got.Pairs) != 1 || !bytes.Equal(got.Pairs[Worker].Key, b.Pairs[Worker].Key) {
		t.Errorf("read back %d pairs (%v), want the worker's only", len(got.Pairs), got.Pairs)
	}
	if _, ok := FromCredentials(credentials.New()); ok {
		t.Error("empty credentials read as TLS material")
	}
}

func TestEnvNamesAreDasks(t *testing.T) {
	f := Files{CA: "/a/ca.pem", Cert: "/a/client.pem", Key: "/a/client-key.pem"}
	env := Env(f, Client, Worker)
	want := map[string]string{
		"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
		"DASK_DISTRIBUTED__COMM__TLS__CA_FILE":       f.CA,
		"DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT":  f.Cert,
		"DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY":   f.Key,
		"DASK_DISTRIBUTED__COMM__TLS__WORKER__CERT":  f.Cert,
		"DASK_DISTRIBUTED__COMM__TLS__WORKER__KEY":   f.Key,
	}
	if len(env) != len(want) {
		t.Errorf("Env = %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if n := len(EnvNames()); n != 2+2*len(Roles) {
		t.Errorf("EnvNames has %d names", n)
	}
}

// TestExportsSurviveTheShell: eval of Exports sets each variable to its
// value byte for byte, whatever the value holds, and runs nothing in it.
func TestExportsSurviveTheShell(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	values := map[string]string{
		"V_QUOTE":   `it's '' "x" '\''`,
		"V_SUBST":   "$(touch " + marker + ")",
		"V_BACKTK":  "`touch " + marker + "`",
		"V_NEWLINE": "a\ntouch " + marker + "\n",
		"V_SPACES":  "  /home/a b/.spindle/apps/x/ca.pem\t",
		"V_GLOB":    "* ~ !! $HOME \\",
		"V_EMPTY":   "",
	}
	script := Exports(values, []string{"V_GONE", "V_QUOTE"}) +
		`for v in V_QUOTE V_SUBST V_BACKTK V_NEWLINE V_SPACES V_GLOB V_EMPTY; do eval "printf '%s\0' \"\$$v\""; done
printf '%s' "${V_GONE-unset}"`
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "V_GONE=stale"}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v\nscript:\n%s", err, script)
	}
	parts := strings.Split(string(out), "\x00")
	for i, k := range []string{"V_QUOTE", "V_SUBST", "V_BACKTK", "V_NEWLINE", "V_SPACES", "V_GLOB", "V_EMPTY"} {
		if parts[i] != values[k] {
			t.Errorf("%s = %q after eval, want %q", k, parts[i], values[k])
		}
	}
	if last := parts[len(parts)-1]; last != "unset" {
		t.Errorf("V_GONE = %q after eval, want it unset", last)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a value ran as shell code: the marker file exists")
	}
}
