package conf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func site(props string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<!-- a comment -->
<configuration xmlns:xi="http://www.w3.org/2001/XInclude">
` + props + `
</configuration>
`
}

func prop(name, value string) string {
	return "<property><name>" + name + "</name><value>" + value + "</value><description>d</description></property>\n"
}

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testConfig returns a Config over the defaults with a fixed environment and
// system-property table, plus the given documents layered in order.
func testConfig(t *testing.T, docs ...string) *Config {
	t.Helper()
	c := New()
	c.env = func(string) (string, bool) { return "", false }
	c.sysProps = map[string]string{"user.name": "alice"}
	for i, d := range docs {
		if err := c.AddReader(strings.NewReader(d), "doc"+string(rune('0'+i))+".xml"); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestParseXML(t *testing.T) {
	doc := site(`
  <property>
    <name>  a.key  </name>
    <value> spaced value </value>
    <final>true</final>
    <description>ignored <b>markup</b></description>
    <source>programmatically</source>
  </property>
  <property><name>empty</name><value></value></property>
  <property><name>novalue</name><final>true</final></property>
  <property name="attr.key" value="attr value" final="true"/>
  <property><name>cdata</name><value><![CDATA[x<y]]></value></property>
  <property><name>finalish</name><value>v</value><final> true</final></property>
  <property><value>no name</value></property>
  <property><name>ent</name><value>a&amp;b&lt;c</value></property>`)
	got, err := parseXML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []property{
		{name: "a.key", value: " spaced value ", hasValue: true, final: true},
		{name: "empty"},
		{name: "novalue", final: true},
		{name: "attr.key", value: "attr value", hasValue: true, final: true},
		{name: "cdata", value: "x<y", hasValue: true},
		{name: "finalish", value: "v", hasValue: true},
		{name: "ent", value: "a&b<c", hasValue: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseXMLErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"include", site(`<xi:include href="other.xml"/>`), "xi:include"},
		{"malformed", `<configuration><property><name>a</name></configuration>`, "malformed XML"},
		{"empty", ``, "no XML elements"},
		{"text only", `hello`, "no XML elements"},
		{"encoding", `<?xml version="1.0" encoding="EBCDIC"?><configuration/>`, "encoding"},
		{"entity", `<!DOCTYPE c [<!ENTITY x "y">]><configuration><property><name>a</name><value>&x;</value></property></configuration>`, "malformed XML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseXML(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestParseXMLLatin1(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><configuration><property><name>k</name><value>caf\xe9</value></property></configuration>"
	got, err := parseXML(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].value != "café" {
		t.Fatalf("got %+v", got)
	}
}

func TestLoadLayeringAndFinal(t *testing.T) {
	d1 := writeDir(t, map[string]string{
		"core-site.xml": site(prop("fs.defaultFS", "hdfs://nn1:8020") +
			`<property><name>locked</name><value>core</value><final>true</final></property>` +
			prop("only.core", "c") + prop("layered", "core")),
		"yarn-site.xml": site(prop("layered", "yarn") + prop("locked", "yarn") +
			prop("yarn.resourcemanager.hostname", "rm.example.com")),
		"mapred-site.xml": site(prop("ignored", "x")),
	})
	d2 := writeDir(t, map[string]string{
		"yarn-site.xml": site(prop("layered", "yarn2") + prop("locked", "core")),
	})
	c, err := Load(d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	check := func(key, want, wantSrc string) {
		t.Helper()
		v, ok := c.Get(key)
		if !ok || v != want {
			t.Errorf("Get(%s) = %q, %v; want %q", key, v, ok, want)
		}
		if src, _ := c.Source(key); src != wantSrc {
			t.Errorf("Source(%s) = %q, want %q", key, src, wantSrc)
		}
	}
	check("layered", "yarn2", filepath.Join(d2, "yarn-site.xml"))
	check("locked", "core", filepath.Join(d1, "core-site.xml"))
	check("only.core", "c", filepath.Join(d1, "core-site.xml"))
	check("yarn.resourcemanager.address", "rm.example.com:8032", "yarn-default.xml (built in)")
	check("ipc.ping.interval", "60000", "core-default.xml (built in)")
	if _, ok := c.Get("ignored"); ok {
		t.Error("mapred-site.xml should not be read")
	}
	w := c.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "final parameter locked") || !strings.Contains(w[0], filepath.Join(d1, "yarn-site.xml")) {
		t.Errorf("warnings = %q", w)
	}
	wantFiles := []string{filepath.Join(d1, "core-site.xml"), filepath.Join(d1, "yarn-site.xml"), filepath.Join(d2, "yarn-site.xml")}
	if !reflect.DeepEqual(c.Files(), wantFiles) {
		t.Errorf("Files = %q, want %q", c.Files(), wantFiles)
	}
}

func TestFinalWithoutValueBlocksLaterFiles(t *testing.T) {
	c := testConfig(t,
		site(`<property><name>k</name><final>true</final></property>`),
		site(prop("k", "later")))
	if v, ok := c.Get("k"); ok {
		t.Fatalf("k = %q, want unset", v)
	}
	// A programmatic Set is not bound by final, as in Hadoop.
	c.Set("k", "set")
	if v, _ := c.Get("k"); v != "set" {
		t.Fatalf("k = %q", v)
	}
}

func TestEmptyValueDoesNotOverride(t *testing.T) {
	c := testConfig(t, site(prop("hadoop.rpc.protection", "")))
	if v, _ := c.Get("hadoop.rpc.protection"); v != "authentication" {
		t.Fatalf("got %q", v)
	}
}

func TestDeprecatedDefaultFS(t *testing.T) {
	c := testConfig(t, site(prop("fs.default.name", "hdfs://old:9000")))
	if v, _ := c.Get("fs.defaultFS"); v != "hdfs://old:9000" {
		t.Fatalf("fs.defaultFS = %q", v)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(); !errors.Is(err, ErrNoConfDir) {
		t.Fatalf("Load() err = %v", err)
	}
	empty := t.TempDir()
	_, err := Load(empty)
	if err == nil || !strings.Contains(err.Error(), "HADOOP_CONF_DIR") || !strings.Contains(err.Error(), empty) {
		t.Fatalf("empty dir err = %v", err)
	}
	_, err = Load(filepath.Join(empty, "missing"))
	if err == nil || !strings.Contains(err.Error(), "HADOOP_CONF_DIR") {
		t.Fatalf("missing dir err = %v", err)
	}
	bad := writeDir(t, map[string]string{"yarn-site.xml": "<configuration><property>"})
	_, err = Load(bad)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(bad, "yarn-site.xml")) {
		t.Fatalf("bad file err = %v", err)
	}
}

func TestFromEnvironment(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	if _, err := FromEnvironment(); !errors.Is(err, ErrNoConfDir) || !strings.Contains(err.Error(), "set HADOOP_CONF_DIR") {
		t.Fatalf("err = %v", err)
	}
	h := writeDir(t, map[string]string{"core-site.xml": site(prop("a", "hadoop") + prop("b", "hadoop"))})
	y := writeDir(t, map[string]string{"yarn-site.xml": site(prop("b", "yarn"))})
	t.Setenv("HADOOP_CONF_DIR", h)
	t.Setenv("YARN_CONF_DIR", y)
	c, err := FromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := c.Get("a"); a != "hadoop" {
		t.Errorf("a = %q", a)
	}
	if b, _ := c.Get("b"); b != "yarn" {
		t.Errorf("b = %q", b)
	}
	if !reflect.DeepEqual(c.Dirs(), []string{h, y}) {
		t.Errorf("Dirs = %q", c.Dirs())
	}
}

func TestExpand(t *testing.T) {
	c := testConfig(t, site(
		prop("base", "/data")+
			prop("dir", "${base}/logs")+
			prop("deep", "${dir}/x")+
			prop("self", "a${self}b")+
			prop("cyc1", "${cyc2}")+
			prop("cyc2", "${cyc1}")+
			prop("unbound", "${nope}/${base}")+
			prop("twice", "${base}:${base}")+
			prop("tmp", "${hadoop.tmp.dir}/x")+
			prop("notvar", "$base ${} ${ base} $${base}")))
	c.env = func(k string) (string, bool) {
		switch k {
		case "SET":
			return "fromenv", true
		case "EMPTY":
			return "", true
		}
		return "", false
	}
	c.Set("env.UNSETVAR", "fromconf")
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"${base}", "/data"},
		{"${deep}", "/data/logs/x"},
		{"${env.SET}", "fromenv"},
		{"${env.UNSET}", "${env.UNSET}"},
		{"${env.UNSETVAR}", "fromconf"},
		{"${env.UNSET:-dflt}", "dflt"},
		{"${env.EMPTY:-dflt}", "dflt"},
		{"${env.EMPTY-dflt}", ""},
		{"${env.UNSET-dflt}", "dflt"},
		{"${env.SET:-dflt}", "fromenv"},
		{"${user.name}", "alice"},
		{"${self}", "${self}"},
		{"${unbound}", "${nope}/${base}"},
		{"${twice}", "/data:/data"},
		{"${tmp}", "/tmp/hadoop-alice/x"},
		{"${notvar}", "$base ${} ${ base} $/data"},
		{"${", "${"},
		{"x}", "x}"},
	} {
		got, err := c.Expand(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestExpandDepthLimit(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 25; i++ {
		b.WriteString(prop("v"+string(rune('a'+i)), "${v"+string(rune('a'+i+1))+"}"))
	}
	b.WriteString(prop("v"+string(rune('a'+25)), "end"))
	c := testConfig(t, site(b.String()))
	// Hadoop makes at most 20 passes and needs the last one to see that
	// nothing is left: 19 substitutions succeed (vh -> ... -> vz -> end),
	// 20 fail.
	if v, err := c.Expand("${vh}"); err != nil || v != "end" {
		t.Fatalf("19 substitutions: %q, %v", v, err)
	}
	if _, err := c.Expand("${vg}"); err == nil || !strings.Contains(err.Error(), "depth too large") {
		t.Fatalf("20 substitutions err = %v", err)
	}
	c.Set("big", strings.Repeat("x", 600<<10))
	if _, err := c.Expand("${big}${big}"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("huge expansion err = %v", err)
	}
	if _, _, err := c.Lookup("va"); err == nil || !strings.Contains(err.Error(), "doc0.xml: va:") {
		t.Fatalf("Lookup err = %v", err)
	}
	if v, ok := c.Get("va"); !ok || v != "${vb}" {
		t.Fatalf("Get on failure = %q, %v", v, ok)
	}
}

func TestTypedAccessors(t *testing.T) {
	c := testConfig(t, site(
		prop("i", " 42 ")+
			prop("hex", "0x1F")+
			prop("neghex", "-0x10")+
			prop("bad", "abc")+
			prop("b1", "TRUE")+
			prop("b2", " false")+
			prop("bbad", "yes")+
			prop("d1", "1500")+
			prop("d2", "10s")+
			prop("d3", "5m")+
			prop("dspace", "5 m")+
			prop("d4", "2d")+
			prop("d5", "3MS")+
			prop("dbad", "10 parsecs")+
			prop("blank", "  ")+
			prop("ref", "${i}")+
			prop("cyc1", "${cyc2}")+
			prop("cyc2", "${cyc1}")+
			prop("mixcyc", "${i}${cyc1}")))
	if n, err := c.GetInt("i", 0); err != nil || n != 42 {
		t.Errorf("i = %d, %v", n, err)
	}
	if n, err := c.GetInt("hex", 0); err != nil || n != 31 {
		t.Errorf("hex = %d, %v", n, err)
	}
	if n, err := c.GetInt("neghex", 0); err != nil || n != -16 {
		t.Errorf("neghex = %d, %v", n, err)
	}
	if n, err := c.GetInt("ref", 0); err != nil || n != 42 {
		t.Errorf("ref = %d, %v", n, err)
	}
	if n, err := c.GetInt("missing", 7); err != nil || n != 7 {
		t.Errorf("missing = %d, %v", n, err)
	}
	if n, err := c.GetInt("blank", 7); err != nil || n != 7 {
		t.Errorf("blank = %d, %v", n, err)
	}
	_, err := c.GetInt("bad", 0)
	if err == nil || err.Error() != "doc0.xml: bad: value 'abc' is not a number" {
		t.Errorf("bad err = %v", err)
	}
	if v, err := c.GetBool("b1", false); err != nil || !v {
		t.Errorf("b1 = %v, %v", v, err)
	}
	if v, err := c.GetBool("b2", true); err != nil || v {
		t.Errorf("b2 = %v, %v", v, err)
	}
	if _, err := c.GetBool("bbad", false); err == nil || !strings.Contains(err.Error(), "doc0.xml: bbad: value 'yes' is not true or false") {
		t.Errorf("bbad err = %v", err)
	}
	if v, err := c.GetBool("ipc.client.ping", false); err != nil || !v {
		t.Errorf("ipc.client.ping default = %v, %v", v, err)
	}
	for key, want := range map[string]time.Duration{
		"d1": 1500 * time.Millisecond, "d2": 10 * time.Second, "d3": 5 * time.Minute,
		"d4": 48 * time.Hour, "d5": 3 * time.Millisecond, "missing": time.Minute,
	} {
		if d, err := c.GetDuration(key, time.Minute, time.Millisecond); err != nil || d != want {
			t.Errorf("%s = %v, %v; want %v", key, d, err, want)
		}
	}
	if _, err := c.GetDuration("dbad", 0, time.Second); err == nil || !strings.Contains(err.Error(), "doc0.xml: dbad: value '10 parsecs' is not a duration") {
		t.Errorf("dbad err = %v", err)
	}
	if _, err := c.GetDuration("dspace", 0, time.Second); err == nil {
		t.Error("'5 m' accepted; Hadoop rejects it")
	}
	for _, k := range []string{"cyc1", "mixcyc"} {
		if _, _, err := c.Lookup(k); err == nil || !strings.Contains(err.Error(), "depth too large") {
			t.Errorf("Lookup(%s) err = %v", k, err)
		}
	}
	c.Set("huge", "9999999999999d")
	if _, err := c.GetDuration("huge", 0, time.Second); err == nil {
		t.Error("overflowing duration accepted")
	}
	c.Set("list", " a, b ,,c ")
	if got := c.GetStrings("list"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("list = %q", got)
	}
	if got := c.GetDefault("missing", "dflt"); got != "dflt" {
		t.Errorf("GetDefault = %q", got)
	}
	if src, _ := c.Source("list"); src != SourceProgram {
		t.Errorf("Source = %q", src)
	}
}

func TestDefaults(t *testing.T) {
	c := testConfig(t)
	for key, want := range map[string]string{
		"yarn.resourcemanager.hostname":              "0.0.0.0",
		"yarn.resourcemanager.address":               "0.0.0.0:8032",
		"yarn.resourcemanager.scheduler.address":     "0.0.0.0:8030",
		"yarn.resourcemanager.webapp.address":        "0.0.0.0:8088",
		"fs.defaultFS":                               "file:///",
		"hadoop.security.authentication":             "simple",
		"hadoop.rpc.protection":                      "authentication",
		"yarn.nodemanager.remote-app-log-dir":        "/tmp/logs",
		"yarn.nodemanager.remote-app-log-dir-suffix": "logs",
		"yarn.log-aggregation.file-formats":          "TFile",
		"ipc.client.ping":                            "true",
		"ipc.ping.interval":                          "60000",
		"ipc.client.rpc-timeout.ms":                  "120000",
		"hadoop.tmp.dir":                             "/tmp/hadoop-alice",
	} {
		if v, ok := c.Get(key); !ok || v != want {
			t.Errorf("%s = %q, %v; want %q", key, v, ok, want)
		}
	}
	for _, key := range []string{"yarn.resourcemanager.principal", "yarn.resourcemanager.ha.rm-ids", "dfs.nameservices"} {
		if v, ok := c.Get(key); ok {
			t.Errorf("%s should have no default, got %q", key, v)
		}
	}
}

func TestRMAddresses(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		c := testConfig(t)
		a, err := c.RMAddresses()
		if err != nil || !reflect.DeepEqual(a, []string{"0.0.0.0:8032"}) {
			t.Fatalf("%q %v", a, err)
		}
	})
	t.Run("hostname", func(t *testing.T) {
		c := testConfig(t, site(prop("yarn.resourcemanager.hostname", "rm")+prop("yarn.resourcemanager.scheduler.address", "sched")))
		a, _ := c.RMAddresses()
		s, _ := c.RMSchedulerAddresses()
		w, _ := c.RMWebAppAddresses()
		if !reflect.DeepEqual([][]string{a, s, w}, [][]string{{"rm:8032"}, {"sched:8030"}, {"rm:8088"}}) {
			t.Fatalf("%q %q %q", a, s, w)
		}
		c.Set("yarn.http.policy", "HTTPS_ONLY")
		if w, _ := c.RMWebAppAddresses(); !reflect.DeepEqual(w, []string{"rm:8090"}) || !c.WebAppHTTPS() {
			t.Fatalf("https %q", w)
		}
	})
	t.Run("ha", func(t *testing.T) {
		c := testConfig(t, site(
			prop("yarn.resourcemanager.ha.enabled", "true")+
				prop("yarn.resourcemanager.ha.rm-ids", " rm2 , rm1,rm3")+
				prop("yarn.resourcemanager.hostname.rm1", "host1")+
				prop("yarn.resourcemanager.hostname.rm2", "host2")+
				prop("yarn.resourcemanager.address.rm2", "host2:9032")+
				prop("yarn.resourcemanager.hostname.rm3", "[::1]")+
				prop("yarn.resourcemanager.scheduler.address.rm1", "s1")))
		a, err := c.RMAddresses()
		if err != nil || !reflect.DeepEqual(a, []string{"host2:9032", "host1:8032", "[::1]:8032"}) {
			t.Fatalf("addresses %q %v", a, err)
		}
		s, err := c.RMSchedulerAddresses()
		if err != nil || !reflect.DeepEqual(s, []string{"host2:8030", "s1:8030", "[::1]:8030"}) {
			t.Fatalf("scheduler %q %v", s, err)
		}
		w, err := c.RMWebAppAddresses()
		if err != nil || !reflect.DeepEqual(w, []string{"host2:8088", "host1:8088", "[::1]:8088"}) {
			t.Fatalf("webapp %q %v", w, err)
		}
	})
	for _, tc := range []struct{ name, props, want string }{
		{"ha no ids", prop("yarn.resourcemanager.ha.enabled", "true"), "yarn.resourcemanager.ha.rm-ids lists no ResourceManager ids"},
		{"ha ids blank", prop("yarn.resourcemanager.ha.enabled", "true") + prop("yarn.resourcemanager.ha.rm-ids", " , "), "doc0.xml"},
		{"ha no host", prop("yarn.resourcemanager.ha.enabled", "true") + prop("yarn.resourcemanager.ha.rm-ids", "rm1"),
			"has neither yarn.resourcemanager.address.rm1 nor yarn.resourcemanager.hostname.rm1"},
		{"ha bad bool", prop("yarn.resourcemanager.ha.enabled", "yes"), "doc0.xml: yarn.resourcemanager.ha.enabled: value 'yes'"},
		{"bad port", prop("yarn.resourcemanager.address", "rm:80x"), "doc0.xml: yarn.resourcemanager.address: address 'rm:80x' has an invalid port '80x'"},
		{"empty port", prop("yarn.resourcemanager.address", "rm:"), "doc0.xml: yarn.resourcemanager.address: address 'rm:' has an empty port"},
		{"no host", prop("yarn.resourcemanager.address", ":8032"), "has no host"},
		{"url", prop("yarn.resourcemanager.address", "http://rm:8032"), "is not host:port"},
		{"v6", prop("yarn.resourcemanager.address", "::1:8032"), "[addr]:port"},
		{"port range", prop("yarn.resourcemanager.address", "rm:70000"), "invalid port"},
		{"blank", prop("yarn.resourcemanager.address", "  "), "yarn.resourcemanager.address is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, site(tc.props))
			_, err := c.RMAddresses()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestNameNodeAddresses(t *testing.T) {
	for _, tc := range []struct {
		name, props string
		want        []string
		wantErr     string
	}{
		{"port", prop("fs.defaultFS", "hdfs://nn:9000"), []string{"nn:9000"}, ""},
		{"no port", prop("fs.defaultFS", "hdfs://nn/"), []string{"nn:8020"}, ""},
		{"ipv6", prop("fs.defaultFS", "hdfs://[::1]:9000"), []string{"[::1]:9000"}, ""},
		{"ha", prop("fs.defaultFS", "hdfs://mycluster") + prop("dfs.nameservices", "mycluster") +
			prop("dfs.ha.namenodes.mycluster", "nn1, nn2") +
			prop("dfs.namenode.rpc-address.mycluster.nn1", "a:8020") +
			prop("dfs.namenode.rpc-address.mycluster.nn2", "b"), []string{"a:8020", "b:8020"}, ""},
		{"ha missing", prop("fs.defaultFS", "hdfs://mycluster") + prop("dfs.ha.namenodes.mycluster", "nn1"),
			nil, "dfs.namenode.rpc-address.mycluster.nn1 is not set"},
		{"federated", prop("fs.defaultFS", "hdfs://ns1") + prop("dfs.nameservices", "ns1") +
			prop("dfs.namenode.rpc-address.ns1", "c:8021"), []string{"c:8021"}, ""},
		{"ns without addresses", prop("fs.defaultFS", "hdfs://ns1") + prop("dfs.nameservices", "ns1"), nil, "dfs.ha.namenodes.ns1"},
		{"default file", "", nil, "core-default.xml (built in): fs.defaultFS: 'file:///' is not an hdfs:// URI"},
		{"bad port", prop("fs.defaultFS", "hdfs://nn:x"), nil, "doc0.xml: fs.defaultFS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, site(tc.props))
			got, err := c.NameNodeAddresses()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestFindVar(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"${a}", "a"},
		{"x${ab}y${c}", "ab"},
		{"${}${a}", "a"},
		{"${ a}${b}", "b"},
		{"$${a}", "a"},
		{"${a$b}", ""},
		{"${a{b}", "a{b"},
		{"{${a}", "a"},
		{"${a", ""},
		{"$", ""},
		{"", ""},
	} {
		s, e := findVar(tc.in)
		got := ""
		if s >= 0 {
			got = tc.in[s:e]
		}
		if got != tc.want {
			t.Errorf("findVar(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
