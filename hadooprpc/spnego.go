package hadooprpc

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// SPNEGOTransport answers a Hadoop web server's "401, WWW-Authenticate:
// Negotiate" (NodeManagers, the ResourceManager under
// hadoop.http.authentication.type=kerberos) with a Kerberos ticket for
// HTTP/<host>, as curl --negotiate does, and sends the request again. Give
// the http.Client a cookie jar: Hadoop answers with a signed hadoop.auth
// cookie that spares the next requests a ticket exchange. base nil means
// http.DefaultTransport.
func SPNEGOTransport(kc *client.Client, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &spnegoTransport{kc: kc, base: base}
}

type spnegoTransport struct {
	kc   *client.Client
	base http.RoundTripper
}

func (t *spnegoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || req.Header.Get("Authorization") != "" ||
		!asksNegotiate(resp) || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return resp, nil
		}
	}
	// The SPN is HTTP/<the URL's host>, as Hadoop's servers are keyed.
	if err := spnego.SetSPNEGOHeader(t.kc, again, ""); err != nil {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("%w: SPNEGO to %s (a ticket for HTTP/%s): %s", ErrKerberos, req.URL.Host, req.URL.Hostname(), explainKDC(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	return t.base.RoundTrip(again)
}

func asksNegotiate(resp *http.Response) bool {
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if strings.HasPrefix(strings.TrimSpace(v), "Negotiate") {
			return true
		}
	}
	return false
}
