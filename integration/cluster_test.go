package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// The conf folder alone must be enough for a client outside the JVM.
func hdfsClient(t *testing.T, confDir string) *hdfs.Client {
	t.Helper()
	conf, err := hadoopconf.Load(confDir)
	if err != nil {
		t.Fatalf("load %s: %v", confDir, err)
	}
	opts := hdfs.ClientOptionsFromConf(conf)
	opts.User = "root"
	if u := os.Getenv("USER"); u != "" {
		opts.User = u
	}
	c, err := hdfs.NewClient(opts)
	if err != nil {
		t.Fatalf("hdfs client from %s: %v", confDir, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClusterWritesSiteFiles(t *testing.T) {
	c := hadoop.Get(t)
	for _, f := range []string{"core-site.xml", "hdfs-site.xml", "yarn-site.xml"} {
		if _, err := os.Stat(filepath.Join(c.ConfDir, f)); err != nil {
			t.Errorf("conf folder lacks %s: %v", f, err)
		}
	}
}

func TestClusterHDFSRoundTrip(t *testing.T) {
	c := hadoop.Get(t)
	fs := hdfsClient(t, c.ConfDir)
	want := make([]byte, 3<<20) // spans more than one packet
	if _, err := rand.Read(want); err != nil {
		t.Fatal(err)
	}
	path := "/tmp/spindle-roundtrip/" + t.Name()
	if err := fs.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("mkdir on HDFS: %v", err)
	}
	w, err := fs.Create(path)
	if err != nil {
		t.Fatalf("create on HDFS: %v", err)
	}
	if _, err := w.Write(want); err != nil {
		t.Fatalf("write on HDFS: %v", err)
	}
	if err := hadooprpc.CloseHDFSFile(context.Background(), w); err != nil {
		t.Fatalf("close on HDFS: %v", err)
	}
	got, err := fs.ReadFile(path)
	if err != nil {
		t.Fatalf("read back from HDFS: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, differing from the %d written", len(got), len(want))
	}
}

// The cluster is real from the outside: Spindle's own RPC client, given only
// the conf folder, sees both NodeManagers RUNNING.
func TestClusterHasTwoRunningNodeManagers(t *testing.T) {
	c := hadoop.Get(t)
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nodes, err := rm.ClusterNodes(ctx, yarnpb.NodeStateProto_NS_RUNNING)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Fatalf("want 2 RUNNING NodeManagers, got %d (the JVM saw %+v)", len(nodes), c.NodeManagers)
	}

	// Each NodeManager's web address answers for that NodeManager (in one
	// JVM they used to share one Guice pipeline and all answer as the last
	// one started), and the ResourceManager's for the ResourceManager.
	seen := map[string]bool{}
	for _, n := range nodes {
		id := fmt.Sprintf("%s:%d", n.GetNodeId().GetHost(), n.GetNodeId().GetPort())
		var info struct {
			NodeInfo struct {
				ID string `json:"id"`
			} `json:"nodeInfo"`
		}
		getJSON(t, ctx, "http://"+n.GetHttpAddress()+"/ws/v1/node/info", &info)
		if info.NodeInfo.ID != id {
			t.Errorf("NodeManager %s: its web address %s answers as %q", id, n.GetHttpAddress(), info.NodeInfo.ID)
		}
		seen[info.NodeInfo.ID] = true
	}
	if len(seen) != 2 {
		t.Errorf("the two NodeManagers' web addresses answer as %v", seen)
	}
	var rmInfo struct {
		ClusterInfo struct {
			State string `json:"state"`
		} `json:"clusterInfo"`
	}
	getJSON(t, ctx, "http://"+c.RMWebAddress+"/ws/v1/cluster/info", &rmInfo)
	if rmInfo.ClusterInfo.State != "STARTED" {
		t.Errorf("ResourceManager web address %s: cluster info %+v", c.RMWebAddress, rmInfo)
	}
}

func getJSON(t *testing.T, ctx context.Context, url string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}
