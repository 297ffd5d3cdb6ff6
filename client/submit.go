package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"
	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/appmaster"
	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/envpack"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/nodeenv"
	"github.com/spindle-yarn/spindle/spec"
)

// ApplicationType is what Spindle applications are listed as in YARN.
const ApplicationType = "SPINDLE"

// SubmitOptions tune a submission.
type SubmitOptions struct {
	// Binary is the spindle executable shipped to the AM and containers
	// (a static Linux build); default: this executable.
	Binary string
	// Pack are the envpack options for a local environment folder.
	Pack envpack.Options
}

// ErrInvalidSpec: the spec asks for something the cluster cannot give.
var ErrInvalidSpec = errors.New("invalid application spec")

// Submit stages and submits an application and returns its id. Nothing is
// submitted when the spec asks for more than the cluster grants.
func (c *Client) Submit(ctx context.Context, sp *spec.Spec, o SubmitOptions) (string, error) {
	if err := sp.Validate(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	// The user name is in every path the NodeManager writes into its
	// launch script (usercache/<user>/...).
	if err := launchenv.CheckLiteral(c.User); err != nil {
		return "", fmt.Errorf("%w: user name %w: set HADOOP_USER_NAME or the spec's user to a plain name", ErrInvalidSpec, err)
	}
	binary := o.Binary
	if binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("find the spindle binary to ship: %w", err)
		}
		binary = exe
	}
	app, err := c.RM.NewApplication(ctx)
	if err != nil {
		return "", fmt.Errorf("ask the ResourceManager for an application id: %w", err)
	}
	appID := hadooprpc.ApplicationID(app.GetApplicationId())
	if err := checkFits(sp, app.GetMaximumCapability()); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSpec, err)
	}
	fs, err := c.FS()
	if err != nil {
		return "", err
	}
	creds, err := c.appCredentials(ctx)
	if err != nil {
		return "", err
	}
	staging := c.stagingDir(appID)
	if err := fs.MkdirAll(staging, 0o700); err != nil {
		return "", fmt.Errorf("create staging folder %s: %w", staging, err)
	}
	plan := &appmaster.Plan{AppID: appID, User: c.User, Spec: sp, StagingDir: staging, DiscoveryPath: c.DiscoveryPath(appID),
		Files: map[string]map[string]appmaster.Resource{}}
	if err := c.shipKeytab(creds, plan); err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			_ = fs.RemoveAll(staging)
		}
	}()

	var uploaded bool
	if plan.Binary, uploaded, err = c.uploadCached(fs, "bin", binary, "spindle"); err != nil {
		return "", fmt.Errorf("ship the spindle binary: %w", err)
	}
	c.progress("spindle binary: %s (%s)", plan.Binary.URL, map[bool]string{true: "uploaded", false: "cached"}[uploaded])
	if nodeenv.IsURI(sp.Environment) {
		// Already on every node: nothing to ship; the AM passes it on.
		c.progress("environment %s: on the nodes, nothing uploaded", sp.Environment)
	} else if sp.Environment != "" {
		env, err := c.environment(ctx, fs, sp.Environment, o)
		if err != nil {
			return "", err
		}
		plan.Environment = &env
	}
	services := map[string]map[string]spec.File{"scheduler": sp.Scheduler.Files}
	for i := range sp.Workers {
		services[sp.Workers[i].Name] = sp.Workers[i].Files
	}
	if sp.Client != nil {
		// The script travels like any file of the client's container.
		services[spec.ClientService] = sp.Client.StagedFiles()
	}
	for name, sf := range services {
		files, err := c.stageFiles(fs, staging, name, sf)
		if err != nil {
			return "", err
		}
		if len(files) > 0 {
			plan.Files[name] = files
		}
	}

	tlsBundle, err := c.setupTLS(fs, appID, sp)
	if err != nil {
		return "", err
	}
	secret, err := newSecret()
	if err != nil {
		return "", err
	}
	if err := c.saveSecret(fs, appID, staging, secret); err != nil {
		return "", err
	}
	planPath := path.Join(staging, appmaster.PlanFile)
	if err := writeHDFS(fs, planPath, mustJSON(plan), 0o600); err != nil {
		return "", fmt.Errorf("stage the plan: %w", err)
	}
	amFiles := map[string]appmaster.Resource{"spindle": plan.Binary}
	if amFiles[appmaster.PlanFile], err = c.resource(fs, planPath); err != nil {
		return "", err
	}
	// The AM reads the same Hadoop configuration as this client.
	for _, f := range c.Hadoop.Files() {
		dst := path.Join(staging, filepath.Base(f))
		if err := copyToHDFS(fs, f, dst, 0o600); err != nil {
			return "", fmt.Errorf("stage Hadoop configuration: %w", err)
		}
		if amFiles[filepath.Base(f)], err = c.resource(fs, dst); err != nil {
			return "", err
		}
	}

	amEnv := map[string]string{"HADOOP_USER_NAME": c.User}
	if plan.Principal != "" {
		if err := c.shipKrb5Conf(fs, staging, amFiles, amEnv); err != nil {
			return "", err
		}
	}
	launch := &yarnpb.ContainerLaunchContextProto{
		Command: []string{"./spindle", "appmaster", "1><LOG_DIR>/stdout", "2><LOG_DIR>/stderr"},
	}
	if launch.Environment, err = appmaster.Environment(amEnv); err != nil {
		return "", fmt.Errorf("%w: user: %w", ErrInvalidSpec, err)
	}
	names := make([]string, 0, len(amFiles))
	for n := range amFiles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lr, err := appmaster.LocalResource(n, amFiles[n])
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrInvalidSpec, err)
		}
		launch.LocalResources = append(launch.LocalResources, &yarnpb.StringLocalResourceMapProto{Key: proto.String(n), Value: lr})
	}
	creds.AddSecret(appmaster.SecretAlias, secret)
	if tlsBundle != nil {
		tlsBundle.AddTo(creds, dasktls.Roles...) // the AM hands each container its role's pair
	}
	launch.Tokens = creds.ContainerTokens()

	sub := &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   app.GetApplicationId(),
		ApplicationName: proto.String(sp.Name),
		Queue:           proto.String(sp.Queue),
		ApplicationType: proto.String(ApplicationType),
		ApplicationTags: sp.Tags,
		MaxAppAttempts:  proto.Int32(int32(sp.MaxAttempts)),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(sp.AM.Memory.MiB()), VirtualCores: proto.Int32(int32(sp.AM.VCores))},
		AmContainerSpec: launch,
	}
	if err := c.RM.SubmitApplication(ctx, sub); err != nil {
		return "", err
	}
	ok = true
	return appID, nil
}

