package logs

import "testing"

// A worker retired by a scale down has ended, as a completed one has: its
// logs come from the aggregated logs once the application ends.
func TestRetiredContainersHaveEnded(t *testing.T) {
	var cat Catalog
	cat.FromAM("container_1_0001_01_000002", "", "worker", "retired")
	cat.FromAM("container_1_0001_01_000003", "", "worker", "ready")
	for _, c := range cat.Containers() {
		if c.Completed != (c.ID == "container_1_0001_01_000002") {
			t.Errorf("%s: Completed %v", c.ID, c.Completed)
		}
	}
}
