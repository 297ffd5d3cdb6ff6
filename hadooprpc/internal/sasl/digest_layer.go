package sasl

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"encoding/binary"
	"errors"
	"fmt"
)

// Magic constants of RFC 2831 section 2.3 and 2.4.
const (
	signC2S = "Digest session key to client-to-server signing key magic constant"
	signS2C = "Digest session key to server-to-client signing key magic constant"
	sealC2S = "Digest H(A1) to client-to-server sealing key magic constant"
	sealS2C = "Digest H(A1) to server-to-client sealing key magic constant"
)

// cipherKeyLen is how many bytes of H(A1) feed each cipher's sealing key.
var cipherKeyLen = map[string]int{"3des": 16, "des": 16, "rc4": 16, "rc4-56": 7, "rc4-40": 5}

// trailer is the 2-byte message type (always 1) plus 4-byte sequence number.
const trailerLen = 6

func md5Cat(a []byte, s string) []byte {
	h := md5.New()
	h.Write(a)
	h.Write([]byte(s))
	return h.Sum(nil)
}

// digestIntegrity is the auth-int layer: msg || HMAC[0:10] || 0x0001 || seq.
type digestIntegrity struct {
	kic, kis         []byte
	sendSeq, recvSeq uint32
	peerMax          int
}

func newDigestIntegrity(ha1 [16]byte, peerMax int) *digestIntegrity {
	return &digestIntegrity{kic: md5Cat(ha1[:], signC2S), kis: md5Cat(ha1[:], signS2C), peerMax: peerMax}
}

func (l *digestIntegrity) MaxWrap() int { return l.peerMax - 10 - trailerLen }

func (l *digestIntegrity) Wrap(p []byte) ([]byte, error) {
	out := make([]byte, 0, len(p)+10+trailerLen)
	out = append(out, p...)
	out = append(out, hmacMD5Trunc(l.kic, l.sendSeq, p)...)
	out = appendTrailer(out, l.sendSeq)
	l.sendSeq++
	return out, nil
}

func (l *digestIntegrity) Unwrap(p []byte) ([]byte, error) {
	if len(p) < 10+trailerLen {
		return nil, fmt.Errorf("DIGEST-MD5 integrity: wrapped message of %d bytes is too short", len(p))
	}
	if err := checkTrailer(p[len(p)-trailerLen:], l.recvSeq); err != nil {
		return nil, err
	}
	msg := p[:len(p)-10-trailerLen]
	mac := p[len(p)-10-trailerLen : len(p)-trailerLen]
	if !hmac.Equal(mac, hmacMD5Trunc(l.kis, l.recvSeq, msg)) {
		return nil, errors.New("DIGEST-MD5 integrity: message MAC does not verify (tampered or out of sync)")
	}
	l.recvSeq++
	return msg, nil
}

func appendTrailer(b []byte, seq uint32) []byte {
	b = append(b, 0, 1)
	return binary.BigEndian.AppendUint32(b, seq)
}

func checkTrailer(t []byte, want uint32) error {
	if t[0] != 0 || t[1] != 1 {
		return fmt.Errorf("DIGEST-MD5: wrapped message type %d, want 1", binary.BigEndian.Uint16(t))
	}
	if got := binary.BigEndian.Uint32(t[2:]); got != want {
		return fmt.Errorf("DIGEST-MD5: wrapped message sequence number %d, want %d", got, want)
	}
	return nil
}

// streamer abstracts RC4 and CBC block ciphers whose state carries across
// messages, as the JDK's update()-based implementation does.
type streamer interface {
	crypt(dst, src []byte)
	blockSize() int
}

type rc4Streamer struct{ c *rc4.Cipher }

func (s rc4Streamer) crypt(dst, src []byte) { s.c.XORKeyStream(dst, src) }
func (s rc4Streamer) blockSize() int        { return 1 }

type cbcStreamer struct{ m cipher.BlockMode }

func (s cbcStreamer) crypt(dst, src []byte) { s.m.CryptBlocks(dst, src) }
func (s cbcStreamer) blockSize() int        { return s.m.BlockSize() }

// digestPrivacy is the auth-conf layer:
// CIPHER(Kc, msg || pad || HMAC[0:10]) || 0x0001 || seq.
type digestPrivacy struct {
	kic, kis         []byte
	enc, dec         streamer
	sendSeq, recvSeq uint32
	peerMax          int
}

