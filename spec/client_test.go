package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A spec's client: the script is taken from the spec's folder, runs with
// python by default, once, with its arguments after the script.
func TestParseClient(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "job.py"), []byte("print(1)\n"), 0o644)
	y := "workers: [{instances: 1}]\nclient:\n  script: job.py\n  args: [--n, \"1 0\"]\n  resources: {memory: 512MiB}\n"
	os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(y), 0o644)
	s, err := ParseFile(filepath.Join(dir, "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client
	if c == nil || c.Script != filepath.Join(dir, "job.py") || c.Restarts() != 0 || c.Resources.Memory != 512<<20 || c.Resources.VCores != 1 {
		t.Fatalf("client: %+v", c)
	}
	if got := strings.Join(c.Argv(), "|"); got != "python|job.py|--n|1 0" {
		t.Fatalf("argv %q", got)
	}
	if f := c.StagedFiles()["job.py"]; f.Source != c.Script {
		t.Fatalf("the script is not staged: %+v", c.StagedFiles())
	}
	// The AM gets it as JSON and must read it back.
	b, _ := s.JSON()
	back, err := FromJSON(b)
	if err != nil || back.Client == nil || strings.Join(back.Client.Argv(), "|") != "python|job.py|--n|1 0" {
		t.Fatalf("JSON round trip: %v %+v", err, back.Client)
	}
}

// A script that cannot run as given is refused at submit, naming the key.
func TestClientScriptChecks(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "job.py")
	os.WriteFile(ok, []byte("x"), 0o644)
	big := filepath.Join(dir, "big.py")
	f, _ := os.Create(big)
	f.Truncate(MaxScriptBytes + 1)
	f.Close()
	badName := filepath.Join(dir, "my job.py")
	os.WriteFile(badName, []byte("x"), 0o644)
	for _, c := range []struct {
		client Client
		want   string
	}{
		{Client{}, "client.script: bad client script: missing"},
		{Client{Script: filepath.Join(dir, "nope.py")}, "no such file"},
		{Client{Script: dir}, "is not a regular file"},
		{Client{Script: big}, "more than 16 MiB"},
		{Client{Script: badName}, `its file name "my job.py": not a valid file name`},
		{Client{Script: "hdfs:///x/job.py"}, "give a local file"},
		{Client{Script: ok, Service: Service{MaxRestarts: intp(2)}}, "client.max_restarts: bad client script: 2: a script runs once"},
		{Client{Script: ok, Service: Service{Files: map[string]File{"job.py": {Source: ok}}}}, `its file name "job.py" is also a file`},
	} {
		s := Default()
		cl := c.client
		s.Client = &cl
		s.applyDefaults()
		err := s.Validate()
		if !errors.Is(err, ErrScript) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("client %+v: error %v; want one naming %q", c.client, err, c.want)
		}
	}
	s := Default()
	s.Workers[0].Name = ClientService
	s.Client = &Client{Script: ok}
	s.applyDefaults()
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), `may not be named "client"`) {
		t.Errorf("a pool named client beside a script: %v", err)
	}
	s.Workers[0].Name = "worker"
	if err := s.Validate(); err != nil {
		t.Errorf("a valid client: %v", err)
	}
}

// A spec's client: may hold only resources when --script gives the
// script: ParseFileThen applies it before validating.
func TestClientScriptFromAFlag(t *testing.T) {
	dir := t.TempDir()
	job := filepath.Join(dir, "job.py")
	os.WriteFile(job, []byte("x"), 0o644)
	p := filepath.Join(dir, "s.yaml")
	os.WriteFile(p, []byte("workers: [{instances: 1}]\nclient:\n  resources: {memory: 256MiB}\n"), 0o644)
	if _, err := ParseFile(p); !errors.Is(err, ErrScript) || !strings.Contains(err.Error(), "client.script") {
		t.Fatalf("a client without a script: %v", err)
	}
	s, err := ParseFileThen(p, func(s *Spec) error { s.Client.Script = job; return nil })
	if err != nil || s.Client.Script != job || s.Client.Resources.Memory != 256<<20 {
		t.Fatalf("with the script from a flag: %v %+v", err, s.Client)
	}
}
