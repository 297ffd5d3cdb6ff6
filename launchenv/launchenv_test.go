package launchenv

import (
	"encoding/base64"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// hostile are values a shell would act on.
var hostile = []string{
	`"; touch /tmp/x; echo "`, `$(touch /tmp/x)`, "`touch /tmp/x`", "a\ntouch /tmp/x\n", `'; touch /tmp/x; '`,
	`\"; touch /tmp/x; \`, `;touch /tmp/x;`, `$HOME ${HOME} $$`, `{{HOME}} <LOG_DIR> <CPS> %PATH% {} }}`,
	"héllo ☃ 日本語 \u2028 🙂", "", "  spaced\t", "a\rb", strings.Repeat(`"$(x)" <&>`, 4000),
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	env := map[string]string{}
	for i, v := range hostile {
		env["V"+string(rune('A'+i))] = v
	}
	env["_lower_9"] = "x"
	s, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	// What the NodeManager writes verbatim must be inert in its script.
	if err := CheckLiteral(s); err != nil {
		t.Fatalf("the encoded form is not a literal: %v", err)
	}
	got, err := Decode(s)
	if err != nil || !maps.Equal(got, env) {
		t.Fatalf("Decode(Encode(env)) = %q, %v; want %q", got, err, env)
	}
	if s, err := Encode(nil); s != "" || err != nil {
		t.Fatalf("Encode(nil) = %q, %v", s, err)
	}
	if got, err := Decode(""); err != nil || len(got) != 0 {
		t.Fatalf(`Decode("") = %v, %v`, got, err)
	}
}

// The encoded variable survives the shell the NodeManager writes: with
// bash reading `export K="V"` as it would, the value arrives intact.
func TestEncodedSurvivesTheLaunchScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is needed to run a launch script: %v", err)
	}
	env := map[string]string{}
	for i, v := range hostile {
		env["V"+string(rune('A'+i))] = v
	}
	s, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "launch_container.sh")
	os.WriteFile(script, []byte("#!/bin/bash\nexport "+UserEnvVar+"=\""+s+"\"\nexec /bin/bash -c \"printenv "+UserEnvVar+"\"\n"), 0o755)
	out, err := exec.Command(bash, script).Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(strings.TrimSuffix(string(out), "\n"))
	if err != nil || !maps.Equal(got, env) {
		t.Fatalf("after the launch script: %q, %v", got, err)
	}
}

func TestCheckKey(t *testing.T) {
	for _, k := range []string{"A", "_", "a_b9", "OMP_NUM_THREADS", "PATH", "_SPINDLE"} {
		if err := CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", "1A", "A-B", "A B", "A=B", "A$(x)", `A"`, "Ä", "A\n", "SPINDLE_COMMAND", UserEnvVar} {
		if err := CheckKey(k); !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "[A-Za-z_][A-Za-z0-9_]*") {
			t.Errorf("CheckKey(%q) = %v, want ErrKey with the rule", k, err)
		}
	}
}

