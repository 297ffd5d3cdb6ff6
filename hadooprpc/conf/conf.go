// Package conf reads Hadoop client configuration the way Hadoop's Java
// Configuration does, for the keys Spindle needs: it owns locating and
// parsing core-site.xml, hdfs-site.xml and yarn-site.xml, final properties,
// ${var} expansion, Hadoop 3.4.1's defaults for the keys Spindle reads,
// typed accessors whose errors name the file and key, and the
// ResourceManager (including HA) and NameNode address lookups.
package conf

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SiteFiles are the files Load reads from each configuration directory, in
// the order Hadoop layers them (core, then HDFS, then YARN).
var SiteFiles = []string{"core-site.xml", "hdfs-site.xml", "yarn-site.xml"}

// ErrNoConfDir is returned by FromEnvironment when neither HADOOP_CONF_DIR
// nor YARN_CONF_DIR is set.
var ErrNoConfDir = errors.New("no Hadoop configuration directory: set HADOOP_CONF_DIR to the directory holding your cluster's core-site.xml and yarn-site.xml")

// SourceProgram is the Source of values set with Set.
const SourceProgram = "set programmatically"

type entry struct {
	value  string
	source string
}

// Config is a layered Hadoop configuration: built-in defaults, then site
// files in load order, then values set with Set. It is not safe for
// concurrent mutation; concurrent reads are fine.
type Config struct {
	props    map[string]entry
	finals   map[string]bool
	dirs     []string
	files    []string
	warnings []string

	// Overridable for tests; nil means the process environment and the
	// built-in system-property table.
	env      func(string) (string, bool)
	sysProps map[string]string
}

// New returns a Config holding only Hadoop's defaults for the keys Spindle
// uses.
func New() *Config {
	c := &Config{props: make(map[string]entry, len(defaults))}
	for _, d := range defaults {
		c.props[d.key] = entry{value: d.value, source: d.file + " (built in)"}
	}
	return c
}

// FromEnvironment loads the configuration from $HADOOP_CONF_DIR and then
// $YARN_CONF_DIR (when set and different), later files overriding earlier
// ones unless final.
func FromEnvironment() (*Config, error) {
	var dirs []string
	for _, v := range []string{"HADOOP_CONF_DIR", "YARN_CONF_DIR"} {
		d := strings.TrimSpace(os.Getenv(v))
		if d != "" && !contains(dirs, filepath.Clean(d)) {
			dirs = append(dirs, filepath.Clean(d))
		}
	}
	if len(dirs) == 0 {
		return nil, ErrNoConfDir
	}
	return Load(dirs...)
}

// Load reads the site files found in dirs on top of the defaults. Files are
// read in SiteFiles order, and for each file name the directories in the
// order given, so yarn-site.xml overrides core-site.xml and a later
// directory overrides an earlier one; a property marked final keeps its
// first value. Each directory must exist and at least one site file must be
// found overall.
func Load(dirs ...string) (*Config, error) {
	if len(dirs) == 0 {
		return nil, ErrNoConfDir
	}
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return nil, fmt.Errorf("reading Hadoop configuration directory: %w (set HADOOP_CONF_DIR to your cluster's configuration directory)", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("Hadoop configuration directory %s is not a directory (set HADOOP_CONF_DIR to the directory holding core-site.xml and yarn-site.xml)", d)
		}
	}
	c := New()
	c.dirs = append([]string(nil), dirs...)
	for _, name := range SiteFiles {
		for _, d := range dirs {
			p := filepath.Join(d, name)
			err := c.AddFile(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if len(c.files) == 0 {
		return nil, fmt.Errorf("no Hadoop site files (%s) in %s: set HADOOP_CONF_DIR to your cluster's Hadoop configuration directory",
			strings.Join(SiteFiles, ", "), strings.Join(dirs, ", "))
	}
	return c, nil
}

// AddFile layers one configuration file on top of what is loaded. The
// returned error wraps fs.ErrNotExist when the file is missing.
func (c *Config) AddFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading Hadoop configuration: %w", err)
	}
	defer f.Close()
	return c.AddReader(f, path)
}

// AddReader layers a configuration document read from r; name identifies
// it in Source and in error messages.
func (c *Config) AddReader(r io.Reader, name string) error {
	props, err := parseXML(r)
	if err != nil {
		return fmt.Errorf("reading Hadoop configuration %s: %w", name, err)
	}
	for _, p := range props {
		c.load(p, name)
	}
	c.files = append(c.files, name)
	return nil
}

// deprecatedKeys maps old key names still found in site files to the names
// Spindle reads; Hadoop sets both when it loads the old one.
var deprecatedKeys = map[string]string{
	"fs.default.name": "fs.defaultFS",
}

func (c *Config) load(p property, source string) {
	keys := []string{p.name}
	if nk, ok := deprecatedKeys[p.name]; ok {
		keys = append(keys, nk)
	}
	for _, k := range keys {
		if p.hasValue {
			if c.finals[k] {
				if old, ok := c.props[k]; !ok || old.value != p.value {
					c.warnings = append(c.warnings, fmt.Sprintf(
						"%s: ignored an attempt to override final parameter %s", source, k))
				}
			} else {
				c.props[k] = entry{value: p.value, source: source}
			}
		}
		// As in Hadoop, final applies even to a property without a value:
		// later files cannot set the key either.
		if p.final {
			if c.finals == nil {
				c.finals = map[string]bool{}
			}
			c.finals[k] = true
		}
	}
}
