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

// The ResourceManager reports NodeManager web addresses with their scheme:
// https:// ones (yarn.http.policy=HTTPS_ONLY) must become host:port too.
func TestWebAddressDropsScheme(t *testing.T) {
	for in, want := range map[string]string{
		"http://nm1:8042":   "nm1:8042",
		"https://nm1:8044/": "nm1:8044",
		"nm1:8042":          "nm1:8042",
	} {
		if got := webAddress(in); got != want {
			t.Errorf("webAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
