package logs

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
)

// realAggregated is what Hadoop 3.4.1's LogsCLI printed for an application
// of the local cluster whose AM ran
// sh -c 'echo hello-from-am; echo line2; printf noeol; echo err >&2'
// (three of its files).
const realAggregated = `Container: container_1795656176860_0001_01_000001 on localhost_36433
LogAggregationType: AGGREGATED
====================================================================
LogType:prelaunch.err
LogLastModifiedTime:Thu Nov 26 01:23:35 +0000 2026
LogLength:0
LogContents:

End of LogType:prelaunch.err
******************************************************************************

Container: container_1795656176860_0001_01_000001 on localhost_36433
LogAggregationType: AGGREGATED
====================================================================
LogType:stderr
LogLastModifiedTime:Thu Nov 26 01:23:35 +0000 2026
LogLength:4
LogContents:
err

End of LogType:stderr
***********************************************************************

Container: container_1795656176860_0001_01_000001 on localhost_36433
LogAggregationType: AGGREGATED
====================================================================
LogType:stdout
LogLastModifiedTime:Thu Nov 26 01:23:35 +0000 2026
LogLength:25
LogContents:
hello-from-am
line2
noeol
End of LogType:stdout
***********************************************************************

`

// realLocal is what a 3.4.1 NodeManager served for
// /ws/v1/node/containers/<id>/logs/stdout?size=-12 of a running container.
const realLocal = `Container: container_1795656300928_0002_01_000001 on localhost:37461
LogAggregationType: LOCAL
====================================================================
LogType:stdout
LogLastModifiedTime:Thu Nov 26 01:25:33 +0000 2026
LogLength:39
LogContents:
k
tick
tick
End of LogType:stdout.This log file belongs to a running container (container_1795656300928_0002_01_000001) and so may not be complete.
***********************************************************************

`

func TestWriteMatchesLogsCLI(t *testing.T) {
	var b bytes.Buffer
	const c, node, mod = "container_1795656176860_0001_01_000001", "localhost_36433", "Thu Nov 26 01:23:35 +0000 2026"
	for _, f := range []struct{ name, body string }{{"prelaunch.err", ""}, {"stderr", "err\n"}, {"stdout", "hello-from-am\nline2\nnoeol"}} {
		h := Header{Container: c, Node: node, Type: Aggregated, File: f.name, ModTime: mod, Length: int64(len(f.body))}
		if err := WriteHeader(&b, h); err != nil {
			t.Fatal(err)
		}
		b.WriteString(f.body)
		if err := WriteFooter(&b, h); err != nil {
			t.Fatal(err)
		}
	}
	if b.String() != realAggregated {
		t.Errorf("got\n%s\nwant\n%s", b.String(), realAggregated)
	}

	b.Reset()
	h := Header{Container: "container_1795656300928_0002_01_000001", Node: "localhost:37461", Type: Local, File: "stdout",
		ModTime: "Thu Nov 26 01:25:33 +0000 2026", Length: 39, Running: true}
	WriteHeader(&b, h)
	b.WriteString("k\ntick\ntick\n")
	WriteFooter(&b, h)
	if b.String() != realLocal {
		t.Errorf("got\n%s\nwant\n%s", b.String(), realLocal)
	}
}

