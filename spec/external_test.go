package spec

import (
	"errors"
	"strings"
	"testing"
)

// TestExternalScheduler: a scheduler outside the application must be an
// address the NodeManagers can dial, and nothing else, since it reaches
// every worker's command line.
func TestExternalScheduler(t *testing.T) {
	ok := []string{
		"external_scheduler: {address: tcp://10.1.2.3:8786, dashboard_address: 10.1.2.3:8787}",
		"external_scheduler: {address: tls://edge-1.example.com:8786, dashboard_address: edge-1.example.com:1}",
		`external_scheduler: {address: "tcp://[2001:db8::5]:65535", dashboard_address: "[2001:db8::5]:8787"}`,
	}
	for _, y := range ok {
		sp, err := Parse([]byte(y+"\nworkers: [{}]"), "spec.yaml")
		if err != nil {
			t.Errorf("%s: %v", y, err)
			continue
		}
		if sp.ExternalScheduler == nil || sp.ExternalScheduler.Address == "" {
			t.Errorf("%s: not kept: %+v", y, sp.ExternalScheduler)
		}
	}
	for _, c := range []struct{ yaml, want string }{
		{"external_scheduler: {dashboard_address: h:1}", "external_scheduler.address: bad external scheduler address: missing"},
		{"external_scheduler: {address: tcp://h:1}", "external_scheduler.dashboard_address: bad external scheduler address: missing"},
		{"external_scheduler: {address: inproc://h:1, dashboard_address: h:1}", "want tcp://host:port or tls://host:port"},
		{"external_scheduler: {address: h:8786, dashboard_address: h:1}", "want tcp://host:port"},
		{"external_scheduler: {address: tcp://h:0, dashboard_address: h:1}", `port "0": want 1 to 65535`},
		{"external_scheduler: {address: tcp://h:65536, dashboard_address: h:1}", `port "65536"`},
		{"external_scheduler: {address: tcp://h:+80, dashboard_address: h:1}", `port "+80"`},
		{"external_scheduler: {address: tcp://h, dashboard_address: h:1}", "want host:port"},
		{"external_scheduler: {address: tcp://0.0.0.0:8786, dashboard_address: h:1}", "0.0.0.0 is a listening wildcard"},
		{"external_scheduler: {address: tcp://127.0.0.1:8786, dashboard_address: h:1}", "127.0.0.1 is loopback"},
		{"external_scheduler: {address: tcp://h:8786, dashboard_address: localhost:1}", "external_scheduler.dashboard_address: bad external scheduler address: \"localhost:1\": localhost is loopback"},
		{"external_scheduler: {address: 'tcp://a$(reboot):1', dashboard_address: h:1}", "neither an IP address nor a host name"},
		{"external_scheduler: {address: \"tcp://a b:1\", dashboard_address: h:1}", "neither an IP address nor a host name"},
		{"external_scheduler: {address: tcp://:1, dashboard_address: h:1}", "no host"},
		{"external_scheduler: {address: tcp://h:1, dashboard_address: h:1, port: 3}", "port"},
	} {
		_, err := Parse([]byte(c.yaml+"\nworkers: [{}]"), "spec.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: want an error with %q, got %v", c.yaml, c.want, err)
		}
	}
	// An application with TLS: its workers would not trust the scheduler.
	tls := "external_scheduler: {address: tcp://10.0.0.1:1, dashboard_address: h:1}\nworkers: [{}]"
	if _, err := Parse([]byte("tls: true\n"+tls), "spec.yaml"); err == nil || !strings.Contains(err.Error(), "external_scheduler: bad external scheduler address: tls: true") {
		t.Errorf("tls: true with external_scheduler: %v", err)
	}
	sp, err := Parse([]byte(tls), "spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckExternalTLS(sp, true); err == nil || !strings.Contains(err.Error(), "this cluster is Kerberized, so tls defaults to on") {
		t.Errorf("unset tls on a Kerberized cluster: %v", err)
	}
	if err := CheckExternalTLS(sp, false); err != nil {
		t.Errorf("unset tls elsewhere: %v", err)
	}
	sp.TLS = new(bool)
	if err := CheckExternalTLS(sp, true); err != nil {
		t.Errorf("tls: false on a Kerberized cluster: %v", err)
	}
	// Typed, for callers that react to it.
	_, err = Parse([]byte("external_scheduler: {address: tcp://127.0.0.1:1, dashboard_address: h:1}\nworkers: [{}]"), "spec.yaml")
	if !errors.Is(err, ErrExternalAddress) {
		t.Errorf("want ErrExternalAddress, got %v", err)
	}
}