// checkFits compares every container with the largest the RM grants.
func checkFits(sp *spec.Spec, max *yarnpb.ResourceProto) error {
	if max == nil {
		return nil
	}
	var errs []error
	check := func(key string, r spec.Resources) {
		if m := max.GetMemory(); m > 0 && r.Memory.MiB() > m {
			errs = append(errs, fmt.Errorf("%s.memory: %s is more than the largest container this cluster grants (%d MiB, yarn.scheduler.maximum-allocation-mb)", key, r.Memory, m))
		}
		if v := max.GetVirtualCores(); v > 0 && int32(r.VCores) > v {
			errs = append(errs, fmt.Errorf("%s.vcores: %d is more than the largest container this cluster grants (%d, yarn.scheduler.maximum-allocation-vcores)", key, r.VCores, v))
		}
		other := map[string]int64{}
		for _, ri := range max.GetResourceValueMap() {
			other[ri.GetKey()] = ri.GetValue()
		}
		want := map[string]int64{}
		if r.GPUs > 0 {
			want[spec.GPUResource] = int64(r.GPUs)
		}
		for k, v := range r.Other {
			want[k] = v
		}
		for k, v := range want {
			m, known := other[k]
			switch {
			case !known:
				errs = append(errs, fmt.Errorf("%s: resource type %s is not configured on this cluster (yarn.resource-types)", key, k))
			case v > m:
				errs = append(errs, fmt.Errorf("%s: %d %s is more than the largest container this cluster grants (%d)", key, v, k, m))
			}
		}
	}
	check("application_master", sp.AM)
	check("scheduler.resources", sp.Scheduler.Resources)
	for _, w := range sp.Workers {
		check("workers["+w.Name+"].resources", w.Resources)
	}
	if sp.Client != nil {
		check("client.resources", sp.Client.Resources)
	}
	return errors.Join(errs...)
}