func TestCheckValue(t *testing.T) {
	for _, v := range hostile {
		if err := CheckValue(v); err != nil {
			t.Errorf("CheckValue(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"a\x00b", "\xff"} {
		if err := CheckValue(v); !errors.Is(err, ErrValue) {
			t.Errorf("CheckValue(%q) = %v, want ErrValue", v, err)
		}
	}
	if _, err := Encode(map[string]string{"A": "\x00"}); !errors.Is(err, ErrValue) {
		t.Errorf("Encode with a NUL: %v", err)
	}
	if _, err := Encode(map[string]string{"A-B": ""}); !errors.Is(err, ErrKey) {
		t.Errorf("Encode with a bad key: %v", err)
	}
}

func TestEncodeBoundsTheSize(t *testing.T) {
	if _, err := Encode(map[string]string{"A": strings.Repeat("x", MaxEncoded*3/4-20)}); err != nil {
		t.Fatalf("just under the limit: %v", err)
	}
	_, err := Encode(map[string]string{"A": strings.Repeat("x", MaxEncoded*3/4)})
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "at most 98304") {
		t.Fatalf("over the limit: %v, want ErrTooLarge naming the limit", err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"not base64!", b64(`[1,2]`), b64(`{"A":1}`), b64(`{"A-B":"x"}`), b64(`{"A":"\u0000"}`), b64("{\"A\":\"\xff\"}"),
		b64(`{"SPINDLE_COMMAND":"x"}`), strings.Repeat("A", MaxEncoded+4), b64(`{"A":"x"`),
	} {
		if got, err := Decode(s); !errors.Is(err, ErrEncoding) {
			t.Errorf("Decode(%.40q) = %v, %v; want ErrEncoding", s, got, err)
		}
	}
}

func TestApply(t *testing.T) {
	base := []string{"PATH=/bin", "HOME=/h", UserEnvVar + "=abc", "KEEP=1", "NOEQUALS"}
	got := Apply(base, map[string]string{"PATH": "/x$(y)", "NEW": "a\nb"})
	want := []string{"HOME=/h", "KEEP=1", "NOEQUALS", "NEW=a\nb", "PATH=/x$(y)"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Apply = %q, want %q", got, want)
	}
}

func TestCheckLinkName(t *testing.T) {
	for _, n := range []string{"data.csv", "a+b,c=d@e-1.txt", "_x", "-starts-with-dash", strings.Repeat("a", 255)} {
		if err := CheckLinkName(n); err != nil {
			t.Errorf("CheckLinkName(%q) = %v", n, err)
		}
	}
	for _, n := range []string{"", ".", "..", "a/b", "$(x)", "`x`", `a"b`, `a\b`, "a b", "a\nb", "é", "a'b", "a;b", "{{x}}", "<LOG_DIR>",
		strings.Repeat("a", 256)} {
		if err := CheckLinkName(n); !errors.Is(err, ErrLinkName) {
			t.Errorf("CheckLinkName(%q) = %v, want ErrLinkName", n, err)
		}
	}
}

func TestCheckLiteralAndSource(t *testing.T) {
	for _, s := range []string{"alice", "svc-user@EXAMPLE.COM", "tcp://10.0.0.1:8786", "tcp://[::1]:1", "http://h:1", "a b (1)", "é"} {
		if err := CheckLiteral(s); err != nil {
			t.Errorf("CheckLiteral(%q) = %v", s, err)
		}
	}
	for _, s := range []string{`a"b`, "$x", "`x`", `a\b`, "a\nb", "a\rb", "a\x00", "{{x", "x}}", "<LOG_DIR>", "<CPS>", "<ADD_OPENS>", "\xff"} {
		if err := CheckLiteral(s); !errors.Is(err, ErrLiteral) {
			t.Errorf("CheckLiteral(%q) = %v, want ErrLiteral", s, err)
		}
	}
	for _, u := range []string{"hdfs:///models/m.tar.gz", "hdfs://nn:8020/a$b/m (1).tar.gz"} {
		if err := CheckSource(u); err != nil {
			t.Errorf("CheckSource(%q) = %v", u, err)
		}
	}
	// The NodeManager localizes the decoded name: %24 is a '$' there.
	for _, u := range []string{"hdfs:///x/a$(id).gz", "hdfs:///x/a%24%28id%29.gz", "hdfs:///x/a%22b", "hdfs:///x/a`id`"} {
		if err := CheckSource(u); !errors.Is(err, ErrLiteral) {
			t.Errorf("CheckSource(%q) = %v, want ErrLiteral", u, err)
		}
	}
}

// FuzzUserEnv: the runtime decodes SPINDLE_USER_ENV from its environment;
// no input may panic it, and whatever it accepts re-encodes to the same
// environment.
func FuzzUserEnv(f *testing.F) {
	for _, v := range hostile {
		if s, err := Encode(map[string]string{"A": v, "B_2": "x"}); err == nil {
			f.Add(s)
		}
	}
	for _, s := range []string{"", "e30=", "bnVsbA==", "W10=", "!!", "eyJBIjoxfQ=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		env, err := Decode(s)
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("Decode error not ErrEncoding: %v", err)
			}
			return
		}
		for k, v := range env {
			if CheckKey(k) != nil || CheckValue(v) != nil {
				t.Fatalf("Decode accepted %q=%q", k, v)
			}
		}
		again, err := Encode(env)
		if err != nil && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("re-encode what Decode accepted: %v", err)
		}
		if err == nil {
			back, err := Decode(again)
			if err != nil || !maps.Equal(back, env) {
				t.Fatalf("round trip: %q, %v; want %q", back, err, env)
			}
		}
	})
}
