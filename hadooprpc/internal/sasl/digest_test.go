package sasl

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// RFC 2831 section 4 example (IMAP, qop=auth).
func TestDigestRFC2831Example(t *testing.T) {
	ha1 := digestHA1("chris", "elwood.innosoft.com", "secret", "OA6MG9tEQGm2hh", "OA6MHXh6VqTrRk", "")
	uri := "imap/elwood.innosoft.com"
	if got := digestResponse(ha1, "OA6MG9tEQGm2hh", "00000001", "OA6MHXh6VqTrRk", QOPAuth, "AUTHENTICATE:"+uri); got != "d388dad90d4bbd760a152321f2143af7" {
		t.Errorf("response = %s", got)
	}
	if got := digestResponse(ha1, "OA6MG9tEQGm2hh", "00000001", "OA6MHXh6VqTrRk", QOPAuth, ":"+uri); got != "ea40f60335c427b5527b84dbabcdfffd" {
		t.Errorf("rspauth = %s", got)
	}
}

func md5hex(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// A Hadoop token exchange worked out step by step with plain MD5: protocol
// "" and serverId "default" give digest-uri "/default".
func TestDigestHadoopToken(t *testing.T) {
	user, pass := TokenCredentials([]byte{0, 1, 2, 'i', 'd'}, []byte("pw"))
	if user != "AAECaWQ=" || pass != "cHc=" {
		t.Fatalf("credentials = %q %q", user, pass)
	}
	d := NewDigestMD5(DigestMD5Config{Username: user, Password: pass, Protocol: "", ServerID: "default",
		Rand: bytes.NewReader(make([]byte, 64))})
	ch := `realm="default",nonce="n0nce+/=",qop="auth",charset=utf-8,algorithm=md5-sess`
	resp, err := d.Step([]byte(ch))
	if err != nil {
		t.Fatal(err)
	}
	cnonce := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 24 zero bytes, unpadded base64
	inner := md5.Sum([]byte(user + ":default:" + pass))
	ha1 := md5hex(string(inner[:]) + ":n0nce+/=:" + cnonce)
	want := md5hex(ha1 + ":n0nce+/=:00000001:" + cnonce + ":auth:" + md5hex("AUTHENTICATE:/default"))
	wantMsg := `charset=utf-8,username="AAECaWQ=",realm="default",nonce="n0nce+/=",nc=00000001,cnonce="` + cnonce +
		`",digest-uri="/default",maxbuf=65536,response=` + want + `,qop=auth`
	if string(resp) != wantMsg {
		t.Fatalf("response\n got %s\nwant %s", resp, wantMsg)
	}
	rsp := md5hex(ha1 + ":n0nce+/=:00000001:" + cnonce + ":auth:" + md5hex(":/default"))
	if _, err := d.Step([]byte("rspauth=" + strings.Repeat("0", 32))); err == nil {
		t.Fatal("wrong rspauth accepted")
	}
	if out, err := d.Step([]byte("rspauth=" + rsp)); err != nil || out != nil {
		t.Fatalf("rspauth: %v %v", out, err)
	}
	if !d.Complete() || d.Layer() != nil || d.QOP() != QOPAuth {
		t.Fatal("not complete with qop auth")
	}
}

func TestDigestQOPAndCipherSelection(t *testing.T) {
	ch := `realm="default",nonce="x",qop="auth-conf",cipher="rc4-40,rc4-56,rc4,des,3des",maxbuf=1000,charset=utf-8,algorithm=md5-sess`
	d := NewDigestMD5(DigestMD5Config{Username: "u", Password: "p", ServerID: "default"})
	resp, err := d.Step([]byte(ch))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp), `qop=auth-conf,cipher="3des"`) {
		t.Fatalf("response %s", resp)
	}
	d = NewDigestMD5(DigestMD5Config{Username: "u", Password: "p", QOP: []QOP{QOPAuth}})
	if _, err := d.Step([]byte(ch)); err == nil || !strings.Contains(err.Error(), "hadoop.rpc.protection") {
		t.Fatalf("want qop mismatch error, got %v", err)
	}
}

