package appmaster

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

func clientAM(t *testing.T) (*AM, *service) {
	t.Helper()
	sp := spec.Default()
	script := filepath.Join(t.TempDir(), "job.py")
	os.WriteFile(script, []byte("x"), 0o644)
	sp.Client = &spec.Client{Script: script, Service: spec.Service{Args: []string{"a b", "$X"}}}
	sp.FillDefaults()
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	am := New(Config{Plan: &Plan{AppID: "application_1_0001", Spec: sp}, Secret: []byte("0123456789abcdef0123456789abcdef"), Host: "h", Log: log})
	cl := am.services[len(am.services)-1]
	if cl.role != roleClient || cl.name != spec.ClientService || cl.desired != 1 || cl.maxRestarts() != 0 {
		t.Fatalf("client service: %+v", cl)
	}
	return am, cl
}

func liveClient(am *AM, s *service) *container {
	yid := &yarnpb.ContainerIdProto{Id: proto.Int64(9)}
	c := &container{id: hadooprpc.ContainerID(yid), service: s, state: stateRunning, yarn: &yarnpb.ContainerProto{Id: yid}}
	s.live[c.id] = c
	am.containers[c.id] = c
	return c
}

// The client is asked for only once the scheduler's address is known,
// and gets the address and its argv (script, then its arguments).
func TestClientWaitsForTheScheduler(t *testing.T) {
	am, cl := clientAM(t)
	if n := am.ask(cl).GetNumContainers(); n != 0 {
		t.Fatalf("client asked for before the scheduler is up: %d", n)
	}
	am.scheduler.Address = "tcp://h:1"
	if n := am.ask(cl).GetNumContainers(); n != 1 {
		t.Fatalf("client ask = %d, want 1", n)
	}
	if got := strings.Join(am.plan.Spec.Client.Argv(), "|"); got != "python|job.py|a b|$X" {
		t.Fatalf("argv %q", got)
	}
}

// The script's exit report decides the final status; a failure's
// diagnostics give the script's last stderr line first.
func TestClientExitEndsTheApplication(t *testing.T) {
	am, cl := clientAM(t)
	c := liveClient(am, cl)
	if err := am.clientExited(c.id, ExitedRequest{ExitCode: 0}); err != nil {
		t.Fatal(err)
	}
	if am.finishing == nil || am.finishing.status != yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED ||
		am.finishing.diagnostics != "the script job.py exited 0" {
		t.Fatalf("after exit 0: %+v", am.finishing)
	}

	am, cl = clientAM(t)
	c = liveClient(am, cl)
	tail := "Traceback (most recent call last):\n  File \"job.py\", line 1\nValueError: boom\n"
	if err := am.clientExited(c.id, ExitedRequest{ExitCode: 1, StderrTail: tail}); err != nil {
		t.Fatal(err)
	}
	want := `the script job.py exited with code 1: ValueError: boom (its stderr, last lines: Traceback (most recent call last): | File "job.py", line 1)`
	if am.finishing == nil || am.finishing.status != yarnpb.FinalApplicationStatusProto_APP_FAILED || am.finishing.diagnostics != want {
		t.Fatalf("after exit 1: %+v\nwant %q", am.finishing, want)
	}
	// Its completion afterwards changes nothing and is no failure.
	am.completed(&yarnpb.ContainerStatusProto{ContainerId: c.yarn.Id, ExitStatus: proto.Int32(1)})
	if cl.failures != 0 || am.finishing.diagnostics != want {
		t.Fatalf("completion after the report: failures %d, %+v", cl.failures, am.finishing)
	}
	if err := am.clientExited("container_x", ExitedRequest{}); err == nil {
		t.Fatal("a report for an unknown container was accepted")
	}
}

// Without a report (the runtime could not reach the AM), the container's
// completion ends the application, from the NodeManager's diagnostics; a
// client the AM stopped ends nothing.
func TestClientCompletionWithoutReport(t *testing.T) {
	am, cl := clientAM(t)
	c := liveClient(am, cl)
	am.completed(&yarnpb.ContainerStatusProto{ContainerId: c.yarn.Id, ExitStatus: proto.Int32(1),
		Diagnostics: proto.String("Exception from container-launch.\nLast 4096 bytes of stderr :\nValueError: boom\n")})
	if am.finishing == nil || am.finishing.status != yarnpb.FinalApplicationStatusProto_APP_FAILED ||
		!strings.HasPrefix(am.finishing.diagnostics, "the script job.py exited with code 1: ValueError: boom") {
		t.Fatalf("after completion with exit 1: %+v", am.finishing)
	}
	if n := am.ask(cl).GetNumContainers(); n != 0 {
		t.Fatalf("the script would run again: ask %d", n)
	}

	am, cl = clientAM(t)
	c = liveClient(am, cl)
	c.stopping = true
	am.completed(&yarnpb.ContainerStatusProto{ContainerId: c.yarn.Id, ExitStatus: proto.Int32(143)})
	if am.finishing != nil {
		t.Fatalf("a stopped client ended the application: %+v", am.finishing)
	}
}

// The diagnostic keeps at most the runtime's bounds, however large the
// report.
func TestScriptCauseBounded(t *testing.T) {
	long := strings.Repeat("x", 10000)
	var b strings.Builder
	for i := 0; i < 100; i++ {
		b.WriteString("line " + long[:i*50] + "\n")
	}
	b.WriteString("RuntimeError: last\n")
	got := scriptCause(b.String())
	if !strings.HasPrefix(got, "RuntimeError: last (") || len(got) > 4096+200 {
		t.Fatalf("cause %d bytes: %.200q", len(got), got)
	}
	if scriptCause("") != "" || scriptCause("only\n") != "only" {
		t.Fatal("short tails")
	}
}

// FuzzExitedRequest: a POST /v1/containers/{id}/exited body comes from the
// network. The AM answers 204, 400 or 413, never panics, and the
// diagnostics it would give YARN stay bounded, valid text.
func FuzzExitedRequest(f *testing.F) {
	for _, s := range []string{`{"exit_code":0}`, `{"exit_code":1,"stderr_tail":"ValueError: boom"}`, `{"exit_code":-9}`,
		`{"exit_code":1e3}`, `{"exit_code":"1"}`, `{}`, ``, `null`, `{"x":1}`, `{"exit_code":1,"stderr_tail":"\xff\xfe\n\n"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		am, cl := clientAM(t)
		c := liveClient(am, cl)
		req := httptest.NewRequest(http.MethodPost, "/v1/containers/"+c.id+"/exited", bytes.NewReader(body))
		req.Header.Set("Authorization", bearer(am.secret))
		rec := httptest.NewRecorder()
		am.controlServer().Handler.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusNoContent, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("body %q: status %d %s", body, rec.Code, rec.Body)
		}
		if f := am.finishing; f != nil && (len(f.diagnostics) > rt.TailBytes+200 || !utf8.ValidString(f.diagnostics)) {
			t.Fatalf("body %q: diagnostics %d bytes, valid %v", body, len(f.diagnostics), utf8.ValidString(f.diagnostics))
		}
	})
}
