// Package dasktls gives one application's Dask cluster its own TLS: a
// certificate authority made at submit for that application alone
// (ECDSA P-256), a certificate for the scheduler, one for the workers and
// one for clients, all signed by it. Dask verifies the chain, not host
// names (distributed.security turns check_hostname off: a dedicated CA per
// cluster, addresses by IP), and requires a certificate from both sides,
// so only holders of a key signed by this CA can talk to the cluster. The
// CA's private key is used once, at submit, and kept nowhere.
//
// The package also owns how the material travels (secrets in the YARN
// credentials, files at 0600 beside the process that uses them) and the
// Dask configuration variables that point at those files.
package dasktls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Role is a Dask role with its own certificate: Dask's configuration has
// distributed.comm.tls.<role>.cert/key for each.
type Role string

const (
	Scheduler Role = "scheduler"
	Worker    Role = "worker"
	Client    Role = "client"
)

// Roles are the roles that get a certificate.
var Roles = []Role{Scheduler, Worker, Client}

// Validity bounds.
const (
	// DefaultValidity is how long the certificates of an application
	// without a lifetime last: past it, new connections (a new worker, a
	// client) are refused, connections already open go on.
	DefaultValidity = 30 * 24 * time.Hour
	// LifetimeMargin is added to an application's lifetime, so the
	// certificates outlast the application's own end (stop grace, late
	// clients).
	LifetimeMargin = time.Hour
	// MaxValidity caps any validity (a lifetime of years).
	MaxValidity = 398 * 24 * time.Hour
	// clockSkew backdates NotBefore: the nodes' clocks may be behind the
	// edge node's.
	clockSkew = 10 * time.Minute
)

// Validity is how long an application's certificates last: its lifetime
// plus LifetimeMargin when it has one, else DefaultValidity; at most
// MaxValidity.
func Validity(lifetime time.Duration) time.Duration {
	v := DefaultValidity
	if lifetime > 0 {
		v = lifetime + LifetimeMargin
	}
	return min(v, MaxValidity)
}

// Pair is a PEM certificate and its PEM private key.
type Pair struct {
	Cert []byte
	Key  []byte
}

// Bundle is what the cluster's processes need: the CA certificate (to
// verify peers) and each role's pair. The CA key is not in it.
type Bundle struct {
	CA    []byte
	Pairs map[Role]Pair
}

// New makes a CA valid from now-clockSkew for validity, and a pair for
// every role signed by it, valid as long. name (the application id) goes
// into the subjects, so a certificate says which application it is for.
func New(name string, now time.Time, validity time.Duration) (*Bundle, error) {
	if validity <= 0 || validity > MaxValidity {
		return nil, fmt.Errorf("certificate validity %s: want more than 0 and at most %s", validity, MaxValidity)
	}
	notBefore, notAfter := now.Add(-clockSkew), now.Add(validity)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate the CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"Spindle"}, CommonName: "spindle CA " + name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("make the CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("read back the CA certificate: %w", err)
	}
	b := &Bundle{CA: pemBlock("CERTIFICATE", caDER), Pairs: map[Role]Pair{}}
	for _, r := range Roles {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate the %s key: %w", r, err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{Organization: []string{"Spindle"}, CommonName: fmt.Sprintf("spindle %s %s", r, name)},
			// A SAN as well: some verifiers want one. Dask checks no names.
			DNSNames:  []string{"spindle-" + string(r)},
			NotBefore: notBefore,
			NotAfter:  notAfter,
			KeyUsage:  x509.KeyUsageDigitalSignature,
			// Every Dask process both listens and connects (the scheduler
			// dials workers; a `dask worker` may run with the client's
			// pair), so each certificate serves both ends.
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, fmt.Errorf("make the %s certificate: %w", r, err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("encode the %s key: %w", r, err)
		}
		b.Pairs[r] = Pair{Cert: pemBlock("CERTIFICATE", der), Key: pemBlock("PRIVATE KEY", keyDER)}
	}
	return b, nil
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// serial is a random 128-bit serial number (RFC 5280: positive, at most
// 20 bytes).
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n.Add(n, big.NewInt(1))
}

// ErrMaterial: TLS material that cannot be used as it is.
var ErrMaterial = errors.New("bad TLS material")

// Verify checks that p is a certificate signed by ca with the key that
// matches it, valid at now: what a Dask peer will check, told early.
func Verify(ca []byte, p Pair, now time.Time) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return fmt.Errorf("%w: the CA is not a PEM certificate", ErrMaterial)
	}
	blk, _ := pem.Decode(p.Cert)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return fmt.Errorf("%w: the certificate is not PEM", ErrMaterial)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("%w: certificate: %w", ErrMaterial, err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("%w: %w", ErrMaterial, err)
	}
	kb, _ := pem.Decode(p.Key)
	if kb == nil {
		return fmt.Errorf("%w: the key is not PEM", ErrMaterial)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return fmt.Errorf("%w: key: %w", ErrMaterial, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if k, isEC := key.(*ecdsa.PrivateKey); !ok || !isEC || !k.PublicKey.Equal(pub) {
		return fmt.Errorf("%w: the key does not match the certificate", ErrMaterial)
	}
	return nil
}
