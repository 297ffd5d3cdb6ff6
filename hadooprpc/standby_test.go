package hadooprpc_test

import (
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

// standbyRM is a ResourceManager in standby as Hadoop's IPC server presents
// one: it accepts connections and answers every call with StandbyException.
// It returns its address and how many calls it refused.
func standbyRM(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	refused := new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				preamble := make([]byte, 7) // "hrpc", version, service class, auth
				if _, err := io.ReadFull(c, preamble); err != nil {
					return
				}
				for {
					var n uint32
					if err := binary.Read(c, binary.BigEndian, &n); err != nil {
						return
					}
					frame := make([]byte, n)
					if _, err := io.ReadFull(c, frame); err != nil {
						return
					}
					size, k := protowire.ConsumeVarint(frame)
					if k < 0 {
						return
					}
					var h rpcpb.RpcRequestHeaderProto
					if err := proto.Unmarshal(frame[k:k+int(size)], &h); err != nil {
						return
					}
					if h.GetCallId() < 0 { // connection context, ping
						continue
					}
					refused.Add(1)
					resp := &rpcpb.RpcResponseHeaderProto{
						CallId:             proto.Uint32(uint32(h.GetCallId())),
						Status:             rpcpb.RpcResponseHeaderProto_ERROR.Enum(),
						ExceptionClassName: proto.String("org.apache.hadoop.ipc.StandbyException"),
						ErrorMsg:           proto.String("Operation category READ is not supported in state standby"),
						ErrorDetail:        rpcpb.RpcResponseHeaderProto_ERROR_APPLICATION.Enum(),
						ClientId:           h.GetClientId(),
					}
					b, _ := proto.Marshal(resp)
					out := protowire.AppendVarint(nil, uint64(len(b)))
					out = append(out, b...)
					if err := binary.Write(c, binary.BigEndian, uint32(len(out))); err != nil {
						return
					}
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}(c)
		}
	}()
	return l.Addr().String(), refused
}

// An HA pair whose first RM is in standby: the call fails over to the
// active one.
func TestFailoverFromStandbyResourceManager(t *testing.T) {
	cfg := clusterConf(t)
	active, _ := cfg.Get("yarn.resourcemanager.address")
	standby, refused := standbyRM(t)
	cfg.Set("yarn.resourcemanager.ha.enabled", "true")
	cfg.Set("yarn.resourcemanager.ha.rm-ids", "rm1,rm2")
	cfg.Set("yarn.resourcemanager.address.rm1", standby)
	cfg.Set("yarn.resourcemanager.address.rm2", active)
	rm := rmClient(t, cfg)
	m, err := rm.ClusterMetrics(ctxT(t, 30*time.Second))
	if err != nil {
		t.Fatalf("failover from a standby RM: %v", err)
	}
	if refused.Load() != 1 || m.GetNumNodeManagers() != 2 {
		t.Fatalf("standby refused %d calls (want 1), metrics %v", refused.Load(), m)
	}
}
