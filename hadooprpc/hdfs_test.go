package hadooprpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/integration/cluster"
)

// TestHDFSCallsEndWithTheContext: against a NameNode that never answers,
// a call returns once the context's deadline passes instead of blocking
// forever (colinmarc/hdfs takes no context of its own).
func TestHDFSCallsEndWithTheContext(t *testing.T) {
	cfg, err := conf.Load(cluster.SilentNameNode(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		fs, err := hadooprpc.NewHDFSContext(ctx, cfg, hadooprpc.Options{User: "alice"})
		if err == nil {
			_, err = fs.Stat("/user/alice")
			fs.Close()
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("stat against a silent NameNode succeeded")
		}
		if ctx.Err() == nil {
			t.Fatalf("the call ended before the deadline with %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the call still blocks 2 minutes after its 1 s deadline")
	}
}
