package hadooprpc_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

const testAMEnv = "SPINDLE_TEST_AM"

// TestAMLifecycle submits an application whose AM is this test binary. The
// AM reads its token file, registers on the scheduler port with the
// AMRMToken, gets one container, starts `echo ok` in it on a NodeManager
// with that node's NMToken, sees it complete with exit 0 and unregisters
// SUCCEEDED. The RM must then report FINISHED/SUCCEEDED.
func TestAMLifecycle(t *testing.T) {
	c := hadoop.Get(t)
	cfg := clusterConf(t)
	rm := rmClient(t, cfg)
	ctx := ctxT(t, 2*time.Minute)

	app, err := rm.NewApplication(ctx)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id := app.GetApplicationId()
	sub := &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   id,
		ApplicationName: proto.String("spindle-test-am"),
		ApplicationType: proto.String("SPINDLE-TEST"),
		MaxAppAttempts:  proto.Int32(1),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(128), VirtualCores: proto.Int32(1)},
		AmContainerSpec: &yarnpb.ContainerLaunchContextProto{
			Command: []string{self, "-test.run=^$", "1><LOG_DIR>/stdout", "2><LOG_DIR>/stderr"},
			Environment: []*yarnpb.StringStringMapProto{
				{Key: proto.String(testAMEnv), Value: proto.String("1")},
				{Key: proto.String("HADOOP_CONF_DIR"), Value: proto.String(c.ConfDir)},
			},
		},
	}
	if err := rm.SubmitApplication(ctx, sub); err != nil {
		t.Fatal(err)
	}
	appID := hadooprpc.ApplicationID(id)

	var rep *yarnpb.ApplicationReportProto
	for {
		rep, err = rm.ApplicationReport(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		st := rep.GetYarnApplicationState()
		if st == yarnpb.YarnApplicationStateProto_FINISHED || st == yarnpb.YarnApplicationStateProto_FAILED || st == yarnpb.YarnApplicationStateProto_KILLED {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s still %s after 2 minutes: %s", appID, st, rep.GetDiagnostics())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if rep.GetYarnApplicationState() != yarnpb.YarnApplicationStateProto_FINISHED ||
		rep.GetFinalApplicationStatus() != yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED {
		t.Fatalf("%s ended %s/%s: %s", appID, rep.GetYarnApplicationState(), rep.GetFinalApplicationStatus(), rep.GetDiagnostics())
	}
	if !strings.Contains(rep.GetDiagnostics(), "exited 0") {
		t.Fatalf("%s: AM diagnostics %q do not report the container's exit", appID, rep.GetDiagnostics())
	}

	// The finished application is listed with the filters spindle list uses.
	apps, err := rm.Applications(ctx, &yarnpb.GetApplicationsRequestProto{
		ApplicationTypes:  []string{"SPINDLE-TEST"},
		ApplicationStates: []yarnpb.YarnApplicationStateProto{yarnpb.YarnApplicationStateProto_FINISHED},
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range apps {
		found = found || hadooprpc.ApplicationID(a.GetApplicationId()) == appID
	}
	if !found {
		t.Fatalf("%s missing from getApplications(type SPINDLE-TEST, FINISHED): %d apps", appID, len(apps))
	}
}

// runTestAM is the application master's side of TestAMLifecycle.
func runTestAM() int {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg, err := conf.FromEnvironment()
	if err != nil {
		fmt.Fprintln(os.Stderr, "test AM:", err)
		return 1
	}
	creds, err := credentials.ReadFile(os.Getenv("HADOOP_TOKEN_FILE_LOCATION"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "test AM:", err)
		return 1
	}
	tok, ok := creds.TokenByKind(hadooprpc.AMRMTokenKind)
	if !ok {
		fmt.Fprintln(os.Stderr, "test AM: no AMRMToken in", creds.TokenAliases())
		return 1
	}
	amrm, err := hadooprpc.NewAMRM(cfg, hadooprpc.Token(tok))
	if err != nil {
		fmt.Fprintln(os.Stderr, "test AM:", err)
		return 1
	}
	defer amrm.Close()
	if _, err := amrm.Register(ctx, "localhost", 0, ""); err != nil {
		fmt.Fprintln(os.Stderr, "test AM:", err)
		return 1
	}
	diag, err := runOneContainer(ctx, cfg, amrm)
	status := yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED
	if err != nil {
		status, diag = yarnpb.FinalApplicationStatusProto_APP_FAILED, err.Error()
	}
	fmt.Println("test AM:", diag)
	if err := amrm.Finish(ctx, status, diag, ""); err != nil {
		fmt.Fprintln(os.Stderr, "test AM:", err)
		return 1
	}
	return 0
}

func runOneContainer(ctx context.Context, cfg *conf.Config, amrm *hadooprpc.AMRM) (string, error) {
	nms, err := hadooprpc.NewNodeManagers(cfg)
	if err != nil {
		return "", err
	}
	defer nms.Close()
	ask := &yarnpb.ResourceRequestProto{
		Priority:            &yarnpb.PriorityProto{Priority: proto.Int32(1)},
		ResourceName:        proto.String("*"),
		Capability:          &yarnpb.ResourceProto{Memory: proto.Int64(64), VirtualCores: proto.Int32(1)},
		NumContainers:       proto.Int32(1),
		AllocationRequestId: proto.Int64(7),
	}
	var started *yarnpb.ContainerProto
	for {
		req := &yarnpb.AllocateRequestProto{Progress: proto.Float32(0.5)}
		if started == nil {
			req.Ask = []*yarnpb.ResourceRequestProto{ask}
		}
		resp, err := amrm.Allocate(ctx, req)
		if err != nil {
			return "", err
		}
		nms.AddTokens(resp.GetNmTokens())
		for _, c := range resp.GetAllocatedContainers() {
			if started != nil {
				continue
			}
			if c.GetAllocationRequestId() != 7 {
				return "", fmt.Errorf("container %s carries allocation request id %d, want 7", hadooprpc.ContainerID(c.GetId()), c.GetAllocationRequestId())
			}
			// Absolute asks: from now on we want zero more.
			ask.NumContainers = proto.Int32(0)
			launch := &yarnpb.ContainerLaunchContextProto{
				Command: []string{"/bin/sh -c 'echo ok' 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
			}
			if err := nms.StartContainer(ctx, c, launch); err != nil {
				return "", err
			}
			started = c
			if _, err := nms.ContainerStatus(ctx, c.GetNodeId(), c.GetId()); err != nil && !errors.Is(err, hadooprpc.ErrContainerNotFound) {
				return "", err
			}
		}
		for _, s := range resp.GetCompletedContainerStatuses() {
			if started != nil && proto.Equal(s.GetContainerId(), started.GetId()) {
				if s.GetExitStatus() != 0 {
					return "", fmt.Errorf("container %s exited %d: %s", hadooprpc.ContainerID(s.GetContainerId()), s.GetExitStatus(), s.GetDiagnostics())
				}
				return fmt.Sprintf("container %s on %s exited 0", hadooprpc.ContainerID(s.GetContainerId()), hadooprpc.NodeAddress(started.GetNodeId())), nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for the container: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
