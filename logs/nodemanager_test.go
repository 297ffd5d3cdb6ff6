package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeNM serves a NodeManager's log web services for in-memory files, in
// the shapes a 3.4.1 NodeManager answers (Jersey's single-element lists as
// objects, RemoteException 404s).
type fakeNM struct {
	mu     sync.Mutex
	nodeID string
	app    string
	files  map[string]map[string]string // container -> file -> contents
	gone   map[string]bool              // containers the NM forgot
	// noFiles: containers the NM answers for with an empty listing, as a
	// NodeManager that knows the application but not the container does.
	noFiles map[string]bool
}

func (f *fakeNM) set(c, file, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files[c] == nil {
		f.files[c] = map[string]string{}
	}
	f.files[c][file] = body
}

func notFound(w http.ResponseWriter, msg string) {
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintf(w, `{"RemoteException":{"exception":"NotFoundException","message":"java.lang.Exception: %s","javaClassName":"org.apache.hadoop.yarn.webapp.NotFoundException"}}`, msg)
}

func (f *fakeNM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/ws/v1/node/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "apps":
		if parts[1] != f.app {
			notFound(w, "app with id "+parts[1]+" not found")
			return
		}
		var ids []string
		for c := range f.files {
			if !f.gone[c] {
				ids = append(ids, `"`+c+`"`)
			}
		}
		fmt.Fprintf(w, `{"app":{"id":%q,"state":"RUNNING","user":"u","containerids":[%s]}}`, f.app, strings.Join(ids, ","))
	case len(parts) == 3 && parts[0] == "containers" && parts[2] == "logs":
		files, ok := f.files[parts[1]]
		if f.noFiles[parts[1]] {
			fmt.Fprintf(w, `{"containerLogsInfo":{"logAggregationType":"LOCAL","containerId":%q,"nodeId":%q}}`, parts[1], f.nodeID)
			return
		}
		if !ok || f.gone[parts[1]] {
			notFound(w, "Unknown container.")
			return
		}
		var list []string
		for name, body := range files {
			list = append(list, fmt.Sprintf(`{"fileName":%q,"fileSize":"%d","lastModifiedTime":"Thu Nov 26 01:25:29 +0000 2026"}`, name, len(body)))
		}
		sort.Strings(list) // by name, as a directory listing often is
		l := strings.Join(list, ",")
		if len(list) != 1 {
			l = "[" + l + "]"
		}
		fmt.Fprintf(w, `{"containerLogsInfo":{"containerLogInfo":%s,"logAggregationType":"LOCAL","containerId":%q,"nodeId":%q}}`, l, parts[1], f.nodeID)
	case len(parts) == 4 && parts[0] == "containers" && parts[2] == "logs":
		body, ok := f.files[parts[1]][parts[3]]
		if !ok || f.gone[parts[1]] {
			notFound(w, "Cannot find this log on the local disk.")
			return
		}
		size := int64(len(body))
		if s := r.URL.Query().Get("size"); s != "" {
			size, _ = strconv.ParseInt(s, 10, 64)
		}
		data := body
		switch {
		case size < 0 && int(-size) < len(body):
			data = body[len(body)+int(size):]
		case size >= 0 && int(size) < len(body):
			data = body[:size]
		}
		h := Header{Container: parts[1], Node: f.nodeID, Type: Local, File: parts[3], ModTime: "Thu Nov 26 01:25:33 +0000 2026",
			Length: int64(len(body)), Running: true}
		WriteHeader(w, h)
		fmt.Fprint(w, data)
		WriteFooter(w, h)
	default:
		http.NotFound(w, r)
	}
}

