package conf

import (
	"strings"
	"testing"
)

// FuzzParseAndExpand feeds arbitrary documents through the XML parser, then
// expands every loaded value and the document text itself. It must never
// panic or hang, and Get must agree with Lookup.
func FuzzParseAndExpand(f *testing.F) {
	f.Add(site(prop("a", "${b}") + prop("b", "${a}") + prop("c", "${env.HOME:-x}/${user.name}")))
	f.Add(site(`<property name="x" value="${x}${x}" final="true"/><property><name>y</name><final>true</final></property>`))
	f.Add(site(prop("yarn.resourcemanager.ha.enabled", "true") + prop("yarn.resourcemanager.ha.rm-ids", "a,b") +
		prop("yarn.resourcemanager.hostname.a", "h:1") + prop("fs.defaultFS", "hdfs://ns")))
	f.Add(`<configuration><xi:include href="a"/></configuration>`)
	f.Add(`<a><property><name>${${${</name><value>}}}${a}</value></property></a>`)
	f.Add("")
	f.Fuzz(func(t *testing.T, doc string) {
		c := New()
		c.env = func(k string) (string, bool) { return "e" + k, len(k)%2 == 0 }
		c.sysProps = map[string]string{"user.name": "u"}
		if err := c.AddReader(strings.NewReader(doc), "fuzz.xml"); err != nil {
			return
		}
		for _, k := range c.Keys() {
			v, ok, err := c.Lookup(k)
			g, gok := c.Get(k)
			if !ok || !gok || (err == nil && v != g) {
				t.Fatalf("Lookup(%q) = %q, %v, %v but Get = %q, %v", k, v, ok, err, g, gok)
			}
			_, _ = c.GetInt(k, 0)
			_, _ = c.GetBool(k, false)
			_, _ = c.GetDuration(k, 0, 1)
		}
		_, _ = c.Expand(doc)
		_, _ = c.RMAddresses()
		_, _ = c.RMSchedulerAddresses()
		_, _ = c.RMWebAppAddresses()
		_, _ = c.NameNodeAddresses()
	})
}
