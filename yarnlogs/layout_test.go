package yarnlogs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

func TestLayoutFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]string
		want Layout
	}{
		{"defaults", nil, Layout{"TFile", "/tmp/logs", "logs-tfile", "logs", true}},
		{"nodemanager keys", map[string]string{KeyRemoteAppLogDir: "/app-logs", KeyRemoteAppLogDirSuffix: "agg"},
			Layout{"TFile", "/app-logs", "agg-tfile", "agg", true}},
		{"TFile keys win", map[string]string{
			KeyRemoteAppLogDir: "/app-logs", KeyTFileRemoteAppLogDir: "hdfs://nn:8020/tf-logs/",
			KeyRemoteAppLogDirSuffix: "agg", KeyTFileRemoteAppLogDirSuffix: "mine"},
			Layout{"TFile", "/tf-logs", "mine", "agg", true}},
		{"empty TFile keys fall back", map[string]string{KeyTFileRemoteAppLogDir: "", KeyTFileRemoteAppLogDirSuffix: ""},
			Layout{"TFile", "/tmp/logs", "logs-tfile", "logs", true}},
		{"older layouts off", map[string]string{KeyIncludeOlder: "false"}, Layout{"TFile", "/tmp/logs", "logs-tfile", "logs", false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.set {
				cfg.Set(k, v)
			}
			got, err := LayoutFromConfig(cfg)
			if err != nil || got != tc.want {
				t.Fatalf("%+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	cfg := conf.New()
	cfg.Set(KeyRemoteAppLogDir, "relative/logs")
	if _, err := LayoutFromConfig(cfg); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Fatalf("relative root: %v", err)
	}
}

func TestAppDirs(t *testing.T) {
	l := Layout{"TFile", "/tmp/logs", "logs-tfile", "logs", true}
	for _, tc := range []struct {
		app  string
		want []string
	}{
		{"application_1700000000000_0042", []string{
			"/tmp/logs/u/bucket-logs-tfile/0042/application_1700000000000_0042",
			"/tmp/logs/u/logs-tfile/application_1700000000000_0042",
			"/tmp/logs/u/logs/application_1700000000000_0042"}},
		{"application_1700000000000_12345", []string{
			"/tmp/logs/u/bucket-logs-tfile/2345/application_1700000000000_12345",
			"/tmp/logs/u/logs-tfile/application_1700000000000_12345",
			"/tmp/logs/u/logs/application_1700000000000_12345"}},
		{"application_1_10000", []string{
			"/tmp/logs/u/bucket-logs-tfile/0000/application_1_10000",
			"/tmp/logs/u/logs-tfile/application_1_10000",
			"/tmp/logs/u/logs/application_1_10000"}},
	} {
		got, err := l.AppDirs("u", tc.app)
		if err != nil || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: %v %v", tc.app, got, err)
		}
	}
	l.IncludeOlder = false
	if got, _ := l.AppDirs("u", "application_1_7"); len(got) != 1 || got[0] != "/tmp/logs/u/bucket-logs-tfile/0007/application_1_7" {
		t.Errorf("newest only: %v", got)
	}
	for _, bad := range []string{"", "application_1", "app_1_2", "application_x_2", "application_1_-2", "container_1_0001_01_000001"} {
		if _, err := l.AppDirs("u", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := l.AppDirs("a/b", "application_1_2"); err == nil {
		t.Error("user with a slash accepted")
	}
}

func copyFixture(t *testing.T, dst string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "app-none.tfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLayouts(t *testing.T) {
	l := Layout{"TFile", "/tmp/logs", "logs-tfile", "logs", true}
	for _, dir := range []string{
		"tmp/logs/alice/bucket-logs-tfile/0042/" + fixtureApp,
		"tmp/logs/alice/logs-tfile/" + fixtureApp,
		"tmp/logs/alice/logs/" + fixtureApp,
	} {
		t.Run(dir, func(t *testing.T) {
			root := t.TempDir()
			copyFixture(t, filepath.Join(root, dir, "node1_45454"))
			copyFixture(t, filepath.Join(root, dir, "node2_45454.tmp"))
			for _, user := range []string{"alice", ""} {
				app, err := OpenLayout(dirFS(root), l, user, fixtureApp)
				if err != nil {
					t.Fatal(err)
				}
				if app.User != "alice" || len(app.Dirs) != 1 || app.Dirs[0] != "/"+dir || len(app.Nodes) != 2 {
					t.Fatalf("%+v", app)
				}
				n := app.Nodes[0]
				if n.Name != "node1_45454" || n.InProgress || n.Path != "/"+dir+"/node1_45454" || n.Size < 1000 {
					t.Fatalf("%+v", n)
				}
				if !app.Nodes[1].InProgress {
					t.Fatalf("%+v", app.Nodes[1])
				}
				nl, err := app.NodeLog(n)
				if err != nil {
					t.Fatal(err)
				}
				checkFixture(t, nl, 2000)
				if err := nl.Close(); err != nil {
					t.Fatal(err)
				}
				if _, err := app.NodeLog(app.Nodes[1]); !errors.Is(err, ErrInProgress) {
					t.Fatalf(".tmp file: %v", err)
				}
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "tmp/logs/alice"), 0o755)
	l := Layout{"TFile", "/tmp/logs", "logs-tfile", "logs", true}
	_, err := OpenLayout(dirFS(root), l, "alice", fixtureApp)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "/tmp/logs/alice/bucket-logs-tfile/0042/"+fixtureApp) {
		t.Fatalf("%v", err)
	}
	if _, err := OpenLayout(dirFS(root), l, "", fixtureApp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("any user: %v", err)
	}
	if _, err := OpenLayout(dirFS(root), l, "alice", "nonsense"); err == nil {
		t.Fatal("bad app ID accepted")
	}
}

func TestLayoutsFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  map[string]string
		want []Layout
	}{
		{"default TFile", nil, []Layout{{"TFile", "/tmp/logs", "logs-tfile", "logs", true}}},
		{"both, IFile first", map[string]string{KeyFileFormats: " IFile , TFile,IFile"}, []Layout{
			{"IFile", "/tmp/logs", "logs-ifile", "logs-ifile", true},
			{"TFile", "/tmp/logs", "logs-tfile", "logs", true}}},
		{"per-format keys", map[string]string{KeyFileFormats: "IFile", KeyRemoteAppLogDir: "/nm",
			"yarn.log-aggregation.IFile.remote-app-log-dir": "hdfs://nn/if", "yarn.log-aggregation.IFile.remote-app-log-dir-suffix": "ix"},
			[]Layout{{"IFile", "/if", "ix", "ix", true}}},
		{"custom name", map[string]string{KeyFileFormats: "MyIndexed", KeyRemoteAppLogDirSuffix: "agg"},
			[]Layout{{"MyIndexed", "/tmp/logs", "agg-myindexed", "agg-myindexed", true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf.New()
			for k, v := range tc.set {
				cfg.Set(k, v)
			}
			got, err := LayoutsFromConfig(cfg)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("%+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	cfg := conf.New()
	cfg.Set(KeyFileFormats, " , ")
	if _, err := LayoutsFromConfig(cfg); err == nil || !strings.Contains(err.Error(), "lists no format") {
		t.Fatalf("blank list: %v", err)
	}
}
