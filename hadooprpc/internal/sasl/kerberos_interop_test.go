package sasl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

// TestGSSAPIAgainstJDK runs our GSSAPI client against a real KDC (Hadoop's
// MiniKdc) and the JDK's GSSAPI SASL server, set up as Hadoop's
// SaslRpcServer sets it up for KERBEROS auth, for every qop, both AES
// enctypes, with and without an acceptor subkey, logged in from a keytab
// and from a ticket cache. It needs a JDK and Maven: missing ones are a
// failure, not a skip (-short skips it).
func TestGSSAPIAgainstJDK(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a KDC and JVMs; runs without -short")
	}
	javac, err1 := exec.LookPath("javac")
	java, err2 := exec.LookPath("java")
	_, err3 := exec.LookPath("mvn")
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal("no JDK or Maven on PATH: this test checks our GSSAPI against a real KDC and the JDK server Hadoop uses; install Java 17 and Maven")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kdc, err := cluster.StartKDC(ctx, cluster.KDCOptions{Principals: []string{"spindle", "rm/localhost"}, CCaches: []string{"spindle"}})
	if err != nil {
		t.Fatal(err)
	}
	defer kdc.Stop()
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-d", classes, filepath.Join("testdata", "GSSAPIServer.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	serverKeytab, err := kdc.Keytab("rm/localhost")
	if err != nil {
		t.Fatal(err)
	}
	clientKeytab, err := kdc.Keytab("spindle")
	if err != nil {
		t.Fatal(err)
	}
	kt, err := keytab.Load(clientKeytab)
	if err != nil {
		t.Fatal(err)
	}

	run := func(t *testing.T, cl *client.Client, qop QOP, acceptorSubkey bool) *GSSAPI {
		srv := startGSSAPIServer(t, java, classes, kdc.Krb5Conf, qop, "rm/localhost@"+kdc.Realm, serverKeytab, acceptorSubkey)
		return exchangeWithJDK(t, srv, cl, qop, acceptorSubkey, "spindle@"+kdc.Realm)
	}
	for _, enc := range []struct {
		name string
		id   int32
	}{{"aes256-cts-hmac-sha1-96", 18}, {"aes128-cts-hmac-sha1-96", 17}} {
		for _, subkey := range []bool{false, true} {
			for _, qop := range []QOP{QOPAuth, QOPAuthInt, QOPAuthConf} {
				name := fmt.Sprintf("keytab/%s/acceptor-subkey=%v/%s", enc.name, subkey, qop)
				t.Run(name, func(t *testing.T) {
					cfg, err := config.Load(kdc.Krb5Conf)
					if err != nil {
						t.Fatal(err)
					}
					// The session key's enctype is the first the client asks
					// for that the KDC supports.
					cfg.LibDefaults.DefaultTktEnctypes = []string{enc.name}
					cfg.LibDefaults.DefaultTktEnctypeIDs = []int32{enc.id}
					cfg.LibDefaults.DefaultTGSEnctypes = []string{enc.name}
					cfg.LibDefaults.DefaultTGSEnctypeIDs = []int32{enc.id}
					cl := client.NewWithKeytab("spindle", kdc.Realm, kt, cfg, client.DisablePAFXFAST(true))
					if err := cl.Login(); err != nil {
						t.Fatalf("gokrb5 login from keytab: %v", err)
					}
					defer cl.Destroy()
					// The JDK makes any acceptor subkey of the session key's enctype.
					if g := run(t, cl, qop, subkey); g.key.KeyType != enc.id {
						t.Fatalf("wrap key has enctype %d, want %d", g.key.KeyType, enc.id)
					}
				})
			}
		}
	}
	// A user who ran kinit: the TGT comes from a ticket cache, as Spindle's
	// CLI finds it through KRB5CCNAME.
	t.Run("ccache/auth-conf", func(t *testing.T) {
		cfg, err := config.Load(kdc.Krb5Conf)
		if err != nil {
			t.Fatal(err)
		}
		cc, err := credentials.LoadCCache(kdc.CCaches["spindle@"+kdc.Realm])
		if err != nil {
			t.Fatalf("gokrb5 reading the ticket cache: %v", err)
		}
		cl, err := client.NewFromCCache(cc, cfg, client.DisablePAFXFAST(true))
		if err != nil {
			t.Fatalf("gokrb5 client from the ticket cache: %v", err)
		}
		defer cl.Destroy()
		run(t, cl, QOPAuthConf, false)
	})
}

