package appmaster

import (
	"context"
	"errors"
	"net"
	"os"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/spindle-yarn/spindle/discovery"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

const yarnpbSucceeded = yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED

// publish writes the scheduler file for clients and outside workers; it is
// rewritten whenever the scheduler moves.
func (am *AM) publish(ctx context.Context, s schedulerInfo) error {
	if am.fs == nil || am.plan.DiscoveryPath == "" {
		return nil
	}
	f := discovery.SchedulerFile{Type: "Scheduler", ID: am.plan.AppID + "-" + strconv.FormatInt(s.Generation, 10), Address: s.Address,
		Started: float64(time.Now().UnixNano()) / 1e9, Services: map[string]int{}}
	if _, port, err := net.SplitHostPort(s.Dashboard); err == nil {
		if n, err := strconv.Atoi(port); err == nil {
			f.Services["dashboard"] = n
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return discovery.Publish(pctx, am.fs, am.plan.DiscoveryPath, f)
}

func (am *AM) unpublish() error {
	if am.plan.DiscoveryPath == "" {
		return nil
	}
	err := discovery.Remove(am.fs, am.plan.DiscoveryPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// discoveryDir is the application's own folder holding its scheduler file
// (apps/<id>), "" when there is none or the folder is not the
// application's own (it is removed with all it holds).
func discoveryDir(p, appID string) string {
	if p == "" || path.Base(path.Dir(p)) != appID {
		return ""
	}
	return path.Dir(p)
}

func hadoopNode(c *container) string { return hadooprpc.NodeAddress(c.yarn.GetNodeId()) }

func sortContainers(cs []ContainerStatus) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Started.Equal(cs[j].Started) {
			return cs[i].ID < cs[j].ID
		}
		return cs[i].Started.Before(cs[j].Started)
	})
}