func newDigestPrivacy(ha1 [16]byte, name string, peerMax int) (*digestPrivacy, error) {
	n, ok := cipherKeyLen[name]
	if !ok {
		return nil, fmt.Errorf("DIGEST-MD5: unsupported cipher %q", name)
	}
	kcc := md5Cat(ha1[:n], sealC2S)
	kcs := md5Cat(ha1[:n], sealS2C)
	enc, err := newStreamer(name, kcc, true)
	if err != nil {
		return nil, err
	}
	dec, err := newStreamer(name, kcs, false)
	if err != nil {
		return nil, err
	}
	return &digestPrivacy{
		kic: md5Cat(ha1[:], signC2S), kis: md5Cat(ha1[:], signS2C),
		enc: enc, dec: dec, peerMax: peerMax,
	}, nil
}

func newStreamer(name string, kc []byte, encrypt bool) (streamer, error) {
	switch name {
	case "rc4", "rc4-56", "rc4-40":
		// RFC 2831: the RC4 key is the whole 16-byte Kc for every rc4 variant;
		// the variants differ in how much of H(A1) went into Kc.
		c, err := rc4.NewCipher(kc)
		if err != nil {
			return nil, err
		}
		return rc4Streamer{c}, nil
	case "des", "3des":
		var b cipher.Block
		var err error
		k1 := desParity(kc[0:7])
		if name == "des" {
			b, err = des.NewCipher(k1)
		} else {
			k2 := desParity(kc[7:14])
			ede := append(append(append([]byte{}, k1...), k2...), k1...)
			b, err = des.NewTripleDESCipher(ede)
		}
		if err != nil {
			return nil, err
		}
		iv := kc[8:16]
		if encrypt {
			return cbcStreamer{cipher.NewCBCEncrypter(b, iv)}, nil
		}
		return cbcStreamer{cipher.NewCBCDecrypter(b, iv)}, nil
	}
	return nil, fmt.Errorf("DIGEST-MD5: unsupported cipher %q", name)
}

// desParity spreads 56 key bits over 8 bytes, 7 bits in the high part of
// each byte, and sets odd parity in the low bit.
func desParity(k []byte) []byte {
	var v uint64
	for _, b := range k[:7] {
		v = v<<8 | uint64(b)
	}
	out := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b := byte(v&0x7f) << 1
		v >>= 7
		ones := 0
		for x := b; x != 0; x >>= 1 {
			ones += int(x & 1)
		}
		if ones%2 == 0 {
			b |= 1
		}
		out[i] = b
	}
	return out
}

func (l *digestPrivacy) MaxWrap() int {
	return l.peerMax - 10 - trailerLen - l.enc.blockSize()
}

func (l *digestPrivacy) Wrap(p []byte) ([]byte, error) {
	mac := hmacMD5Trunc(l.kic, l.sendSeq, p)
	bs := l.enc.blockSize()
	pad := 0
	if bs > 1 {
		pad = bs - (len(p)+10)%bs
	}
	plain := make([]byte, 0, len(p)+pad+10)
	plain = append(plain, p...)
	for i := 0; i < pad; i++ {
		plain = append(plain, byte(pad))
	}
	plain = append(plain, mac...)
	out := make([]byte, len(plain), len(plain)+trailerLen)
	l.enc.crypt(out, plain)
	out = appendTrailer(out, l.sendSeq)
	l.sendSeq++
	return out, nil
}

func (l *digestPrivacy) Unwrap(p []byte) ([]byte, error) {
	if len(p) < 10+trailerLen {
		return nil, fmt.Errorf("DIGEST-MD5 privacy: wrapped message of %d bytes is too short", len(p))
	}
	if err := checkTrailer(p[len(p)-trailerLen:], l.recvSeq); err != nil {
		return nil, err
	}
	body := p[:len(p)-trailerLen]
	bs := l.dec.blockSize()
	if bs > 1 && len(body)%bs != 0 {
		return nil, fmt.Errorf("DIGEST-MD5 privacy: ciphertext of %d bytes is not a multiple of the block size", len(body))
	}
	plain := make([]byte, len(body))
	l.dec.crypt(plain, body)
	msg := plain[:len(plain)-10]
	mac := plain[len(plain)-10:]
	if bs > 1 {
		if len(msg) == 0 {
			return nil, errors.New("DIGEST-MD5 privacy: missing padding")
		}
		pad := int(msg[len(msg)-1])
		if pad < 1 || pad > bs || pad > len(msg) {
			return nil, fmt.Errorf("DIGEST-MD5 privacy: bad padding length %d", pad)
		}
		for _, c := range msg[len(msg)-pad:] {
			if int(c) != pad {
				return nil, errors.New("DIGEST-MD5 privacy: bad padding")
			}
		}
		msg = msg[:len(msg)-pad]
	}
	if !hmac.Equal(mac, hmacMD5Trunc(l.kis, l.recvSeq, msg)) {
		return nil, errors.New("DIGEST-MD5 privacy: message MAC does not verify (wrong key or out of sync)")
	}
	l.recvSeq++
	return msg, nil
}