func newFakeNM(t *testing.T) (*fakeNM, string) {
	f := &fakeNM{nodeID: "host1:45454", app: "application_1_0001", files: map[string]map[string]string{}, gone: map[string]bool{},
		noFiles: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, strings.TrimPrefix(srv.URL, "http://")
}

func TestNodeManagerClient(t *testing.T) {
	f, addr := newFakeNM(t)
	f.set("container_1_0001_01_000001", "stderr", "am line\n")
	nm := &NodeManager{Addr: addr}
	ctx := context.Background()
	ids, err := nm.AppContainers(ctx, "application_1_0001")
	if err != nil || len(ids) != 1 || ids[0] != "container_1_0001_01_000001" {
		t.Fatalf("AppContainers = %v, %v", ids, err)
	}
	if _, err := nm.AppContainers(ctx, "application_1_0002"); !errors.Is(err, ErrNotOnNode) {
		t.Errorf("unknown app: %v", err)
	}
	// One file: Jersey sends an object, not a list.
	ls, err := nm.ContainerLogs(ctx, "container_1_0001_01_000001")
	if err != nil || len(ls) != 1 || ls[0].NodeID != "host1:45454" || len(ls[0].Files) != 1 || ls[0].Files[0].Size != 8 {
		t.Fatalf("ContainerLogs = %+v, %v", ls, err)
	}
	c, err := nm.File(ctx, "container_1_0001_01_000001", "stderr", -4)
	if err != nil || string(c.Data) != "ine\n" || c.Offset != 4 || c.Length != 8 {
		t.Fatalf("File = %+v, %v", c, err)
	}
	if _, err := nm.ContainerLogs(ctx, "container_1_0001_01_000009"); !errors.Is(err, ErrNotOnNode) {
		t.Errorf("unknown container: %v", err)
	}
}

func TestOneOrMany(t *testing.T) {
	for in, want := range map[string]int{`"a"`: 1, `["a","b"]`: 2, `[]`: 0, `null`: 0, ``: 0} {
		got, err := oneOrMany[string]([]byte(in))
		if err != nil || len(got) != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
}

func TestPrintLiveAndFollow(t *testing.T) {
	f, addr := newFakeNM(t)
	am, w1, w2 := "container_1_0001_01_000001", "container_1_0001_01_000002", "container_1_0001_01_000003"
	f.set(am, "stderr", "allocated\n")
	f.set(w1, "stderr", strings.Repeat("w1 old\n", 5))
	f.set(w1, "stdout", "")
	f.set(w2, "stderr", "w2 line\n")
	f.gone[w2] = true
	containers := []LiveContainer{{ID: am, NodeHTTP: addr, Service: AppMasterService}, {ID: w1, NodeHTTP: addr, Service: "worker"},
		{ID: w2, NodeHTTP: addr, Service: "worker", Completed: true}}

	var out bytes.Buffer
	p := &Printer{W: &out, Filter: Filter{Services: []string{"worker"}, Files: []string{"stderr"}, Tail: 2}}
	res, err := p.PrintLive(context.Background(), nil, containers)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(secs) != 1 || secs[0].Container != w1 || string(secs[0].Contents) != "w1 old\nw1 old\n" || secs[0].Length != 35 || secs[0].Node != "host1:45454" {
		t.Fatalf("sections %+v", secs)
	}
	if len(res.Problems) != 1 || res.Problems[0].Container != w2 || !errors.Is(res.Problems[0].Err, ErrNotOnNode) {
		t.Errorf("problems %+v", res.Problems)
	}
	if res.Offsets[FileKey{w1, "stderr"}] != 35 {
		t.Errorf("offsets %v", res.Offsets)
	}

	// Follow: w1 grows, a new worker appears, then the app ends.
	out.Reset()
	polls := 0
	w3 := "container_1_0001_01_000004"
	fol := &Follow{Printer: p, Interval: time.Millisecond,
		Containers: func(context.Context) ([]LiveContainer, error) {
			polls++
			switch polls {
			case 1:
				f.set(w1, "stderr", strings.Repeat("w1 old\n", 5)+"w1 new 1\n")
			case 2:
				f.set(w1, "stderr", strings.Repeat("w1 old\n", 5)+"w1 new 1\nw1 new 2\n")
				f.set(w3, "stderr", "w3 start\n")
				containers = append(containers, LiveContainer{ID: w3, NodeHTTP: addr, Service: "worker"})
			}
			return containers, nil
		},
		Ended: func(context.Context) (bool, error) { return polls >= 3, nil },
	}
	if err := fol.Run(context.Background(), res.Offsets); err != nil {
		t.Fatal(err)
	}
	want := "\n==> " + w1 + " stderr <==\nw1 new 1\nw1 new 2\n\n==> " + w3 + " stderr <==\nw3 start\n"
	if out.String() != want {
		t.Errorf("follow printed %q, want %q", out.String(), want)
	}
}

func TestAllocationsFromAMLog(t *testing.T) {
	log := `time="2026-11-26T01:30:42Z" level=info msg="registered application_1795656176860_0007; control API on localhost:1:2"
time="2026-11-26T01:30:42Z" level=info msg="scheduler: allocated container_1795656176860_0007_01_000002 on localhost:41759" app=application_1795656176860_0007
time="2026-11-26T01:30:43Z" level=info msg="worker: allocated container_e17_1795656176860_0007_01_000004 on localhost:41759" app=application_1795656176860_0007
time="2026-11-26T01:30:43Z" level=info msg="releasing surplus container container_1795656176860_0007_01_000003" app=application_1795656176860_0007
time="2026-11-26T01:30:43Z" level=info msg="gpu-pool: allocated container_1795656176860_0007_01_000005 on node7.example.com:8041" app=application_1795656176860_0007
`
	got, err := AllocationsFromAMLog(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Allocation{
		"container_1795656176860_0007_01_000002":     {"scheduler", "localhost:41759"},
		"container_e17_1795656176860_0007_01_000004": {"worker", "localhost:41759"},
		"container_1795656176860_0007_01_000005":     {"gpu-pool", "node7.example.com:8041"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %+v, want %+v", k, got[k], v)
		}
	}
}

func TestIsAMContainer(t *testing.T) {
	for id, want := range map[string]bool{
		"container_1795656176860_0007_01_000001":     true,
		"container_e17_1795656176860_0007_02_000001": true,
		"container_1795656176860_0007_01_000002":     false,
		"container_1795656176860_0007_01_1000001":    false,
		"application_1_1":                            false,
		"":                                           false,
	} {
		if IsAMContainer(id) != want {
			t.Errorf("IsAMContainer(%q) != %v", id, want)
		}
	}
}

func FuzzAllocationsFromAMLog(f *testing.F) {
	f.Add([]byte(`msg="worker: allocated container_1_2_01_000002 on h:1"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := AllocationsFromAMLog(bytes.NewReader(b))
		if err != nil {
			return
		}
		for id, a := range got {
			if !strings.HasPrefix(id, "container_") || a.Service == "" || a.Node == "" {
				t.Fatalf("%q: %+v", id, a)
			}
		}
	})
}

// TestLiveNamesContainersItCannotPrint: an application with containers on
// two NodeManagers. One NodeManager answers for a container with an empty
// listing (as one that knows the application, not the container, does),
// another container is unknown to its NodeManager, and one is on a
// NodeManager that does not answer at all. Containers known only from the
// ResourceManager's list are still tried, and each one not printed is a
// problem with a reason.
func TestLiveNamesContainersItCannotPrint(t *testing.T) {
	nmA, addrA := newFakeNM(t)
	nmB, addrB := newFakeNM(t)
	nmB.nodeID = "host2:45454"
	id := func(n int) string { return fmt.Sprintf("container_1_0001_01_%06d", n) }
	am, w1, w2, w3, w4, w5 := id(1), id(2), id(3), id(4), id(5), id(6)
	nmA.set(am, "stderr", "am\n")
	nmA.set(w1, "stderr", "w1\n")
	nmB.set(w2, "stderr", "w2\n")
	nmB.noFiles[w3] = true
	// A NodeManager that refuses connections: a closed test server's address.
	dead := httptest.NewServer(http.NotFoundHandler())
	deadAddr := strings.TrimPrefix(dead.URL, "http://")
	dead.Close()

	var cat Catalog
	ctx := context.Background()
	for _, addr := range []string{addrA, addrB} {
		ids, err := (&NodeManager{Addr: addr}).AppContainers(ctx, "application_1_0001")
		if err != nil {
			t.Fatal(err)
		}
		cat.FromNodeManager(addr, ids)
	}
	// The ResourceManager knows every live container; its web addresses
	// carry a scheme.
	for c, addr := range map[string]string{am: addrA, w1: addrA, w2: addrB, w3: addrB, w4: addrB, w5: deadAddr} {
		cat.FromRM(c, "http://"+addr, false)
	}
	cs := cat.Containers()
	if len(cs) != 6 || cs[0].Service != AppMasterService {
		t.Fatalf("catalog %+v", cs)
	}

	var out bytes.Buffer
	res, err := (&Printer{W: &out}).PrintLive(ctx, nil, cs)
	if err != nil {
		t.Fatal(err)
	}
	secs, err := Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{}
	for _, s := range secs {
		printed[s.Container] = s.Node
	}
	if len(printed) != 3 || printed[w1] != "host1:45454" || printed[w2] != "host2:45454" {
		t.Errorf("printed %v, want the AM, w1 from host1 and w2 from host2", printed)
	}
	reasons := map[string]string{}
	for _, p := range res.Problems {
		reasons[p.Container] = p.Reason()
	}
	if len(reasons) != 3 {
		t.Fatalf("problems %+v, want w3, w4 and w5", res.Problems)
	}
	if !strings.Contains(reasons[w3], "lists no log files") || !strings.Contains(reasons[w4], "does not know it") {
		t.Errorf("w3: %q; w4: %q", reasons[w3], reasons[w4])
	}
	if !strings.Contains(reasons[w5], deadAddr) || !strings.Contains(reasons[w5], "refused") {
		t.Errorf("w5: reason %q, want the unreachable NodeManager named", reasons[w5])
	}

	// What the application master adds: the state decides the reason.
	cat.FromAM(w3, "", "worker", "launching")
	cat.FromAM(w4, "", "worker", "completed")
	cat.FromAM(id(7), "", "worker", "running")
	res, err = (&Printer{W: io.Discard}).PrintLive(ctx, nil, cat.Containers())
	if err != nil {
		t.Fatal(err)
	}
	reasons = map[string]string{}
	for _, p := range res.Problems {
		reasons[p.Container] = p.Reason()
	}
	if !strings.Contains(reasons[w3], "not started") || !strings.Contains(reasons[w4], "it ended") ||
		!strings.Contains(reasons[id(7)], ErrNoNodeAddress.Error()) {
		t.Errorf("reasons %q", reasons)
	}
}

// TestPrintLiveInYarnLogsOrder: containers and files come in the order
// `yarn logs` prints a running application's (its Java HashMap and HashSet,
// as Java 17 iterates them for these names, the NodeManager listing files
// by name), and each section ends with
// the blank line it adds after the NodeManager's text.
func TestPrintLiveInYarnLogsOrder(t *testing.T) {
	f, addr := newFakeNM(t)
	var containers []LiveContainer
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("container_1_0001_01_%06d", i)
		for _, name := range []string{"prelaunch.out", "prelaunch.err", "launch_container.sh", "directory.info", "stdout", "stderr", "syslog"} {
			f.set(id, name, name+" of "+id+"\n")
		}
		containers = append(containers, LiveContainer{ID: id, NodeHTTP: addr})
	}
	var out bytes.Buffer
	if _, err := (&Printer{W: &out}).PrintLive(context.Background(), nil, containers); err != nil {
		t.Fatal(err)
	}
	secs, err := Parse(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range secs {
		got = append(got, s.Container[len(s.Container)-1:]+" "+s.File)
	}
	var want []string
	for _, c := range []string{"3", "2", "1"} {
		for _, name := range []string{"directory.info", "prelaunch.err", "stdout", "syslog", "stderr", "launch_container.sh", "prelaunch.out"} {
			want = append(want, c+" "+name)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("order\n%v\nwant\n%v", got, want)
	}
	if n := strings.Count(out.String(), "*\n\n\n"); n != 21 || !strings.HasSuffix(out.String(), "*\n\n\n") {
		t.Errorf("%d sections end with a rule and two blank lines, want 21", n)
	}
}

// TestPrintLiveSize: the NodeManager cuts --size ranges, and LogLength is
// the whole file's.
func TestPrintLiveSize(t *testing.T) {
	f, addr := newFakeNM(t)
	am := "container_1_0001_01_000001"
	f.set(am, "stderr", "first line\nlast line\n")
	for size, want := range map[int64]string{5: "first", -5: "line\n", 100: "first line\nlast line\n"} {
		var out bytes.Buffer
		if _, err := (&Printer{W: &out, Filter: Filter{Size: size}}).PrintLive(context.Background(), nil, []LiveContainer{{ID: am, NodeHTTP: addr}}); err != nil {
			t.Fatal(err)
		}
		secs, err := Parse(bytes.NewReader(out.Bytes()))
		if err != nil || len(secs) != 1 || string(secs[0].Contents) != want || secs[0].Length != 21 {
			t.Errorf("size %d: %+v %v", size, secs, err)
		}
	}
}