// exchangeWithJDK authenticates cl to the JDK server with our GSSAPI client
// and, under a security layer, echoes wrapped messages both ways.
func exchangeWithJDK(t *testing.T, srv *gssServer, cl *client.Client, qop QOP, acceptorSubkey bool, user string) *GSSAPI {
	t.Helper()
	g := NewGSSAPI(GSSAPIConfig{Client: cl, SPN: "rm/localhost@" + cl.Credentials.Domain(), QOP: []QOP{qop}})
	resp, err := g.Step(nil)
	if err != nil {
		t.Fatal(err)
	}
	var done string
	for i := 0; done == ""; i++ {
		if i > 5 {
			t.Fatal("exchange did not finish after 5 rounds")
		}
		srv.send(resp)
		kind, arg := srv.read()
		switch kind {
		case "DONE":
			done = arg
			continue
		case "C":
		default:
			t.Fatalf("JDK server: %s %s", kind, arg)
		}
		if g.Complete() {
			t.Fatalf("server sent a challenge after our last response")
		}
		if resp, err = g.Step(srv.unhex(arg)); err != nil {
			t.Fatal(err)
		}
	}
	if !g.Complete() {
		t.Fatal("JDK server finished but our client is not complete")
	}
	if want := string(qop) + " " + user; done != want {
		t.Fatalf("JDK server negotiated %q, want %q", done, want)
	}
	if g.QOP() != qop {
		t.Fatalf("client negotiated %s", g.QOP())
	}
	// We ask for mutual authentication as Hadoop's Java client does: the
	// server must have answered with an AP-REP, carrying its own subkey when
	// the JDK is told to make one.
	if !g.apRepSeen || g.acceptorSubkey != acceptorSubkey {
		t.Fatalf("AP-REP seen %v, acceptor subkey %v (want true, %v)", g.apRepSeen, g.acceptorSubkey, acceptorSubkey)
	}
	l := g.Layer()
	if qop == QOPAuth {
		if l != nil {
			t.Fatal("qop auth has a security layer")
		}
		return g
	}
	if l == nil {
		t.Fatal("no security layer")
	}
	msgs := [][]byte{[]byte("ping"), {0}, bytes.Repeat([]byte("abcdefghij"), 500), []byte("12345678"), bytes.Repeat([]byte{0xA5}, l.MaxWrap())}
	for i, msg := range msgs {
		w, err := l.Wrap(msg)
		if err != nil {
			t.Fatal(err)
		}
		srv.send(w)
		line := srv.line()
		if strings.HasPrefix(line, "ERR") {
			t.Fatalf("message %d (%d bytes): JDK server: %s", i, len(msg), line)
		}
		back, err := l.Unwrap(srv.unhex(line))
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !bytes.Equal(back, msg) {
			t.Fatalf("message %d: echo mismatch", i)
		}
	}
	return g
}

type gssServer struct {
	t      *testing.T
	stdin  io.WriteCloser
	rd     *bufio.Reader
	stderr *bytes.Buffer
}

// startGSSAPIServer runs testdata/GSSAPIServer.java; the JVM's stderr (with
// -Dsun.security.krb5.debug when SPINDLE_KRB5_DEBUG is set) shows up in
// failures.
func startGSSAPIServer(t *testing.T, java, classes, krb5conf string, qop QOP, principal, keytab string, acceptorSubkey bool) *gssServer {
	t.Helper()
	args := []string{"-Djava.security.krb5.conf=" + krb5conf,
		fmt.Sprintf("-Dsun.security.krb5.acceptor.subkey=%v", acceptorSubkey)}
	if os.Getenv("SPINDLE_KRB5_DEBUG") != "" {
		args = append(args, "-Dsun.security.krb5.debug=true", "-Dsun.security.jgss.debug=true")
	}
	args = append(args, "-cp", classes, "GSSAPIServer", string(qop), principal, keytab)
	cmd := exec.Command(java, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &gssServer{t: t, stdin: stdin, rd: bufio.NewReader(stdout), stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("JDK server stderr:\n%s", s.stderr.String())
		}
	})
	return s
}

func (s *gssServer) send(b []byte) {
	if _, err := s.stdin.Write([]byte(hex.EncodeToString(b) + "\n")); err != nil {
		s.t.Fatalf("write to JDK server: %v", err)
	}
}

func (s *gssServer) line() string {
	l, err := s.rd.ReadString('\n')
	if err != nil {
		s.t.Fatalf("read from JDK server: %v", err)
	}
	return strings.TrimSpace(l)
}

// read returns a protocol line's keyword and the rest.
func (s *gssServer) read() (string, string) {
	kind, arg, _ := strings.Cut(s.line(), " ")
	return kind, arg
}

func (s *gssServer) unhex(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil {
		s.t.Fatalf("JDK server said %q", h)
	}
	return b
}