// environment ships the Python environment: an hdfs:// archive as it is;
// a local folder packed once per content (envpack's fingerprint decides,
// without re-reading the files); a local archive as it is. Local archives
// go to the user's content-addressed cache on HDFS once: later submissions
// reuse the same file with the same timestamp, so NodeManagers reuse what
// they already localized.
func (c *Client) environment(ctx context.Context, fs *hdfs.Client, src string, o SubmitOptions) (appmaster.Resource, error) {
	if strings.HasPrefix(src, "hdfs://") {
		r, err := c.resource(fs, hdfsPath(src))
		if err != nil {
			return r, fmt.Errorf("environment %s: %w", src, err)
		}
		r.URL, r.Archive, r.Visibility = src, true, "PRIVATE"
		return r, nil
	}
	fi, err := os.Stat(src)
	if err != nil {
		return appmaster.Resource{}, fmt.Errorf("environment: %w", err)
	}
	archive, sum := src, ""
	if fi.IsDir() {
		cacheDir, err := envpack.DefaultLocalCacheDir()
		if err != nil {
			return appmaster.Resource{}, err
		}
		start := time.Now()
		a, err := envpack.PackCached(ctx, src, cacheDir, o.Pack)
		if err != nil {
			return appmaster.Resource{}, fmt.Errorf("environment %s: %w", src, err)
		}
		c.progress("environment %s: %s (%s in %s)", src, a.Path, map[bool]string{true: "unchanged, packed before", false: "packed"}[a.Reused],
			time.Since(start).Round(time.Millisecond))
		archive, sum = a.Path, a.SHA256
	} else if !strings.HasSuffix(src, ".tar.gz") && !strings.HasSuffix(src, ".tgz") {
		return appmaster.Resource{}, fmt.Errorf("environment %s: not a folder nor a .tar.gz archive (make one with `spindle env pack`)", src)
	}
	if sum == "" {
		if sum, err = fileSHA256(archive); err != nil {
			return appmaster.Resource{}, err
		}
	}
	e, err := envpack.NewCache(fs, envpack.DefaultCacheRoot(c.User)).Put(ctx, archive, sum)
	if err != nil {
		return appmaster.Resource{}, fmt.Errorf("environment %s: %w", src, err)
	}
	c.progress("environment: %s (%s)", e.Path, map[bool]string{true: "cached on HDFS, nothing uploaded", false: "uploaded"}[e.Reused])
	return appmaster.Resource{URL: c.hdfsURL(e.Path), Size: e.Size, Timestamp: e.ModTime.UnixMilli(), Archive: true, Visibility: "PRIVATE"}, nil
}

// stageFiles puts a service's extra files where its containers get them.
func (c *Client) stageFiles(fs *hdfs.Client, staging, svc string, files map[string]spec.File) (map[string]appmaster.Resource, error) {
	out := map[string]appmaster.Resource{}
	for name, f := range files {
		var r appmaster.Resource
		var err error
		if strings.HasPrefix(f.Source, "hdfs://") {
			if r, err = c.resource(fs, hdfsPath(f.Source)); err == nil {
				r.URL = f.Source
			}
		} else {
			dst := path.Join(staging, "files", svc, name)
			if err = fs.MkdirAll(path.Dir(dst), 0o700); err == nil {
				if err = copyToHDFS(fs, f.Source, dst, 0o600); err == nil {
					r, err = c.resource(fs, dst)
				}
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s.files.%s (%s): %w", svc, name, f.Source, err)
		}
		r.Archive = f.Type == "archive"
		out[name] = r
	}
	return out, nil
}

func hdfsPath(u string) string {
	rest := strings.TrimPrefix(u, "hdfs://")
	if i := strings.Index(rest, "/"); i >= 0 {
		return rest[i:]
	}
	return "/"
}
