package logs

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/yarnlogs"
)

// dirFS is yarnlogs.FS over a local folder.
type dirFS string

func (d dirFS) p(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d dirFS) ReadDir(dir string) ([]fs.FileInfo, error) {
	ents, err := os.ReadDir(d.p(dir))
	if err != nil {
		return nil, err
	}
	var out []fs.FileInfo
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}
func (d dirFS) Open(name string) (yarnlogs.File, error) { return os.Open(d.p(name)) }
func (d dirFS) Stat(name string) (fs.FileInfo, error)   { return os.Stat(d.p(name)) }

// fixtureApp lays out yarnlogs' Hadoop-written node file (written by
// LogFixtureWriter: two containers) as two nodes' files, plus a node file
// still being written.
func fixtureApp(t *testing.T) *yarnlogs.App {
	const app = "application_1700000000000_0042"
	b, err := os.ReadFile("../yarnlogs/testdata/app-gz.tfile")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "tmp/logs/alice/bucket-logs-tfile/0042", app)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"nodeA_8041", "nodeB_8041"} {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, err := yarnlogs.OpenLayout(dirFS(root), yarnlogs.Layout{Root: "/tmp/logs", Suffix: "logs-tfile", NMSuffix: "logs"}, "alice", app)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPrintAggregated(t *testing.T) {
	app := fixtureApp(t)
	cases := []struct {
		name   string
		filter Filter
		want   []string // container/node/file of each section
	}{
		{"all", Filter{}, []string{
			"000001 nodeA_8041 stderr", "000001 nodeA_8041 stdout", "000001 nodeA_8041 syslog",
			"000002 nodeA_8041 prelaunch.out", "000002 nodeA_8041 stderr", "000002 nodeA_8041 stdout",
			"000001 nodeB_8041 stderr", "000001 nodeB_8041 stdout", "000001 nodeB_8041 syslog",
			"000002 nodeB_8041 prelaunch.out", "000002 nodeB_8041 stderr", "000002 nodeB_8041 stdout"}},
		{"file", Filter{Files: []string{"stdout"}}, []string{"000001 nodeA_8041 stdout", "000002 nodeA_8041 stdout", "000001 nodeB_8041 stdout", "000002 nodeB_8041 stdout"}},
		{"container", Filter{Containers: []string{"container_1700000000000_0042_01_000002"}, Files: []string{"stderr"}},
			[]string{"000002 nodeA_8041 stderr", "000002 nodeB_8041 stderr"}},
		{"service", Filter{Services: []string{"worker"}, Files: []string{"stderr"}}, []string{"000002 nodeA_8041 stderr", "000002 nodeB_8041 stderr"}},
		{"appmaster", Filter{Services: []string{AppMasterService}, Files: []string{"stderr"}}, []string{"000001 nodeA_8041 stderr", "000001 nodeB_8041 stderr"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			p := &Printer{W: &out, Filter: c.filter, Services: map[string]string{"container_1700000000000_0042_01_000002": "worker"}}
			res, err := p.PrintAggregated(context.Background(), app)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Problems) > 0 || len(res.Nodes) != 2 {
				t.Fatalf("nodes %v problems %v", res.Nodes, res.Problems)
			}
			secs, err := Parse(&out)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range secs {
				got = append(got, s.Container[len(s.Container)-6:]+" "+s.Node+" "+s.File)
				if int64(len(s.Contents)) != s.Length || s.Type != Aggregated {
					t.Errorf("%s %s: %d bytes, LogLength %d", s.Container, s.File, len(s.Contents), s.Length)
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if err := res.Check(c.filter); err != nil {
				t.Error(err)
			}
		})
	}

	// --tail and no-match errors.
	var out bytes.Buffer
	p := &Printer{W: &out, Filter: Filter{Files: []string{"stdout"}, Containers: []string{"container_1700000000000_0042_01_000001"}, Tail: 1}}
	if _, err := p.PrintAggregated(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	secs, _ := Parse(&out)
	if len(secs) != 2 || strings.Count(string(secs[0].Contents), "\n") > 1 || secs[0].Length != 23 {
		t.Errorf("tail: %+v", secs)
	}
	p = &Printer{W: &out, Filter: Filter{Services: []string{"nosuch"}}}
	res, _ := p.PrintAggregated(context.Background(), app)
	if err := res.Check(p.Filter); err == nil || !strings.Contains(err.Error(), "services: appmaster") {
		t.Errorf("no-match error: %v", err)
	}
}

// TestPrintAggregatedSplitFormats: an application whose logs are split
// between formats (IFile written by Hadoop's LogAggregationIndexedFileController,
// and a TFile): the first listed format's node files come first, every
// IFile section has its file's own modification time, a TFile's the node
// file's.
func TestPrintAggregatedSplitFormats(t *testing.T) {
	const app = "application_1700000000000_0042"
	root := t.TempDir()
	copyTo := func(src, dir, name string) {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyTo("../yarnlogs/testdata/app-none.tfile", "tmp/logs/alice/bucket-logs-tfile/0042/"+app, "nodeA_8041")
	ents, err := os.ReadDir("../yarnlogs/testdata/ifile-none")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		copyTo("../yarnlogs/testdata/ifile-none/"+e.Name(), "tmp/logs/alice/bucket-logs-ifile/0042/"+app, e.Name())
	}
	cfg := conf.New()
	cfg.Set(yarnlogs.KeyFileFormats, "IFile,TFile")
	a, err := yarnlogs.Open(dirFS(root), cfg, "alice", app)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := (&Printer{W: &out}).PrintAggregated(context.Background(), a)
	if err != nil || len(res.Problems) > 0 || len(res.Nodes) != 3 {
		t.Fatalf("nodes %v problems %v: %v", res.Nodes, res.Problems, err)
	}
	secs, err := Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	tfileTime := FormatTime(a.Nodes[2].ModTime)
	var nodes []string
	times := map[string]bool{}
	for _, s := range secs {
		if len(nodes) == 0 || nodes[len(nodes)-1] != s.Node {
			nodes = append(nodes, s.Node)
		}
		if int64(len(s.Contents)) != s.Length {
			t.Errorf("%s %s: %d bytes, LogLength %d", s.Container, s.File, len(s.Contents), s.Length)
		}
		if s.Node == "nodeA_8041" {
			if s.ModTime != tfileTime {
				t.Errorf("TFile section time %q, want the node file's %q", s.ModTime, tfileTime)
			}
		} else {
			times[s.ModTime] = true
		}
	}
	if len(nodes) != 3 || nodes[0] != "host1_1111" || !strings.HasPrefix(nodes[1], "host2_2222_") || nodes[2] != "nodeA_8041" {
		t.Errorf("node order %v", nodes)
	}
	// IndexedLogFixtureWriter gives each of the 10 files indexed its own second.
	if len(times) != 10 || !times[FormatTime(time.UnixMilli(1700000100000))] {
		t.Errorf("IFile section times %v", times)
	}
	if len(secs) != 6+6+4 {
		t.Errorf("%d sections, want 16", len(secs))
	}
}

// TestPrintAggregatedSize: --size N prints each file's first N bytes, -N
// its last N, as `yarn logs -size` does, LogLength staying the whole
// file's.
func TestPrintAggregatedSize(t *testing.T) {
	app := fixtureApp(t)
	const c1 = "container_1700000000000_0042_01_000001"
	for _, tc := range []struct {
		size int64
		want func(s string) string
	}{
		{10, func(s string) string { return s[:10] }},
		{-10, func(s string) string { return s[len(s)-10:] }},
		{1 << 40, func(s string) string { return s }},
		{-(1 << 40), func(s string) string { return s }},
	} {
		var out bytes.Buffer
		p := &Printer{W: &out, Filter: Filter{Containers: []string{c1}, Files: []string{"syslog"}, Size: tc.size}}
		if _, err := p.PrintAggregated(context.Background(), app); err != nil {
			t.Fatal(err)
		}
		secs, err := Parse(&out)
		if err != nil {
			t.Fatal(err)
		}
		// LogFixtureWriter's syslog: 5000 bytes of numbered lines.
		var full strings.Builder
		for n := 0; full.Len() < 5000; n++ {
			fmt.Fprintf(&full, "%s/syslog line %07d\n", c1, n)
		}
		whole := full.String()[:5000]
		if len(secs) != 2 || string(secs[0].Contents) != tc.want(whole) || secs[0].Length != 5000 {
			t.Errorf("size %d: %d sections, contents %q, LogLength %d", tc.size, len(secs), truncate(secs, 0), secs[0].Length)
		}
	}
}

func truncate(secs []Section, i int) string {
	if i >= len(secs) {
		return ""
	}
	b := secs[i].Contents
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}
