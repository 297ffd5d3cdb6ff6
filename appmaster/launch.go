package appmaster

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	rt "github.com/spindle-yarn/spindle/container"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/nodeenv"
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
		lr, err := LocalResource(n, resources[n])
		if err != nil {
			return nil, err
		}
		launch.LocalResources = append(launch.LocalResources, &yarnpb.StringLocalResourceMapProto{Key: proto.String(n), Value: lr})
	}

	argv := append([]string{}, s.spec.Command...)
	argv = append(argv, s.spec.Args...)
	if s.role == roleClient {
		argv = am.plan.Spec.Client.Argv()
	}
	if s.pool != nil {
		// Dask's worker defaults (all cores, all memory of the node) are
		// wrong inside a container: use what YARN granted.
		argv = append(argv, "--nthreads", itoa(s.spec.Resources.VCores),
			"--memory-limit", fmt.Sprintf("%dMiB", s.spec.Resources.Memory.MiB()))
		if r := s.pool.DaskResourcesArg(); r != "" {
			argv = append(argv, "--resources", r)
		}
	}
	cmd, err := json.Marshal(argv)
	if err != nil {
		return nil, fmt.Errorf("encode the command: %w", err)
	}
	env := map[string]string{
		rt.EnvAMURL:   "http://" + am.controlAddr,
		rt.EnvAppID:   am.plan.AppID,
		rt.EnvService: s.name,
		rt.EnvRole:    s.role,
		// base64: the NodeManager puts env values between double quotes in
		// its launch script without escaping them.
		rt.EnvCommand:   base64.StdEncoding.EncodeToString(cmd),
		rt.EnvStopGrace: rt.DefaultStopGrace.String(),
		rt.EnvAMExpiry:  amExpiry(am.hadoop).String(),
	}
	if am.tokenPoll > 0 {
		env[rt.EnvTokenPoll] = am.tokenPoll.String()
	}
	if am.plan.Environment != nil {
		env[rt.EnvEnvDir] = EnvLink
	} else if nodeenv.IsURI(am.plan.Spec.Environment) {
		// Encoded: its path is the user's and may hold shell text.
		u, err := nodeenv.Parse(am.plan.Spec.Environment)
		if err != nil {
			return nil, fmt.Errorf("environment: %w", err)
		}
		env[rt.EnvNodeEnv] = nodeenv.Encode(u)
	}
	if s.role != "scheduler" {
		env[rt.EnvSchedulerAddress] = am.scheduler.Address
	}
	if s.pool != nil && s.pool.SchedulerWait != 0 {
		env[rt.EnvSchedulerWait] = time.Duration(s.pool.SchedulerWait).String()
	}
	// The spec's env goes encoded, as one variable the runtime decodes: the
	// NodeManager would run it as shell code otherwise.
	if env[launchenv.UserEnvVar], err = launchenv.Encode(s.spec.Env); err != nil {
		return nil, fmt.Errorf("%s.env: %w", s.name, err)
	}
	if launch.Environment, err = Environment(env); err != nil {
		return nil, err
	}

	creds, _ := am.tokens.Container(am.secret)
	if am.tls != nil {
		// Each container gets its own role's pair only (roles are named
		// as Dask's TLS roles: scheduler, worker, client).
		am.tls.AddTo(creds, dasktls.Role(s.role))
	}
	launch.Tokens = creds.ContainerTokens()
	return launch, nil
}

// bearer is the Authorization header value for the control secret.
func bearer(secret []byte) string { return "Bearer " + hex.EncodeToString(secret) }

// Environment is a launch context's environment, checked: the
// NodeManager writes each value unescaped into its shell script, so every
// one must be a literal there (user strings travel encoded instead).
func Environment(env map[string]string) ([]*yarnpb.StringStringMapProto, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*yarnpb.StringStringMapProto, 0, len(keys))
	for _, k := range keys {
		if !launchenv.IsName(k) {
			return nil, fmt.Errorf("environment variable name %q: %w", k, launchenv.ErrKey)
		}
		if err := launchenv.CheckLiteral(env[k]); err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", k, err)
		}
		out = append(out, &yarnpb.StringStringMapProto{Key: proto.String(k), Value: proto.String(env[k])})
	}
	return out, nil
}

// LocalResource is r for the launch context under the link name, checked:
// the NodeManager writes the name and the localized file's name unescaped
// into its shell script.
func LocalResource(name string, r Resource) (*yarnpb.LocalResourceProto, error) {
	if err := launchenv.CheckLinkName(name); err != nil {
		return nil, err
	}
	if err := launchenv.CheckSource(r.URL); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r.Proto()
}

// amExpiry is the cluster's AM liveness expiry: after it the ResourceManager
// counts a silent AM as dead, so a container that has not reached its AM
// for as long is an orphan and stops itself (container.ErrAMGone). Bounded
// to what the runtime accepts; unreadable means YARN's default.
func amExpiry(c *conf.Config) time.Duration {
	if c == nil {
		return rt.DefaultAMExpiry
	}
	d, err := c.GetDuration("yarn.am.liveness-monitor.expiry-interval-ms", rt.DefaultAMExpiry, time.Millisecond)
	if err != nil {
		return rt.DefaultAMExpiry
	}
	return max(rt.MinAMExpiry, min(d, rt.MaxAMExpiry))
}
