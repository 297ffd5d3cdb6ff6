package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// processesUnder lists pids whose working directory lies under dir.
func processesUnder(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil || !(cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			continue
		}
		var pid int
		for _, ch := range e.Name() {
			pid = pid*10 + int(ch-'0')
		}
		pids = append(pids, pid)
	}
	return pids
}

// Stop leaves nothing behind: not the JVM, not a running container's
// process, not the work folder.
func TestStopLeavesNoProcessBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Hadoop cluster; runs without -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := Start(ctx, Options{NodeManagers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	cfg, err := conf.Load(c.ConfDir)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rm.Close()
	app, err := rm.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = rm.SubmitApplication(ctx, &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   app.GetApplicationId(),
		ApplicationName: proto.String("sleeper"),
		MaxAppAttempts:  proto.Int32(1),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(64), VirtualCores: proto.Int32(1)},
		AmContainerSpec: &yarnpb.ContainerLaunchContextProto{Command: []string{"sleep 600"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for len(processesUnder(c.WorkDir)) < 2 { // the JVM and the container's process
		if ctx.Err() != nil {
			t.Fatalf("the sleeping container never started under %s", c.WorkDir)
		}
		time.Sleep(200 * time.Millisecond)
	}
	jvm := c.cmd.Process.Pid
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(jvm, 0); err == nil {
		t.Fatalf("the JVM (pid %d) is still alive after Stop", jvm)
	}
	if left := processesUnder(c.WorkDir); len(left) > 0 {
		t.Fatalf("processes left under %s after Stop: %v", c.WorkDir, left)
	}
	if _, err := os.Stat(c.WorkDir); !os.IsNotExist(err) {
		t.Fatalf("work folder %s after Stop: %v", c.WorkDir, err)
	}
}
