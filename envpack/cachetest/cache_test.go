// Package cachetest checks envpack's HDFS cache against the real local
// Hadoop cluster (integration/cluster), started once for this package.
package cachetest

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/spindle-yarn/spindle/envpack"
	"github.com/spindle-yarn/spindle/integration/cluster"
)

var hadoop cluster.Shared

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m, &hadoop)) }

func hdfsClient(t *testing.T) *hdfs.Client {
	t.Helper()
	c := hadoop.Get(t)
	conf, err := hadoopconf.Load(c.ConfDir)
	if err != nil {
		t.Fatalf("load %s: %v", c.ConfDir, err)
	}
	opts := hdfs.ClientOptionsFromConf(conf)
	opts.User = "root"
	if u := os.Getenv("USER"); u != "" {
		opts.User = u
	}
	fs, err := hdfs.NewClient(opts)
	if err != nil {
		t.Fatalf("hdfs client: %v", err)
	}
	t.Cleanup(func() { fs.Close() })
	return fs
}

func randomFile(t *testing.T, dir string, n int) string {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(dir, "archive-"+strings.ReplaceAll(t.Name(), "/", "_")+".tar.gz")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCachePutReuseListRemove(t *testing.T) {
	fs := hdfsClient(t)
	ctx := context.Background()
	cache := envpack.NewCache(fs, envpack.DefaultCacheRoot(fs.User())+"-"+t.Name())
	tmp := t.TempDir()

	// A real packed environment, packed once per fingerprint locally.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to build the test venv; install Python 3")
	}
	venv := filepath.Join(tmp, "venv")
	if out, err := exec.Command(py, "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Fatalf("python3 -m venv: %v\n%s", err, out)
	}
	local := filepath.Join(tmp, "local-cache")
	a1, err := envpack.PackCached(ctx, venv, local, envpack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a2, err := envpack.PackCached(ctx, venv, local, envpack.Options{})
	if err != nil || !a2.Reused || a2.SHA256 != a1.SHA256 || a2.Path != a1.Path {
		t.Fatalf("second PackCached must reuse the archive: %+v %v", a2, err)
	}

	e1, err := cache.Put(ctx, a1.Path, a1.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Reused || e1.Hash != a1.SHA256 || e1.Size != a1.Size || e1.Path != cache.Root()+"/"+a1.SHA256+".tar.gz" {
		t.Fatalf("first put: %+v", e1)
	}
	got, err := fs.ReadFile(e1.Path)
	want, _ := os.ReadFile(a1.Path)
	if err != nil || string(got) != string(want) {
		t.Fatalf("cached bytes differ from the archive (err %v)", err)
	}
	// Hash computed by Put this time; same content: same file, same time.
	e2, err := cache.Put(ctx, a1.Path, "")
	if err != nil || !e2.Reused || !e2.ModTime.Equal(e1.ModTime) || e2.Path != e1.Path {
		t.Fatalf("second put must reuse the file with its time: %+v vs %+v (%v)", e2, e1, err)
	}

	other := randomFile(t, tmp, 3<<20)
	e3, err := cache.Put(ctx, other, "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := cache.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	if g, err := cache.Get(ctx, e3.Hash); err != nil || g.Size != 3<<20 {
		t.Fatalf("get: %+v %v", g, err)
	}
	if _, err := cache.Remove(ctx, "abc"); err == nil {
		t.Fatal("a 3-character prefix must be refused")
	}
	if r, err := cache.Remove(ctx, e3.Hash[:12]); err != nil || r.Path != e3.Path {
		t.Fatalf("remove: %+v %v", r, err)
	}
	if _, err := cache.Get(ctx, e3.Hash); !errors.Is(err, envpack.ErrNotCached) {
		t.Fatalf("removed archive still found: %v", err)
	}
	if _, err := cache.Remove(ctx, e3.Hash); !errors.Is(err, envpack.ErrNotCached) {
		t.Fatalf("removing twice: %v", err)
	}
	list, _ = cache.List(ctx)
	if len(list) != 1 || list[0].Hash != e1.Hash {
		t.Fatalf("list after remove: %+v", list)
	}
	fs.RemoveAll(cache.Root())
}

func TestCacheConcurrentPutsKeepOneFile(t *testing.T) {
	fs := hdfsClient(t)
	ctx := context.Background()
	cache := envpack.NewCache(fs, "/tmp/spindle-envcache/"+t.Name())
	p := randomFile(t, t.TempDir(), 1<<20)
	var wg sync.WaitGroup
	entries := make([]envpack.Entry, 4)
	errs := make([]error, 4)
	for i := range entries {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			entries[i], errs[i] = cache.Put(ctx, p, "")
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	infos, err := fs.ReadDir(cache.Root())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fi := range infos {
		names = append(names, fi.Name())
	}
	if len(names) != 1 || names[0] != entries[0].Hash+".tar.gz" {
		t.Fatalf("cache folder holds %v, want exactly the one archive (no temporary files)", names)
	}
	// Every caller ends with the file as it is now on HDFS.
	final, _ := cache.Get(ctx, entries[0].Hash)
	for i, e := range entries {
		if e.Path != final.Path || e.Size != final.Size {
			t.Fatalf("put %d returned %+v, cache has %+v", i, e, final)
		}
	}
	fs.RemoveAll(cache.Root())
}
