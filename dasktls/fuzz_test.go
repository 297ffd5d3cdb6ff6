package dasktls

import (
	"testing"
	"time"
)

// FuzzVerify: the runtime checks the pair it read from its token file;
// whatever bytes are there, Verify returns an error or nil, never panics.
func FuzzVerify(f *testing.F) {
	b, err := New("application_1_0001", time.Now(), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	p := b.Pairs[Worker]
	f.Add(b.CA, p.Cert, p.Key)
	f.Add(p.Cert, b.CA, p.Cert)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), []byte{}, []byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n"))
	now := time.Now()
	f.Fuzz(func(t *testing.T, ca, cert, key []byte) {
		_ = Verify(ca, Pair{Cert: cert, Key: key}, now)
	})
}
