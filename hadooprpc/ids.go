package hadooprpc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"google.golang.org/protobuf/proto"
)

// ApplicationID formats an application id as YARN prints it:
// application_<cluster timestamp>_<sequence, at least 4 digits>.
func ApplicationID(id *yarnpb.ApplicationIdProto) string {
	return fmt.Sprintf("application_%d_%04d", id.GetClusterTimestamp(), id.GetId())
}

// ParseApplicationID reads "application_<timestamp>_<n>".
func ParseApplicationID(s string) (*yarnpb.ApplicationIdProto, error) {
	parts := strings.Split(s, "_")
	if len(parts) != 3 || parts[0] != "application" {
		return nil, fmt.Errorf("%q is not an application id: want application_<cluster timestamp>_<number>, e.g. application_1700000000000_0001", s)
	}
	ts, err1 := strconv.ParseInt(parts[1], 10, 64)
	n, err2 := strconv.ParseInt(parts[2], 10, 32)
	if err1 != nil || err2 != nil || ts < 0 || n < 0 {
		return nil, fmt.Errorf("%q is not an application id: its timestamp and number must be decimal, e.g. application_1700000000000_0001", s)
	}
	return &yarnpb.ApplicationIdProto{ClusterTimestamp: proto.Int64(ts), Id: proto.Int32(int32(n))}, nil
}

// AttemptID formats an attempt id: appattempt_<timestamp>_<app>_<attempt, 6 digits>.
func AttemptID(id *yarnpb.ApplicationAttemptIdProto) string {
	app := id.GetApplicationId()
	return fmt.Sprintf("appattempt_%d_%04d_%06d", app.GetClusterTimestamp(), app.GetId(), id.GetAttemptId())
}

// containerSeqBits is how many low bits of ContainerIdProto.id hold the
// container number; the bits above hold the ResourceManager epoch.
const containerSeqBits = 40

// ContainerID formats a container id as YARN prints it:
// container_[e<epoch>_]<timestamp>_<app>_<attempt>_<n>.
func ContainerID(id *yarnpb.ContainerIdProto) string {
	att := id.GetAppAttemptId()
	app := att.GetApplicationId()
	if app == nil {
		app = id.GetAppId()
	}
	epoch := id.GetId() >> containerSeqBits
	seq := id.GetId() & (1<<containerSeqBits - 1)
	var sb strings.Builder
	sb.WriteString("container_")
	if epoch > 0 {
		fmt.Fprintf(&sb, "e%02d_", epoch)
	}
	fmt.Fprintf(&sb, "%d_%04d_%02d_%06d", app.GetClusterTimestamp(), app.GetId(), att.GetAttemptId(), seq)
	return sb.String()
}

// ParseContainerID reads a container id, with or without the epoch part.
func ParseContainerID(s string) (*yarnpb.ContainerIdProto, error) {
	bad := func() error {
		return fmt.Errorf("%q is not a container id: want container_[e<epoch>_]<timestamp>_<app>_<attempt>_<n>, e.g. container_1700000000000_0001_01_000002", s)
	}
	parts := strings.Split(s, "_")
	if len(parts) < 5 || parts[0] != "container" {
		return nil, bad()
	}
	var epoch int64
	rest := parts[1:]
	if strings.HasPrefix(rest[0], "e") {
		e, err := strconv.ParseInt(rest[0][1:], 10, 64)
		if err != nil || e < 0 || e >= 1<<(63-containerSeqBits) {
			return nil, bad()
		}
		epoch, rest = e, rest[1:]
	}
	if len(rest) != 4 {
		return nil, bad()
	}
	var nums [4]int64
	for i, p := range rest {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return nil, bad()
		}
		nums[i] = n
	}
	if nums[1] > 1<<31-1 || nums[2] > 1<<31-1 || nums[3] >= 1<<containerSeqBits {
		return nil, bad()
	}
	app := &yarnpb.ApplicationIdProto{ClusterTimestamp: proto.Int64(nums[0]), Id: proto.Int32(int32(nums[1]))}
	att := &yarnpb.ApplicationAttemptIdProto{ApplicationId: app, AttemptId: proto.Int32(int32(nums[2]))}
	return &yarnpb.ContainerIdProto{AppId: app, AppAttemptId: att, Id: proto.Int64(epoch<<containerSeqBits | nums[3])}, nil
}
