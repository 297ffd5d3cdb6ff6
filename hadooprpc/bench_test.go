package hadooprpc_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// benchRM connects to the local cluster's ResourceManager and makes one
// call, so the connection is set up before the timer starts.
func benchRM(b *testing.B) *hadooprpc.ResourceManager {
	b.Helper()
	c := hadoop.Get(b)
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		b.Fatal(err)
	}
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rm.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := rm.ClusterMetrics(ctx); err != nil {
		b.Fatal(err)
	}
	return rm
}

// BenchmarkClusterMetrics is one getClusterMetrics round trip to the real
// ResourceManager on an established connection.
func BenchmarkClusterMetrics(b *testing.B) {
	rm := benchRM(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := rm.ClusterMetrics(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClusterMetrics1000Concurrent issues 1,000 getClusterMetrics
// calls at once on one connection per iteration: call multiplexing and out
// of order responses under load. ns/call is the time per call.
func BenchmarkClusterMetrics1000Concurrent(b *testing.B) {
	const calls = 1000
	rm := benchRM(b)
	ctx := context.Background()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, calls)
		for range calls {
			wg.Go(func() {
				if _, err := rm.ClusterMetrics(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*calls), "ns/call")
}