func TestParse(t *testing.T) {
	secs, err := Parse(strings.NewReader(realAggregated))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ file, body string }{{"prelaunch.err", ""}, {"stderr", "err\n"}, {"stdout", "hello-from-am\nline2\nnoeol"}}
	if len(secs) != len(want) {
		t.Fatalf("%d sections, want %d", len(secs), len(want))
	}
	for i, w := range want {
		s := secs[i]
		if s.File != w.file || string(s.Contents) != w.body || s.Container != "container_1795656176860_0001_01_000001" ||
			s.Node != "localhost_36433" || s.Type != Aggregated || s.Length != int64(len(w.body)) {
			t.Errorf("section %d = %+v %q, want %s %q", i, s.Header, s.Contents, w.file, w.body)
		}
	}

	// A tail: LogLength is the whole file's, contents shorter.
	secs, err = Parse(strings.NewReader(realLocal))
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 1 || string(secs[0].Contents) != "k\ntick\ntick\n" || !secs[0].Running || secs[0].Type != Local {
		t.Errorf("local: %+v %q", secs, secs[0].Contents)
	}

	// A body that itself holds an end marker mid-line is kept whole.
	tricky := strings.Replace(realAggregated, "LogLength:4\nLogContents:\nerr\n", "LogLength:26\nLogContents:\nxEnd of LogType:stderr\nerr\n", 1)
	secs, err = Parse(strings.NewReader(tricky))
	if err != nil {
		t.Fatal(err)
	}
	if string(secs[1].Contents) != "xEnd of LogType:stderr\nerr\n" {
		t.Errorf("tricky contents %q", secs[1].Contents)
	}

	for _, bad := range []string{"hello\n", "Container: a on b\nLogType:x\n", "Container: a on b\nLogLength:zz\nLogContents:\n"} {
		if _, err := Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestTails(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"a\n", 3, "a\n"},
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc", 1, "c"},
		{"a\nb\nc\n", 1, "c\n"},
		{"a\n\n\n", 2, "\n\n"},
		{"a\nb\n", 5, "a\nb\n"},
	}
	for _, c := range cases {
		got, err := lastLines(strings.NewReader(c.in), c.n)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("lastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if got := tailBytes([]byte(c.in), c.n); string(got) != c.want {
			t.Errorf("tailBytes(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestReadNMHeader(t *testing.T) {
	c, n, err := readNMHeader(bufio.NewReader(strings.NewReader(realLocal)), -12)
	if err != nil {
		t.Fatal(err)
	}
	if n != 12 || c.Length != 39 || c.Offset != 27 || c.NodeID != "localhost:37461" || c.ModTime != "Thu Nov 26 01:25:33 +0000 2026" {
		t.Errorf("got %+v n=%d", c, n)
	}
	for _, tc := range []struct {
		size, n, off int64
	}{{0, 39, 0}, {-100, 39, 0}, {10, 10, 0}, {100, 39, 0}, {-39, 39, 0}} {
		c, n, err := readNMHeader(bufio.NewReader(strings.NewReader(realLocal)), tc.size)
		if err != nil || n != tc.n || c.Offset != tc.off {
			t.Errorf("size %d: n=%d off=%d err=%v, want n=%d off=%d", tc.size, n, c.Offset, err, tc.n, tc.off)
		}
	}
	// Nothing, or just an end line: no bytes.
	for _, in := range []string{"", "End of LogType:stdout.\n****\n"} {
		c, n, err := readNMHeader(bufio.NewReader(strings.NewReader(in)), 0)
		if err != nil || n != 0 || c.Length != 0 {
			t.Errorf("%q: %+v %d %v", in, c, n, err)
		}
	}
	for _, bad := range []string{"<html>\n", "Container: a on b\nLogLength:x\nLogContents:\n", "Container: a on b\nLogContents:\n", "Container: a on b\n"} {
		if _, _, err := readNMHeader(bufio.NewReader(strings.NewReader(bad)), 0); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(realAggregated))
	f.Add([]byte(realLocal))
	f.Add([]byte("Container: a on b\nLogLength:-1\nLogContents:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		secs, err := Parse(bytes.NewReader(b))
		if err != nil {
			return
		}
		// What parses, written back, parses the same.
		var out bytes.Buffer
		for _, s := range secs {
			if int64(len(s.Contents)) != s.Length || strings.ContainsAny(s.File+s.Container+s.Node+s.ModTime+s.Type, "\n") {
				return
			}
			WriteHeader(&out, s.Header)
			out.Write(s.Contents)
			WriteFooter(&out, s.Header)
		}
		again, err := Parse(&out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%q", err, out.String())
		}
		if len(again) != len(secs) {
			t.Fatalf("re-parse: %d sections, want %d", len(again), len(secs))
		}
	})
}

func FuzzReadNMHeader(f *testing.F) {
	f.Add([]byte(realLocal), int64(-12))
	f.Add([]byte(realLocal), int64(0))
	f.Add([]byte("End of LogType:x\n"), int64(5))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		c, n, err := readNMHeader(bufio.NewReader(bytes.NewReader(b)), size)
		if err != nil {
			return
		}
		if n < 0 || n > c.Length && c.Length > 0 || c.Offset < 0 {
			t.Fatalf("n=%d %+v", n, c)
		}
	})
}
