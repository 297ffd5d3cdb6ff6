package spec

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every count a spec holds is bounded, with an error naming the key and
// the limit: an instances of 3e9 once reached the ResourceManager as a
// negative int32 and stopped the queue for every user.
func TestSpecCountsWithinLimits(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"workers: [{instances: 1e12}]", "workers[worker].instances: 1000000000000 is outside spindle's limits: use 0 to 10000"},
		{"workers: [{instances: 3e9}]", "workers[worker].instances: 3000000000 is outside spindle's limits: use 0 to 10000"},
		{"workers: [{instances: 2147483648}]", "use 0 to 10000"},
		{"workers: [{instances: 10001}]", "use 0 to 10000"},
		{"workers: [{instances: -1}]", "workers[worker].instances: -1 is outside"},
		{"workers: [{instances: 0x7fffffffffffffff}]", "use 0 to 10000"},
		{"workers: [{instances: 1e30}]", "far outside spindle's limits"},
		{"workers: [{instances: 99999999999999999999999}]", "far outside spindle's limits"},
		{"workers: [{resources: {vcores: 3e9}}]", "workers[worker].resources.vcores: 3000000000 is outside spindle's limits: use 1 to 65536"},
		{"workers: [{resources: {gpus: 3e9}}]", "workers[worker].resources.gpus"},
		{"workers: [{resources: {memory: 100000T}}]", "workers[worker].resources.memory: 102400000GiB is outside spindle's limits"},
		{"application_master: {vcores: 4294967297}\nworkers: [{}]", "application_master.vcores"},
		{"max_attempts: 3e9\nworkers: [{}]", "max_attempts: 3000000000 is outside spindle's limits: use 1 to 100"},
		{"scheduler: {max_restarts: 3e9}\nworkers: [{}]", "scheduler.max_restarts"},
		{"workers: [{max_restarts: -2}]", "use -1 to 1000000"},
	} {
		_, err := Parse([]byte(c.yaml), "spec.yaml")
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: want ErrLimit naming %q, got %v", c.yaml, c.want, err)
		}
	}
	// A fraction was silently truncated to a count.
	if _, err := Parse([]byte("workers: [{instances: 2.5}]"), "spec.yaml"); err == nil || !strings.Contains(err.Error(), `"2.5" is not a whole number`) {
		t.Errorf("instances 2.5: %v", err)
	}
	for in, want := range map[string]int{"10000": 10000, "1e3": 1000, "'5'": 5, "0": 0} {
		s, err := Parse([]byte("workers: [{instances: "+in+"}]"), "spec.yaml")
		if err != nil || s.Workers[0].Instances != want {
			t.Errorf("instances %s: %v, %v; want %d", in, s, err, want)
		}
	}
}

// countingReader is an endless spec file that counts what was read.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	const size = 200 << 20
	if r.n >= size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), size-r.n)
	for i := range p[:n] {
		p[i] = 'a'
	}
	r.n += n
	return int(n), nil
}

// A 200 MB spec took 30 s and 3 GB of memory to fail: now reading stops
// just past the limit.
func TestSpecSizeCapped(t *testing.T) {
	r := &countingReader{}
	_, err := readSpec(r, "big.yaml")
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "spec file big.yaml is larger than 1 MiB") {
		t.Fatalf("200 MB spec: %v", err)
	}
	if r.n > MaxSpecBytes+1 {
		t.Fatalf("read %d bytes of a 200 MB spec; want at most %d", r.n, MaxSpecBytes+1)
	}
	// The same through a real (sparse) file.
	p := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ParseFile(p); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "is larger than 1 MiB") {
		t.Fatalf("200 MB spec file: %v", err)
	}
	if _, err := Parse(make([]byte, MaxSpecBytes+1), "big.yaml"); !errors.Is(err, ErrLimit) {
		t.Fatalf("Parse of more than MaxSpecBytes: %v", err)
	}
}

// Small YAML that the parser would take minutes or forever on fails at
// once: aliases expanding to a billion nodes, deep nesting, a huge map.
func TestHostileYAMLRefused(t *testing.T) {
	var laughs strings.Builder
	laughs.WriteString("scheduler: {args: [&a0 [x, x, x, x, x, x, x, x, x, x]")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&laughs, ", &a%d [%s*a%d]", i, strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 9), i-1)
	}
	laughs.WriteString("]}\nworkers: [{}]\n")
	var env strings.Builder
	env.WriteString("workers:\n  - env:\n")
	for i := 0; env.Len() < MaxSpecBytes-100; i++ {
		fmt.Fprintf(&env, "      K%d: v\n", i)
	}
	for name, y := range map[string]string{
		"billion laughs":           laughs.String(),
		"100,000 nested [":         "workers: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000),
		"100,000 nested - (block)": "workers:\n  " + strings.Repeat("- ", 100_000) + "x\n",
		"an env of 1 MiB":          env.String(),
	} {
		done := make(chan error, 1)
		go func() { _, err := Parse([]byte(y), "hostile.yaml"); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrLimit) {
				t.Errorf("%s: want ErrLimit, got %.300v", name, err)
			}
		case <-time.After(2 * time.Minute):
			t.Fatalf("%s: still parsing after 2 minutes", name)
		}
	}
}

// Relative paths in a spec are taken from the spec's folder, not the
// current directory: `spindle submit ../job.yaml` found nothing beside it.
func TestRelativePathsFromSpecFolder(t *testing.T) {
	root := t.TempDir()
	jobs, elsewhere := filepath.Join(root, "jobs"), filepath.Join(root, "elsewhere")
	for _, d := range []string{filepath.Join(jobs, "venv"), elsewhere} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	abs := filepath.Join(root, "abs.txt")
	for _, f := range []string{filepath.Join(jobs, "driver.py"), filepath.Join(jobs, "data.csv"), abs} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	y := `environment: ./venv
scheduler: {files: {driver.py: driver.py}}
workers:
  - files: {data.csv: {source: ./data.csv}, abs.txt: ` + abs + `, model: hdfs:///m.tar.gz}
`
	if err := os.WriteFile(filepath.Join(jobs, "job.yaml"), []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(elsewhere)
	s, err := ParseFile("../jobs/job.yaml")
	if err != nil {
		t.Fatalf("spec beside its files, read from another folder: %v", err)
	}
	w := s.Workers[0].Files
	for got, want := range map[string]string{
		s.Environment:                         "../jobs/venv",
		s.Scheduler.Files["driver.py"].Source: "../jobs/driver.py",
		w["data.csv"].Source:                  "../jobs/data.csv",
		w["abs.txt"].Source:                   abs,
		w["model"].Source:                     "hdfs:///m.tar.gz",
	} {
		if got != want {
			t.Errorf("path %q, want %q", got, want)
		}
	}
}
