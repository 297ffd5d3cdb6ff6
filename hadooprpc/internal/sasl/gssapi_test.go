package sasl

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

var testKey = types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{0x42}, 32)}

// acceptorToken builds a wrap token as the server (acceptor) would.
func acceptorToken(t *testing.T, p []byte, seal bool, rrc int, seq uint64) []byte {
	t.Helper()
	et, _ := crypto.GetEtype(testKey.KeyType)
	flags := byte(flagSentByAcceptor)
	var data, hdr []byte
	if seal {
		flags |= flagSealed
		hdr = wrapHeader(flags, 0, seq)
		_, ct, err := et.EncryptMessage(testKey.KeyValue, append(append([]byte{}, p...), hdr...), keyusage.GSSAPI_ACCEPTOR_SEAL)
		if err != nil {
			t.Fatal(err)
		}
		data = ct
	} else {
		hdr = wrapHeader(flags, 0, seq)
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
		g := &GSSAPI{cfg: GSSAPIConfig{QOP: tc.pref}, state: 1, key: testKey, sendSeq: 100, recvSeq: 7}
		resp, err := g.Step(acceptorToken(t, []byte{tc.offer, 0x01, 0x00, 0x00}, false, 0, 7))
		if err != nil {
			t.Fatal(err)
		}
		if seq := binary.BigEndian.Uint64(resp[8:]); seq != 100 {
			t.Fatalf("reply has sequence number %d, want the authenticator's 100", seq)
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
	if _, err := g.Step(acceptorToken(t, []byte{1, 0, 0, 0}, false, 0, 0)); err == nil {
		t.Fatal("accepted a server without privacy")
	}
}

func TestGSSAPIWrapRoundTrip(t *testing.T) {
	for _, seal := range []bool{false, true} {
		w := &gssWrapper{key: testKey, seal: seal, peerMax: 1 << 16, recvSeq: 7}
		for i, rrc := range []int{0, 12, 28} {
			msg := []byte("rpc frame bytes")
			got, err := w.Unwrap(acceptorToken(t, msg, seal, rrc, 7+uint64(i)))
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("seal=%v rrc=%d: %v %q", seal, rrc, err, got)
			}
		}
		// Replayed, skipped: both refused, and the counter does not move.
		for _, seq := range []uint64{9, 11} {
			if _, err := w.Unwrap(acceptorToken(t, []byte("again"), seal, 0, seq)); err == nil {
				t.Fatalf("seal=%v: token with sequence number %d accepted where 10 is due", seal, seq)
			}
		}
		tok, err := w.Wrap([]byte("request"))
		if err != nil {
			t.Fatal(err)
		}
		if got := initiatorUnwrap(t, tok); string(got) != "request" {
			t.Fatalf("got %q", got)
		}
		bad := acceptorToken(t, []byte("x"), seal, 0, 10)
		bad[len(bad)-1] ^= 1
		if _, err := w.Unwrap(bad); err == nil {
			t.Fatal("tampered token accepted")
		}
		if got, err := w.Unwrap(acceptorToken(t, []byte("x"), seal, 0, 10)); err != nil || string(got) != "x" {
			t.Fatalf("seal=%v: token 10 after refused ones: %v %q", seal, err, got)
		}
	}
}

func FuzzGSSAPIUnwrap(f *testing.F) {
	f.Add([]byte{5, 4, 1, 0xff, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'a'})
	f.Add([]byte{5, 4, 3, 0xff, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 'a', 'b', 'c', 'd'})
	now := time.Now().UTC()
	f.Add(apRepToken(f, now.Truncate(time.Second), 0, types.EncryptionKey{}, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		w := &gssWrapper{key: testKey}
		w.Unwrap(b)
		g := &GSSAPI{state: 1, key: testKey, auth: types.Authenticator{CTime: now}}
		g.Step(b)
	})
}

// apRepToken builds the acceptor's AP-REP context token for an authenticator time.
func apRepToken(t testing.TB, ctime time.Time, cusec int, subkey types.EncryptionKey, seq int64) []byte {
	t.Helper()
	part, err := asn1.Marshal(messages.EncAPRepPart{CTime: ctime, Cusec: cusec, Subkey: subkey, SequenceNumber: seq})
	if err != nil {
		t.Fatal(err)
	}
	ed, err := crypto.GetEncryptedData(asn1tools.AddASNAppTag(part, asnAppTag.EncAPRepPart), testKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := asn1.Marshal(messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: ed})
	if err != nil {
		t.Fatal(err)
	}
	return initialContextToken([]byte{0x02, 0x00}, asn1tools.AddASNAppTag(rep, asnAppTag.APREP))
}

func TestGSSAPIAPRep(t *testing.T) {
	now := time.Now().UTC()
	auth := types.Authenticator{CTime: now, Cusec: 123456}
	sub := types.EncryptionKey{KeyType: 17, KeyValue: bytes.Repeat([]byte{7}, 16)}
	newG := func() *GSSAPI {
		return &GSSAPI{state: 1, key: testKey, auth: auth, sendSeq: 5, recvSeq: 5}
	}

	g := newG()
	out, err := g.Step(apRepToken(t, now.Truncate(time.Second), 123456, sub, 4242))
	if err != nil || len(out) != 0 || out == nil {
		t.Fatalf("AP-REP: %v %v (want an empty, non-nil response)", out, err)
	}
	if !g.apRepSeen || !g.acceptorSubkey || g.key.KeyType != 17 || g.recvSeq != 4242 || g.sendSeq != 5 {
		t.Fatalf("after AP-REP: seen=%v subkey=%v key=%d recv=%d send=%d", g.apRepSeen, g.acceptorSubkey, g.key.KeyType, g.recvSeq, g.sendSeq)
	}
	if _, err := g.Step(apRepToken(t, now.Truncate(time.Second), 123456, sub, 1)); err == nil {
		t.Fatal("second AP-REP accepted")
	}

	g = newG()
	if _, err := g.Step(apRepToken(t, now.Truncate(time.Second), 123456, types.EncryptionKey{}, 9)); err != nil {
		t.Fatal(err)
	}
	if g.acceptorSubkey || g.key.KeyType != testKey.KeyType || g.recvSeq != 9 {
		t.Fatalf("AP-REP without subkey: subkey=%v key=%d recv=%d", g.acceptorSubkey, g.key.KeyType, g.recvSeq)
	}

	for name, tok := range map[string][]byte{
		"other cusec": apRepToken(t, now.Truncate(time.Second), 1, sub, 1),
		"other ctime": apRepToken(t, now.Add(-time.Minute).Truncate(time.Second), 123456, sub, 1),
		"rc4 subkey":  apRepToken(t, now.Truncate(time.Second), 123456, types.EncryptionKey{KeyType: 23, KeyValue: make([]byte, 16)}, 1),
	} {
		if _, err := newG().Step(tok); err == nil {
			t.Fatalf("%s: AP-REP accepted", name)
		}
	}
}
