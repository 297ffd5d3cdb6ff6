// Package sasl implements the client side of the SASL mechanisms Hadoop IPC
// servers speak: DIGEST-MD5 (RFC 2831) for delegation/AMRM/NM tokens and
// GSSAPI (RFC 4752) for Kerberos, including the integrity and privacy
// security layers negotiated by hadoop.rpc.protection.
//
// The package only turns challenges into responses and wraps/unwraps bytes;
// carrying the tokens in RpcSaslProto messages is the ipc package's job.
package sasl

import (
	"errors"
	"fmt"
	"strings"
)

// QOP is a SASL quality of protection.
type QOP string

// The quality-of-protection values, as named on the wire. Hadoop maps
// hadoop.rpc.protection authentication/integrity/privacy onto them.
const (
	QOPAuth     QOP = "auth"
	QOPAuthInt  QOP = "auth-int"
	QOPAuthConf QOP = "auth-conf"
)

// DefaultQOP prefers the cheapest protection the server accepts: Hadoop
// servers only offer what their hadoop.rpc.protection allows, so any offered
// value is acceptable to them.
var DefaultQOP = []QOP{QOPAuth, QOPAuthInt, QOPAuthConf}

// ParseQOP maps hadoop.rpc.protection values (authentication, integrity,
// privacy, comma separated) or SASL names onto QOPs, in the given order.
func ParseQOP(s string) ([]QOP, error) {
	var out []QOP
	for _, f := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "authentication", "auth":
			out = append(out, QOPAuth)
		case "integrity", "auth-int":
			out = append(out, QOPAuthInt)
		case "privacy", "auth-conf":
			out = append(out, QOPAuthConf)
		case "":
		default:
			return nil, fmt.Errorf("unknown quality of protection %q: use authentication, integrity or privacy", f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("empty quality of protection list")
	}
	return out, nil
}

// Mechanism is one client-side SASL exchange.
type Mechanism interface {
	// Name is the SASL mechanism name ("DIGEST-MD5", "GSSAPI").
	Name() string
	// Step consumes a server challenge (nil for "no challenge yet") and
	// returns the response to send. Once Complete reports true no more
	// responses are due; a final server token (e.g. rspauth) is still passed
	// to Step for verification and yields a nil response.
	Step(challenge []byte) ([]byte, error)
	// Complete reports whether the client side has finished authenticating.
	Complete() bool
	// Layer returns the negotiated security layer, or nil when the QOP is
	// auth (no wrapping). Valid only after Complete.
	Layer() Layer
	// QOP returns the negotiated quality of protection (after Complete).
	QOP() QOP
}

// Layer wraps outgoing and unwraps incoming bytes once a security layer
// (auth-int or auth-conf) is in force. Calls to Wrap must be serialised, as
// must calls to Unwrap: both carry sequence numbers.
type Layer interface {
	Wrap(p []byte) ([]byte, error)
	Unwrap(p []byte) ([]byte, error)
	// MaxWrap is the largest plaintext a single Wrap may be given so that
	// the result fits the peer's receive buffer.
	MaxWrap() int
}

func pickQOP(pref []QOP, offered []QOP) (QOP, bool) {
	if len(pref) == 0 {
		pref = DefaultQOP
	}
	for _, p := range pref {
		for _, o := range offered {
			if p == o {
				return p, true
			}
		}
	}
	return "", false
}
