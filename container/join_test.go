package container_test

import (
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/container"
)

func TestParseWorkers(t *testing.T) {
	body := `{"num_workers": 3, "workers": [
		{"name": "container_1_0001_01_000002", "address": "tcp://10.0.0.5:38541"},
		{"name": 7, "address": "tcp://10.0.0.6:1"},
		{"name": "container_1_0001_01_000003", "address": "tls://[::1]:9000"}]}`
	for name, want := range map[string]string{
		"container_1_0001_01_000002": "tcp://10.0.0.5:38541",
		"7":                          "tcp://10.0.0.6:1",
		"container_1_0001_01_000003": "tls://[::1]:9000",
	} {
		if got, err := container.ParseWorkers([]byte(body), name); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", name, got, err, want)
		}
	}
	for _, c := range []struct{ body, want string }{
		{body, "does not list this worker (3 workers listed)"},
		{`{"workers": [{"name": "me", "address": ""}]}`, "bad address"},
		{`{"workers": [{"name": "me", "address": "tcp://h"}]}`, "bad address"},
		{`{"workers": [{"name": "me", "address": "tcp://h:1/x y"}]}`, "bad address"},
		{`{"workers": [{"name": "me", "address": "` + strings.Repeat("a", 600) + `://h:1"}]}`, "bad address"},
		{`<html>`, "not the expected JSON"},
		{`{"workers": {}}`, "not the expected JSON"},
	} {
		if got, err := container.ParseWorkers([]byte(c.body), "me"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: %q, %v; want an error saying %q", c.body, got, err, c.want)
		}
	}
}

// FuzzParseWorkers: the scheduler's answer comes from the network; no input
// may panic, and an address returned is always scheme://host:port.
func FuzzParseWorkers(f *testing.F) {
	f.Add([]byte(`{"num_workers": 1, "workers": [{"name": "me", "address": "tcp://10.0.0.5:38541"}]}`), "me")
	f.Add([]byte(`{"workers": [{"name": 7, "address": "tls://[::1]:9000"}]}`), "7")
	f.Add([]byte(`{"workers": null}`), "")
	f.Fuzz(func(t *testing.T, body []byte, name string) {
		addr, err := container.ParseWorkers(body, name)
		if err != nil {
			return
		}
		scheme, rest, ok := strings.Cut(addr, "://")
		if !ok || scheme == "" || rest == "" || len(addr) > 512 || strings.ContainsAny(addr, " \n") {
			t.Fatalf("accepted address %q", addr)
		}
	})
}
