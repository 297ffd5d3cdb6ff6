package sasl

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/types"
)

var testKey = types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{0x42}, 32)}

// acceptorToken builds a wrap token as the server (acceptor) would.
func acceptorToken(t *testing.T, p []byte, seal bool, rrc int) []byte {
	t.Helper()
	et, _ := crypto.GetEtype(testKey.KeyType)
	flags := byte(flagSentByAcceptor)
	var data, hdr []byte
	if seal {
		flags |= flagSealed
		hdr = wrapHeader(flags, 0, 7)
		_, ct, err := et.EncryptMessage(testKey.KeyValue, append(append([]byte{}, p...), hdr...), keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		data = ct
	} else {
		hdr = wrapHeader(flags, 0, 7)
		sum, _ := et.GetChecksumHash(testKey.KeyValue, append(append([]byte{}, p...), hdr...), keyusage.GSSAPI_ACCEPTOR_SEAL)
		binary.BigEndian.PutUint16(hdr[4:], uint16(len(sum)))
		data = append(append([]byte{}, p...), sum...)
	}
	if rrc > 0 { // rotate right by rrc
		n := rrc % len(data)
		data = append(append([]byte{}, data[len(data)-n:]...), data[:len(data)-n]...)
		binary.BigEndian.PutUint16(hdr[6:], uint16(rrc))
	}
	return append(hdr, data...)
}

// initiatorUnwrap checks a token we produced the way the acceptor would.
func initiatorUnwrap(t *testing.T, tok []byte) []byte {
	t.Helper()
	if tok[0] != 5 || tok[1] != 4 || tok[2]&flagSentByAcceptor != 0 {
		t.Fatalf("bad header % x", tok[:16])
	}
	et, _ := crypto.GetEtype(testKey.KeyType)
	if tok[2]&flagSealed != 0 {
		plain, err := et.DecryptMessage(testKey.KeyValue, tok[16:], keyusage.GSSAPI_INITIATOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain[len(plain)-16:], tok[:16]) {
			t.Fatal("header copy mismatch")
		}
		return plain[:len(plain)-16]
	}
	ec := int(binary.BigEndian.Uint16(tok[4:]))
	msg, sum := tok[16:len(tok)-ec], tok[len(tok)-ec:]
	hdr := append([]byte{}, tok[:16]...)
	hdr[4], hdr[5] = 0, 0
	if !et.VerifyChecksum(testKey.KeyValue, append(append([]byte{}, msg...), hdr...), sum, keyusage.GSSAPI_INITIATOR_SEAL) {
		t.Fatal("checksum does not verify")
	}
	return msg
}

func TestGSSAPILayerNegotiation(t *testing.T) {
	for _, tc := range []struct {
		pref  []QOP
		offer byte
		want  byte
		qop   QOP
	}{
		{nil, 1, 1, QOPAuth},
		{nil, 7, 1, QOPAuth},
		{[]QOP{QOPAuthConf, QOPAuthInt}, 7, 4, QOPAuthConf},
		{[]QOP{QOPAuthConf, QOPAuthInt}, 2, 2, QOPAuthInt},
	} {
		g := &GSSAPI{cfg: GSSAPIConfig{QOP: tc.pref}, state: 1, key: testKey}
		resp, err := g.Step(acceptorToken(t, []byte{tc.offer, 0x01, 0x00, 0x00}, false, 0))
		if err != nil {
			t.Fatal(err)
		}
		reply := initiatorUnwrap(t, resp)
		if len(reply) != 4 || reply[0] != tc.want {
			t.Fatalf("offer %d: reply % x", tc.offer, reply)
		}
		if tc.want == 1 && !bytes.Equal(reply[1:], []byte{0, 0, 0}) {
			t.Fatalf("no-layer reply must announce size 0: % x", reply)
		}
		if !g.Complete() || g.QOP() != tc.qop || (g.Layer() == nil) != (tc.qop == QOPAuth) {
			t.Fatalf("offer %d: complete=%v qop=%s", tc.offer, g.Complete(), g.QOP())
		}
	}
	g := &GSSAPI{cfg: GSSAPIConfig{QOP: []QOP{QOPAuthConf}}, state: 1, key: testKey}
	if _, err := g.Step(acceptorToken(t, []byte{1, 0, 0, 0}, false, 0)); err == nil {
		t.Fatal("accepted a server without privacy")
	}
}

func TestGSSAPIWrapRoundTrip(t *testing.T) {
	for _, seal := range []bool{false, true} {
		w := &gssWrapper{key: testKey, seal: seal, peerMax: 1 << 16}
		for _, rrc := range []int{0, 12, 28} {
			msg := []byte("rpc frame bytes")
			got, err := w.Unwrap(acceptorToken(t, msg, seal, rrc))
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("seal=%v rrc=%d: %v %q", seal, rrc, err, got)
			}
		}
		tok, err := w.Wrap([]byte("request"))
		if err != nil {
			t.Fatal(err)
		}
		if got := initiatorUnwrap(t, tok); string(got) != "request" {
			t.Fatalf("got %q", got)
		}
		bad := acceptorToken(t, []byte("x"), seal, 0)
		bad[len(bad)-1] ^= 1
		if _, err := w.Unwrap(bad); err == nil {
			t.Fatal("tampered token accepted")
		}
	}
}

func FuzzGSSAPIUnwrap(f *testing.F) {
	f.Add([]byte{5, 4, 1, 0xff, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a'})
	f.Add([]byte{5, 4, 3, 0xff, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c', 'd'})
	f.Fuzz(func(t *testing.T, b []byte) {
		w := &gssWrapper{key: testKey}
		w.Unwrap(b)
		g := &GSSAPI{state: 1, key: testKey}
		g.Step(b)
	})
}
