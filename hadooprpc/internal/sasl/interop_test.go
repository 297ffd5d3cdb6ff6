package sasl

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDigestAgainstJDK runs our client against the JDK's DIGEST-MD5 server
// (the one Hadoop uses), for every qop and privacy cipher. It needs a JDK:
// missing one is a failure, not a skip (-short skips it).
func TestDigestAgainstJDK(t *testing.T) {
	javac, err1 := exec.LookPath("javac")
	java, err2 := exec.LookPath("java")
	if testing.Short() {
		t.Skip("starts a JVM; runs without -short")
	}
	if err1 != nil || err2 != nil {
		t.Fatal("no JDK on PATH: this test checks our DIGEST-MD5 against the JDK server Hadoop uses; install Java 17")
	}
	dir := t.TempDir()
	if out, err := exec.Command(javac, "-d", dir, filepath.Join("testdata", "DigestServer.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	cases := []struct {
		qop    QOP
		cipher string
	}{{QOPAuth, ""}, {QOPAuthInt, ""}, {QOPAuthConf, "3des"}, {QOPAuthConf, "rc4"}, {QOPAuthConf, "des"}, {QOPAuthConf, "rc4-56"}, {QOPAuthConf, "rc4-40"}}
	for _, tc := range cases {
		t.Run(string(tc.qop)+"-"+tc.cipher, func(t *testing.T) {
			user, pass := TokenCredentials([]byte("\x00\x07identifier-bytes"), []byte("secret-password"))
			cmd := exec.Command(java, "-cp", dir, "DigestServer", string(tc.qop), pass)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { stdin.Close(); cmd.Wait() }()
			rd := bufio.NewReader(stdout)
			line := func() string {
				s, err := rd.ReadString('\n')
				if err != nil {
					t.Fatalf("read from JDK server: %v; stderr: %s", err, stderr.String())
				}
				return strings.TrimSpace(s)
			}
			unhex := func(s string) []byte {
				b, err := hex.DecodeString(s)
				if err != nil {
					t.Fatalf("JDK server said %q", s)
				}
				return b
			}
			cfg := DigestMD5Config{Username: user, Password: pass, Protocol: "", ServerID: "default", QOP: []QOP{tc.qop}}
			if tc.cipher != "" {
				cfg.Ciphers = []string{tc.cipher}
			}
			d := NewDigestMD5(cfg)
			challenge := unhex(line())
			t.Logf("challenge: %s", challenge)
			resp, err := d.Step(challenge)
			if err != nil {
				t.Fatal(err)
			}
			stdin.Write([]byte(hex.EncodeToString(resp) + "\n"))
			rsp := unhex(line())
			if got := line(); got != string(tc.qop) {
				t.Fatalf("server negotiated %q", got)
			}
			if out, err := d.Step(rsp); err != nil || out != nil || !d.Complete() {
				t.Fatalf("final step: %v %v", out, err)
			}
			if tc.qop == QOPAuth {
				return
			}
			l := d.Layer()
			for _, msg := range [][]byte{[]byte("ping"), bytes.Repeat([]byte("abcdefghij"), 500), {0}, []byte("12345678")} {
				w, err := l.Wrap(msg)
				if err != nil {
					t.Fatal(err)
				}
				stdin.Write([]byte(hex.EncodeToString(w) + "\n"))
				back, err := l.Unwrap(unhex(line()))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(back, msg) {
					t.Fatalf("echo mismatch")
				}
			}
		})
	}
}
