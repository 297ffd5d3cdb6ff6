package hadooprpc_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

func rmClient(t *testing.T, cfg *conf.Config) *hadooprpc.ResourceManager {
	t.Helper()
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.Close() })
	return rm
}

func clusterConf(t *testing.T) *conf.Config {
	t.Helper()
	c := hadoop.Get(t)
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestClusterNodesAndMetrics(t *testing.T) {
	rm := rmClient(t, clusterConf(t))
	ctx := ctxT(t, 30*time.Second)
	nodes, err := rm.ClusterNodes(ctx, yarnpb.NodeStateProto_NS_RUNNING)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 2 {
		t.Fatalf("want 2 RUNNING NodeManagers, got %d: %v", len(nodes), nodes)
	}
	for _, n := range nodes {
		if n.GetCapability().GetMemory() <= 0 || n.GetHttpAddress() == "" {
			t.Errorf("node %s: capability %v, http %q", hadooprpc.NodeAddress(n.GetNodeId()), n.GetCapability(), n.GetHttpAddress())
		}
	}
	m, err := rm.ClusterMetrics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.GetNumActiveNms() != 2 {
		t.Fatalf("cluster metrics: %d active NodeManagers, want 2", m.GetNumActiveNms())
	}
	q, err := rm.QueueInfo(ctx, "default", false, false)
	if err != nil {
		t.Fatal(err)
	}
	if q.GetQueueName() != "default" || q.GetState() != yarnpb.QueueStateProto_Q_RUNNING {
		t.Fatalf("queue default: %v", q)
	}
}

func TestUnknownApplicationIsNotFound(t *testing.T) {
	rm := rmClient(t, clusterConf(t))
	id, _ := hadooprpc.ParseApplicationID("application_1_0042")
	_, err := rm.ApplicationReport(ctxT(t, 30*time.Second), id)
	if !errors.Is(err, hadooprpc.ErrApplicationNotFound) {
		t.Fatalf("want ErrApplicationNotFound, got %v", err)
	}
	var re *hadooprpc.RemoteError
	if !errors.As(err, &re) || re.Class != "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException" {
		t.Fatalf("want the Java exception class reachable, got %#v", re)
	}
}

// An HA pair whose first RM refuses connections: calls go to the second.
func TestFailoverToSecondResourceManager(t *testing.T) {
	cfg := clusterConf(t)
	real, _ := cfg.Get("yarn.resourcemanager.address")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	cfg.Set("yarn.resourcemanager.ha.enabled", "true")
	cfg.Set("yarn.resourcemanager.ha.rm-ids", "rm-dead,rm-live")
	cfg.Set("yarn.resourcemanager.address.rm-dead", dead)
	cfg.Set("yarn.resourcemanager.address.rm-live", real)
	rm := rmClient(t, cfg)
	if got := rm.Addresses(); len(got) != 2 || got[0] != dead {
		t.Fatalf("addresses %v: want the dead RM first", got)
	}
	m, err := rm.ClusterMetrics(ctxT(t, 30*time.Second))
	if err != nil {
		t.Fatalf("failover: %v", err)
	}
	if m.GetNumNodeManagers() != 2 {
		t.Fatalf("metrics via the live RM: %v", m)
	}
}