func TestParseDigestChallengeErrors(t *testing.T) {
	for _, in := range []string{
		``, `realm="a"`, `nonce="a",nonce="b",algorithm=md5-sess`, `nonce="a"`,
		`nonce="a,algorithm=md5-sess`, `nonce="a" x,algorithm=md5-sess`, `=x`, `nonce`,
		`nonce=a,algorithm=md5-sess,maxbuf=zz`,
	} {
		if _, err := ParseDigestChallenge([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	c, err := ParseDigestChallenge([]byte(` realm="a\"b" , ,nonce=abc, qop="auth, auth-int",algorithm=md5-sess,stale=true`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Realms[0] != `a"b` || c.Nonce != "abc" || len(c.QOP) != 2 || c.QOP[1] != QOPAuthInt || !c.Stale {
		t.Fatalf("%+v", c)
	}
}

// serverSide builds the peer's view of a layer by swapping directions.
func serverSide(t *testing.T, qop QOP, cipher string, ha1 [16]byte) Layer {
	t.Helper()
	if qop == QOPAuthInt {
		l := newDigestIntegrity(ha1, 65536)
		l.kic, l.kis = l.kis, l.kic
		return l
	}
	n := cipherKeyLen[cipher]
	l, err := newDigestPrivacy(ha1, cipher, 65536)
	if err != nil {
		t.Fatal(err)
	}
	l.kic, l.kis = l.kis, l.kic
	enc, _ := newStreamer(cipher, md5Cat(ha1[:n], sealS2C), true)
	dec, _ := newStreamer(cipher, md5Cat(ha1[:n], sealC2S), false)
	l.enc, l.dec = enc, dec
	return l
}

func TestDigestLayersRoundTrip(t *testing.T) {
	ha1 := md5.Sum([]byte("h"))
	cases := []struct {
		qop    QOP
		cipher string
	}{{QOPAuthInt, ""}, {QOPAuthConf, "3des"}, {QOPAuthConf, "des"}, {QOPAuthConf, "rc4"}, {QOPAuthConf, "rc4-56"}, {QOPAuthConf, "rc4-40"}}
	for _, tc := range cases {
		var cl Layer
		if tc.qop == QOPAuthInt {
			cl = newDigestIntegrity(ha1, 65536)
		} else {
			var err error
			if cl, err = newDigestPrivacy(ha1, tc.cipher, 65536); err != nil {
				t.Fatal(err)
			}
		}
		sv := serverSide(t, tc.qop, tc.cipher, ha1)
		for i, msg := range [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte{7}, 1000), []byte("1234567")} {
			w, _ := cl.Wrap(msg)
			got, err := sv.Unwrap(w)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%s/%s msg %d c->s: %v %q", tc.qop, tc.cipher, i, err, got)
			}
			w, _ = sv.Wrap(msg)
			got, err = cl.Unwrap(w)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%s/%s msg %d s->c: %v", tc.qop, tc.cipher, i, err)
			}
		}
		w, _ := sv.Wrap([]byte("tamper"))
		w[0] ^= 1
		if _, err := cl.Unwrap(w); err == nil {
			t.Fatalf("%s/%s: tampered message accepted", tc.qop, tc.cipher)
		}
	}
}

func TestDesParity(t *testing.T) {
	got := desParity([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if !bytes.Equal(got, bytes.Repeat([]byte{0xfe}, 8)) {
		t.Fatalf("% x", got)
	}
	got = desParity([]byte{0, 0, 0, 0, 0, 0, 0})
	if !bytes.Equal(got, bytes.Repeat([]byte{0x01}, 8)) {
		t.Fatalf("% x", got)
	}
}

func FuzzParseDigestChallenge(f *testing.F) {
	f.Add([]byte(`realm="default",nonce="abc",qop="auth,auth-int,auth-conf",charset=utf-8,cipher="3des,rc4",algorithm=md5-sess`))
	f.Add([]byte(`rspauth=ea40f60335c427b5527b84dbabcdfffd`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseDigestChallenge(b)
		d := NewDigestMD5(DigestMD5Config{Username: "u", Password: "p", QOP: []QOP{QOPAuthConf, QOPAuthInt, QOPAuth}})
		if _, err := d.Step(b); err == nil {
			d.Step(b)
		}
	})
}

func FuzzDigestUnwrap(f *testing.F) {
	ha1 := md5.Sum([]byte("h"))
	f.Add([]byte("0123456789abcdef\x00\x01\x00\x00\x00\x00"), true)
	f.Fuzz(func(t *testing.T, b []byte, priv bool) {
		if priv {
			l, _ := newDigestPrivacy(ha1, "3des", 65536)
			l.Unwrap(b)
			l2, _ := newDigestPrivacy(ha1, "rc4", 65536)
			l2.Unwrap(b)
		} else {
			newDigestIntegrity(ha1, 65536).Unwrap(b)
		}
	})
}
