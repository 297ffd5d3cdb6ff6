// Package yarnlogs reads YARN's aggregated container logs as the NodeManagers
// leave them on HDFS once an application ends: it owns where they live (the
// remote log root and suffix from configuration, Hadoop 3.3+'s bucketed
// directories and the older layouts, for each format the cluster's
// yarn.log-aggregation.file-formats lists), and what the node files hold in
// either format, TFile or IndexedFile ("IFile"): application owner and ACLs,
// then per container its log files. Reading is streamed: a container's files
// come one after another, each an io.Reader over its bytes.
package yarnlogs

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

// Configuration keys, as LogAggregationFileController (controller "TFile")
// and LogAggregationUtils read them in Hadoop 3.4.1.
const (
	KeyTFileRemoteAppLogDir       = "yarn.log-aggregation.TFile.remote-app-log-dir"
	KeyTFileRemoteAppLogDirSuffix = "yarn.log-aggregation.TFile.remote-app-log-dir-suffix"
	KeyRemoteAppLogDir            = "yarn.nodemanager.remote-app-log-dir"
	KeyRemoteAppLogDirSuffix      = "yarn.nodemanager.remote-app-log-dir-suffix"
	KeyIncludeOlder               = "yarn.nodemanager.remote-app-log-dir-include-older"
	KeyFileFormats                = "yarn.log-aggregation.file-formats"

	// Per-format keys, with the format's name for %s.
	keyFmtRemoteAppLogDir       = "yarn.log-aggregation.%s.remote-app-log-dir"
	keyFmtRemoteAppLogDirSuffix = "yarn.log-aggregation.%s.remote-app-log-dir-suffix"

	// FormatTFile and FormatIFile are the formats Hadoop ships.
	FormatTFile = "TFile"
	FormatIFile = "IFile"

	DefaultRemoteAppLogDir       = "/tmp/logs"
	DefaultRemoteAppLogDirSuffix = "logs"
)

// Layout says where aggregated logs are kept.
type Layout struct {
	// Format is the yarn.log-aggregation.file-formats entry it is for.
	Format string
	// Root is the remote log root, a path on the default file system.
	Root string
	// Suffix is the format's suffix, "logs-tfile" or "logs-ifile" by
	// default.
	Suffix string
	// NMSuffix is the NodeManager's own suffix ("logs"), which Hadoop 3.0
	// and 3.1 used alone.
	NMSuffix string
	// IncludeOlder makes AppDirs list the pre-3.3 layouts too, as Hadoop
	// does unless yarn.nodemanager.remote-app-log-dir-include-older is false.
	IncludeOlder bool
}

// LayoutFromConfig resolves the TFile layout; see LayoutForFormat.
func LayoutFromConfig(cfg *conf.Config) (Layout, error) { return LayoutForFormat(cfg, FormatTFile) }

// LayoutsFromConfig resolves the layout of every format
// yarn.log-aggregation.file-formats lists (TFile when unset), in its order:
// the first is the one NodeManagers write.
func LayoutsFromConfig(cfg *conf.Config) ([]Layout, error) {
	list := FormatTFile
	if cfg != nil {
		if v, ok := cfg.Get(KeyFileFormats); ok && strings.TrimSpace(v) != "" {
			list = v
		}
	}
	var out []Layout
	seen := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		l, err := LayoutForFormat(cfg, f)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no format: set it to TFile, IFile or both", KeyFileFormats)
	}
	return out, nil
}

// LayoutForFormat resolves a format's layout as Hadoop 3.4.1's
// LogAggregationFileController does: the format's own key, else the
// NodeManager's, else the default; the suffix falls back to
// "<NodeManager suffix>-<format in lower case>". Which reader a node file
// needs is told from its bytes, so custom format names work too.
func LayoutForFormat(cfg *conf.Config, format string) (Layout, error) {
	get := func(key string) string {
		if cfg == nil {
			return ""
		}
		v, _ := cfg.Get(key)
		return strings.TrimSpace(v)
	}
	getDef := func(key, def string) string {
		if cfg == nil {
			return def
		}
		if v, ok := cfg.Get(key); ok {
			return strings.TrimSpace(v)
		}
		return def
	}
	l := Layout{Format: format, IncludeOlder: true}
	root := get(fmt.Sprintf(keyFmtRemoteAppLogDir, format))
	if root == "" {
		root = getDef(KeyRemoteAppLogDir, DefaultRemoteAppLogDir)
	}
	p, err := rootPath(root, format)
	if err != nil {
		return Layout{}, err
	}
	l.Root = p
	l.NMSuffix = getDef(KeyRemoteAppLogDirSuffix, DefaultRemoteAppLogDirSuffix)
	l.Suffix = get(fmt.Sprintf(keyFmtRemoteAppLogDirSuffix, format))
	if l.Suffix == "" {
		l.Suffix = l.NMSuffix + "-" + strings.ToLower(format)
	}
	if format != FormatTFile {
		// Only the TFile controller of Hadoop 3.0 and 3.1 used the
		// NodeManager's suffix alone.
		l.NMSuffix = l.Suffix
	}
	if cfg != nil {
		if l.IncludeOlder, err = cfg.GetBool(KeyIncludeOlder, true); err != nil {
			return Layout{}, err
		}
	}
	return l, nil
}

// rootPath turns the configured root (a path or a URI such as
// hdfs://nn:8020/tmp/logs) into an absolute path.
func rootPath(s, format string) (string, error) {
	p := s
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return "", fmt.Errorf("remote log dir %q: %w", s, err)
		}
		p = u.Path
	}
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("remote log dir %q is not an absolute path: set %s (or %s) to one", s, fmt.Sprintf(keyFmtRemoteAppLogDir, format), KeyRemoteAppLogDir)
	}
	return path.Clean(p), nil
}

// AppDirs lists where an application's node files may be, newest layout
// first:
//
//	{root}/{user}/bucket-{suffix}/{app sequence mod 10000, %04d}/{appID}  (3.3+)
//	{root}/{user}/{suffix}/{appID}                                        (3.2)
//	{root}/{user}/{nm suffix}/{appID}                                     (3.0, 3.1)
func (l Layout) AppDirs(user, appID string) ([]string, error) {
	seq, err := appSequence(appID)
	if err != nil {
		return nil, err
	}
	if user == "" || strings.Contains(user, "/") {
		return nil, fmt.Errorf("invalid application owner %q", user)
	}
	dirs := []string{path.Join(l.Root, user, "bucket-"+l.Suffix, fmt.Sprintf("%04d", seq%10000), appID)}
	if l.IncludeOlder {
		dirs = append(dirs, path.Join(l.Root, user, l.Suffix, appID))
		if l.NMSuffix != l.Suffix {
			dirs = append(dirs, path.Join(l.Root, user, l.NMSuffix, appID))
		}
	}
	return dirs, nil
}

// appSequence checks an application ID (application_{cluster ts}_{seq})
// and returns its sequence number.
func appSequence(appID string) (int64, error) {
	parts := strings.Split(appID, "_")
	if len(parts) != 3 || parts[0] != "application" {
		return 0, fmt.Errorf("invalid application ID %q: want application_<cluster timestamp>_<number>", appID)
	}
	if _, err := strconv.ParseInt(parts[1], 10, 64); err != nil {
		return 0, fmt.Errorf("invalid application ID %q: cluster timestamp %q", appID, parts[1])
	}
	seq, err := strconv.ParseInt(parts[2], 10, 32)
	if err != nil || seq < 0 {
		return 0, fmt.Errorf("invalid application ID %q: number %q", appID, parts[2])
	}
	return seq, nil
}
