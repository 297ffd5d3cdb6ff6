package appmaster

import (
	"encoding/json"
	"fmt"
	rt "github.com/spindle-yarn/spindle/container"
	"net/url"
	"os"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/spec"
)

// PlanFile is the name of the plan in the AM's working directory.
const PlanFile = "spindle-plan.json"

// SecretAlias names the control secret in the application's credentials:
// the client, the AM and every container runtime share it.
const SecretAlias = rt.SecretAlias

// Plan is what `spindle submit` hands the AM: the validated spec and where
// on HDFS everything the containers need already lies.
type Plan struct {
	AppID string     `json:"app_id"`
	User  string     `json:"user"`
	Spec  *spec.Spec `json:"spec"`
	// StagingDir is removed when the application finishes.
	StagingDir string `json:"staging_dir"`
	// DiscoveryPath is where the scheduler file is published.
	DiscoveryPath string `json:"discovery_path"`
	// Binary is the spindle executable every container runs.
	Binary Resource `json:"binary"`
	// Environment is the packed Python environment, unpacked by YARN.
	Environment *Resource `json:"environment,omitempty"`
	// Files are each service's extra files by link name.
	Files map[string]map[string]Resource `json:"files,omitempty"`
	// Principal, with a keytab in the AM's credentials (KeytabAlias), is
	// what the AM logs in as to refresh the delegation tokens.
	Principal string `json:"principal,omitempty"`
}

// Resource is an HDFS file YARN localizes into a container.
type Resource struct {
	URL        string `json:"url"` // hdfs://host:port/path
	Size       int64  `json:"size"`
	Timestamp  int64  `json:"timestamp"` // the file's mtime in ms: YARN checks it
	Archive    bool   `json:"archive,omitempty"`
	Visibility string `json:"visibility,omitempty"` // PRIVATE (cached per user on each node) or APPLICATION
}

// Proto is the LocalResourceProto for the launch context.
func (r Resource) Proto() (*yarnpb.LocalResourceProto, error) {
	u, err := url.Parse(r.URL)
	if err != nil || u.Scheme == "" {
		return nil, fmt.Errorf("resource %q: not a URL with a scheme", r.URL)
	}
	lr := &yarnpb.LocalResourceProto{
		Resource:   &yarnpb.URLProto{Scheme: proto.String(u.Scheme), Host: proto.String(u.Hostname()), File: proto.String(u.Path)},
		Size:       proto.Int64(r.Size),
		Timestamp:  proto.Int64(r.Timestamp),
		Type:       yarnpb.LocalResourceTypeProto_FILE.Enum(),
		Visibility: yarnpb.LocalResourceVisibilityProto_APPLICATION.Enum(),
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("resource %q: bad port", r.URL)
		}
		lr.Resource.Port = proto.Int32(int32(n))
	}
	if r.Archive {
		lr.Type = yarnpb.LocalResourceTypeProto_ARCHIVE.Enum()
	}
	if r.Visibility == "PRIVATE" {
		lr.Visibility = yarnpb.LocalResourceVisibilityProto_PRIVATE.Enum()
	}
	return lr, nil
}

// ReadPlan reads the plan from the AM's working directory.
func ReadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	p := &Plan{}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	if p.Spec == nil || p.AppID == "" || p.Binary.URL == "" {
		return nil, fmt.Errorf("read plan %s: incomplete (app id, spec and binary are required)", path)
	}
	return p, nil
}
