package cli

import (
	"strings"
	"testing"
)

// A count past spindle's limits is refused with exit 2 naming the limit,
// before any cluster is contacted: `scale --workers 2147483648` once
// reached the ResourceManager as a negative int32 and blocked the queue.
func TestCountFlagsNameTheLimit(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"scale", "application_1_0001", "--workers", "2147483648"}, `"--workers" flag: 2147483648 is outside spindle's limits: use 0 to 10000`},
		{[]string{"scale", "application_1_0001", "--workers", "3e9"}, `"--workers" flag: 3000000000 is outside spindle's limits: use 0 to 10000`},
		{[]string{"scale", "application_1_0001", "--workers=-1"}, "use 0 to 10000"},
		{[]string{"scale", "application_1_0001", "--workers", "2.5"}, `"2.5" is not a whole number: use 0 to 10000`},
		{[]string{"submit", "--workers", "1e12"}, "use 0 to 10000"},
		{[]string{"submit", "--worker-vcores", "4294967297"}, "use 1 to 65536"},
		{[]string{"submit", "--max-attempts", "3e9"}, "use 1 to 100"},
		{[]string{"submit", "--worker-memory", "100000T"}, "workers[worker].resources.memory: 102400000GiB is outside spindle's limits"},
	} {
		code, out, errOut := run(c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %q", c.args, code, out, errOut, c.want)
		}
	}
}
