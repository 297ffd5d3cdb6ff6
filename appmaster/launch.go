package appmaster

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	rt "github.com/spindle-yarn/spindle/container"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// EnvLink is the folder name YARN unpacks the environment archive into.
const EnvLink = "environment"

// launchContext is what a service's container runs: `spindle container`,
// which activates the environment and runs the Dask process. Called with
// am.mu held.
func (am *AM) launchContext(s *service) (*yarnpb.ContainerLaunchContextProto, error) {
	resources := map[string]Resource{"spindle": am.plan.Binary}
	if am.plan.Environment != nil {
		resources[EnvLink] = *am.plan.Environment
	}
	for name, r := range am.plan.Files[s.name] {
		resources[name] = r
	}
	names := make([]string, 0, len(resources))
	for n := range resources {
		names = append(names, n)
	}
	sort.Strings(names)
	launch := &yarnpb.ContainerLaunchContextProto{
		Command: []string{"./spindle", "container", "1><LOG_DIR>/stdout", "2><LOG_DIR>/stderr"},
	}
	for _, n := range names {
		lr, err := resources[n].Proto()
		if err != nil {
			return nil, err
		}
		launch.LocalResources = append(launch.LocalResources, &yarnpb.StringLocalResourceMapProto{Key: proto.String(n), Value: lr})
	}

	argv := append([]string{}, s.spec.Command...)
	argv = append(argv, s.spec.Args...)
	if s.pool != nil {
		// Dask's worker defaults (all cores, all memory of the node) are
		// wrong inside a container: use what YARN granted.
		argv = append(argv, "--nthreads", itoa(s.spec.Resources.VCores),
			"--memory-limit", fmt.Sprintf("%dMiB", s.spec.Resources.Memory.MiB()))
		if r := s.pool.DaskResourcesArg(); r != "" {
			argv = append(argv, "--resources", r)
		}
	}
	cmd, _ := json.Marshal(argv)
	env := map[string]string{
		rt.EnvAMURL:   "http://" + am.controlAddr,
		rt.EnvAppID:   am.plan.AppID,
		rt.EnvService: s.name,
		rt.EnvRole:    s.role,
		// base64: the NodeManager puts env values between double quotes in
		// its launch script without escaping them.
		rt.EnvCommand:   base64.StdEncoding.EncodeToString(cmd),
		rt.EnvStopGrace: rt.DefaultStopGrace.String(),
	}
	if am.plan.Environment != nil {
		env[rt.EnvEnvDir] = EnvLink
	}
	if s.role == "worker" {
		env[rt.EnvSchedulerAddress] = am.scheduler.Address
	}
	for k, v := range s.spec.Env {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		launch.Environment = append(launch.Environment, &yarnpb.StringStringMapProto{Key: proto.String(k), Value: proto.String(env[k])})
	}

	creds := credentials.New()
	creds.AddSecret(SecretAlias, am.secret)
	launch.Tokens = creds.ContainerTokens()
	return launch, nil
}

// bearer is the Authorization header value for the control secret.
func bearer(secret []byte) string { return "Bearer " + hex.EncodeToString(secret) }
