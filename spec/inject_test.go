package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Names the NodeManager's launch script would interpret are refused at
// parse, each error naming the key and the rule; values of any kind pass.
func TestSpecRefusesShellUnsafeNames(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.txt")
	os.WriteFile(data, []byte("x"), 0o644)
	ok := `workers: [{env: {A: "\"$(touch /tmp/x)\" ` + "`id`" + ` {{HOME}} <LOG_DIR>\n;'\\"}, files: {"a+b,c=d@e-1.txt": ` + data +
		`}, args: ["$(id)", "a\nb"]}]`
	if _, err := Parse([]byte(ok), "ok.yaml"); err != nil {
		t.Fatalf("hostile values and a safe file name must be accepted: %v", err)
	}
	for y, want := range map[string]string{
		`workers: [{env: {"A-B": x}}]`:                                  `workers[worker].env: "A-B": not a valid environment variable name: use letters, digits and _`,
		`workers: [{env: {"1X": x}}]`:                                   `"1X": not a valid environment variable name`,
		`scheduler: {env: {"A$(id)": x}}` + "\nworkers: [{}]":           `scheduler.env: "A$(id)": not a valid environment variable name`,
		`workers: [{env: {SPINDLE_ROLE: x}}]`:                           `"SPINDLE_ROLE": not a valid environment variable name`,
		`workers: [{env: {A: "x\0"}}]`:                                  `workers[worker].env.A: cannot be passed to a process as written: it holds a NUL byte`,
		`workers: [{args: ["x\0"]}]`:                                    `workers[worker].args[0]: cannot be passed to a process as written`,
		`workers: [{command: ["x\0"]}]`:                                 `workers[worker].command[0]: cannot be passed`,
		`workers: [{env: {A: "` + strings.Repeat("x", 100<<10) + `"}}]`: `workers[worker].env: environment too large`,
		`workers: [{files: {"$(id)": ` + data + `}}]`:                   `workers[worker].files.$(id): "$(id)": not a valid file name: use a plain file name of letters`,
		`workers: [{files: {"a/b": ` + data + `}}]`:                     `"a/b": not a valid file name`,
		`workers: [{files: {"a b": ` + data + `}}]`:                     `"a b": not a valid file name`,
		`workers: [{files: {x: "hdfs:///d/a$(id).txt"}}]`:               `workers[worker].files.x.source: file name "a$(id).txt": would be interpreted by the NodeManager's launch script`,
		`workers: [{files: {x: "hdfs:///d/a%60id%60"}}]`:                `workers[worker].files.x.source: file name "a` + "`id`" + `"`,
		`environment: "hdfs:///e/\"x.tar.gz"` + "\nworkers: [{}]":       `environment: file name`,
		`user: "a$(id)"` + "\nworkers: [{}]":                            `user: "a$(id)": would be interpreted`,
	} {
		_, err := Parse([]byte(y), "s.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: error %v\nwant it to say %q", y, err, want)
		}
	}
}
