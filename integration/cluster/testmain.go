package cluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// Shared is the one cluster of a test binary, set up by RunTests.
type Shared struct {
	c   *Cluster
	err error
}

// RunTests is a TestMain body: it starts one cluster for the whole test
// binary, runs the tests and always stops it. With -short no cluster starts
// and tests that need one skip; otherwise a cluster that cannot start makes
// every test that needs it fail, never skip.
func RunTests(m *testing.M, s *Shared) int {
	flag.Parse()
	if !testing.Short() {
		var stderr *os.File
		if os.Getenv("SPINDLE_CLUSTER_VERBOSE") != "" {
			stderr = os.Stderr
		}
		opts := Options{}
		if stderr != nil {
			opts.Stderr = stderr
		}
		s.c, s.err = Start(context.Background(), opts)
		if s.err != nil {
			fmt.Fprintln(os.Stderr, "local Hadoop cluster did not start:", s.err)
		}
	}
	code := m.Run()
	if s.c != nil {
		if err := s.c.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Get hands a test the running cluster. Under -short it skips the test
// (unit-only runs); when the cluster failed to start it fails the test.
func (s *Shared) Get(t testing.TB) *Cluster {
	t.Helper()
	if testing.Short() && s.c == nil && s.err == nil {
		t.Skip("needs the local Hadoop cluster; run without -short")
	}
	if s.err != nil || s.c == nil {
		t.Fatalf("local Hadoop cluster unavailable: %v", s.err)
	}
	return s.c
}
