package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/appmaster"
)

// `spindle adapt` refuses bad bounds with exit 2, naming the problem,
// before any cluster is contacted.
func TestAdaptUsage(t *testing.T) {
	t.Setenv("HADOOP_CONF_DIR", "")
	t.Setenv("YARN_CONF_DIR", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"adapt", "application_1_0001", "--min", "1"}, "--min N and --max M (0 to 10000) are required, or --off"},
		{[]string{"adapt", "application_1_0001"}, "are required, or --off"},
		{[]string{"adapt", "application_1_0001", "--min", "4", "--max", "3"}, "--min 4 is above --max 3"},
		{[]string{"adapt", "application_1_0001", "--min", "1", "--max", "3e9"}, `"--max" flag: 3000000000 is outside spindle's limits: use 0 to 10000`},
		{[]string{"adapt", "application_1_0001", "--min=-1", "--max", "3"}, "use 0 to 10000"},
		{[]string{"adapt", "application_1_0001", "--off", "--max", "3"}, "--off takes no --min or --max"},
		{[]string{"adapt", "nonsense", "--min", "1", "--max", "3"}, "nonsense"},
	} {
		code, out, errOut := run(c.args...)
		if code != ExitUsage || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming %q", c.args, code, out, errOut, c.want)
		}
	}
}

// An adaptive pool's line shows its bounds and current target, in
// `spindle containers` and `spindle status`.
func TestAdaptivePoolLine(t *testing.T) {
	svc := []appmaster.ServiceStatus{{Name: "worker", Role: "worker", Desired: 2, Ready: 2, Live: 2,
		Adaptive: &appmaster.AdaptiveStatus{Minimum: 1, Maximum: 3, Recommended: 7, Target: 3}}}
	var buf bytes.Buffer
	if err := printPools(&buf, svc); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(strings.Split(buf.String(), "\n")[1]), " "); got != "worker 2 0 0 2 0 adaptive 1..3, target 3" {
		t.Errorf("pool line %q", got)
	}
	buf.Reset()
	printAMStatus(&buf, &appmaster.Status{Services: svc})
	if !strings.Contains(buf.String(), "desired 2, pending 0, running 0, ready 2, failed 0; adaptive 1..3, target 3") {
		t.Errorf("status:\n%s", buf.String())
	}
}
