package cluster

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// SilentNameNode starts a TCP server that accepts connections and never
// answers, like a NameNode stuck in a long GC pause or behind a broken
// proxy, and returns a Hadoop configuration folder with a core-site.xml
// whose fs.defaultFS points at it. Given as YARN_CONF_DIR after a real
// HADOOP_CONF_DIR, it overrides only the NameNode: the ResourceManager
// stays the real one. The test's cleanup stops it.
func SilentNameNode(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []net.Conn)
	go func() {
		var conns []net.Conn
		for {
			c, err := l.Accept()
			if err != nil {
				done <- conns
				return
			}
			conns = append(conns, c) // held open, never read
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range <-done {
			c.Close()
		}
	})
	dir := t.TempDir()
	site := `<?xml version="1.0"?>
<configuration>
  <property><name>fs.defaultFS</name><value>hdfs://` + l.Addr().String() + `</value></property>
</configuration>
`
	if err := os.WriteFile(filepath.Join(dir, "core-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
