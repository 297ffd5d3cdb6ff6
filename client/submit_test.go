package client

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

func TestCheckFitsNamesKeyAndLimit(t *testing.T) {
	max := &yarnpb.ResourceProto{Memory: proto.Int64(4096), VirtualCores: proto.Int32(8)}
	sp := spec.Default()
	if err := checkFits(sp, max); err != nil {
		t.Fatalf("the default spec fits a 4 GiB cluster: %v", err)
	}
	sp.Workers[0].Resources.Memory = 8 << 30
	sp.Workers[0].Resources.GPUs = 1
	sp.Scheduler.Resources.VCores = 16
	err := checkFits(sp, max)
	for _, want := range []string{
		"workers[worker].resources.memory: 8GiB is more than the largest container this cluster grants (4096 MiB, yarn.scheduler.maximum-allocation-mb)",
		"scheduler.resources.vcores: 16",
		"resource type yarn.io/gpu is not configured",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

func TestParseUntil(t *testing.T) {
	for _, s := range []string{"running", "address", "finished"} {
		if u, err := ParseUntil(s); err != nil || u.String() != s {
			t.Errorf("ParseUntil(%q) = %v, %v", s, u, err)
		}
	}
	if _, err := ParseUntil("done"); err == nil || !strings.Contains(err.Error(), "running, address or finished") {
		t.Errorf("ParseUntil(done): %v", err)
	}
}
