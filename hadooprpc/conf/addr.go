package conf

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Keys Spindle reads, for callers that want to name them in messages.
const (
	KeyRMHostname          = "yarn.resourcemanager.hostname"
	KeyRMAddress           = "yarn.resourcemanager.address"
	KeyRMSchedulerAddress  = "yarn.resourcemanager.scheduler.address"
	KeyRMWebAppAddress     = "yarn.resourcemanager.webapp.address"
	KeyRMWebAppHTTPSAddr   = "yarn.resourcemanager.webapp.https.address"
	KeyRMHAEnabled         = "yarn.resourcemanager.ha.enabled"
	KeyRMHAIDs             = "yarn.resourcemanager.ha.rm-ids"
	KeyRMPrincipal         = "yarn.resourcemanager.principal"
	KeyHTTPPolicy          = "yarn.http.policy"
	KeyDefaultFS           = "fs.defaultFS"
	KeySecurityAuth        = "hadoop.security.authentication"
	KeyRPCProtection       = "hadoop.rpc.protection"
	KeyRemoteAppLogDir     = "yarn.nodemanager.remote-app-log-dir"
	KeyRemoteAppLogDirSufx = "yarn.nodemanager.remote-app-log-dir-suffix"
	KeyLogAggFileFormats   = "yarn.log-aggregation.file-formats"
	KeyIPCClientPing       = "ipc.client.ping"
	KeyIPCPingInterval     = "ipc.ping.interval"
)

// Default ports, from YarnConfiguration and HdfsClientConfigKeys; used when
// an address has no port and for yarn.resourcemanager.hostname.<id>.
const (
	DefaultRMPort            = 8032
	DefaultRMSchedulerPort   = 8030
	DefaultRMWebAppPort      = 8088
	DefaultRMWebAppHTTPSPort = 8090
	DefaultNameNodeRPCPort   = 8020
)

// RMHAEnabled reports yarn.resourcemanager.ha.enabled.
func (c *Config) RMHAEnabled() (bool, error) {
	return c.GetBool(KeyRMHAEnabled, false)
}

// RMHAIDs returns yarn.resourcemanager.ha.rm-ids in order. It is an error
// for the list to be empty when HA is enabled.
func (c *Config) RMHAIDs() ([]string, error) {
	ids := c.GetStrings(KeyRMHAIDs)
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s is true (%s) but %s lists no ResourceManager ids: set it to e.g. rm1,rm2 in yarn-site.xml",
			KeyRMHAEnabled, c.sourceOf(KeyRMHAEnabled), KeyRMHAIDs)
	}
	return ids, nil
}

// RMAddresses returns the ResourceManager client (ApplicationClientProtocol)
// addresses as host:port, one per RM in failover order.
func (c *Config) RMAddresses() ([]string, error) {
	return c.RMServiceAddresses(KeyRMAddress, DefaultRMPort)
}

// RMSchedulerAddresses returns the ResourceManager scheduler
// (ApplicationMasterProtocol) addresses as host:port.
func (c *Config) RMSchedulerAddresses() ([]string, error) {
	return c.RMServiceAddresses(KeyRMSchedulerAddress, DefaultRMSchedulerPort)
}

// WebAppHTTPS reports whether yarn.http.policy is HTTPS_ONLY, in which case
// the RM web UI and REST API are served over HTTPS only.
func (c *Config) WebAppHTTPS() bool {
	return strings.EqualFold(strings.TrimSpace(c.GetDefault(KeyHTTPPolicy, "HTTP_ONLY")), "HTTPS_ONLY")
}

// RMWebAppAddresses returns the ResourceManager web (REST) addresses as
// host:port: yarn.resourcemanager.webapp.https.address when WebAppHTTPS,
// else yarn.resourcemanager.webapp.address.
func (c *Config) RMWebAppAddresses() ([]string, error) {
	if c.WebAppHTTPS() {
		return c.RMServiceAddresses(KeyRMWebAppHTTPSAddr, DefaultRMWebAppHTTPSPort)
	}
	return c.RMServiceAddresses(KeyRMWebAppAddress, DefaultRMWebAppPort)
}

// RMServiceAddresses resolves one ResourceManager address key the way
// YARN's HAUtil does. Without HA it is the key's value (default port added
// when missing). With HA it is, for each id in yarn.resourcemanager.ha.rm-ids,
// <key>.<id>, or else yarn.resourcemanager.hostname.<id> with defaultPort.
func (c *Config) RMServiceAddresses(key string, defaultPort int) ([]string, error) {
	ha, err := c.RMHAEnabled()
	if err != nil {
		return nil, err
	}
	if !ha {
		a, err := c.addressKey(key, defaultPort)
		if err != nil {
			return nil, err
		}
		return []string{a}, nil
	}
	ids, err := c.RMHAIDs()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		k := key + "." + id
		if _, ok := c.props[k]; ok {
			a, err := c.addressKey(k, defaultPort)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
			continue
		}
		hk := KeyRMHostname + "." + id
		host, _, err := c.Lookup(hk)
		if err != nil {
			return nil, err
		}
		host = strings.TrimSpace(host)
		if host == "" {
			return nil, fmt.Errorf("ResourceManager HA id %q (from %s in %s) has neither %s nor %s: set one of them in yarn-site.xml",
				id, KeyRMHAIDs, c.sourceOf(KeyRMHAIDs), k, hk)
		}
		a, err := parseHostPort(host, defaultPort)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", c.sourceOf(hk), hk, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// NameNodeAddresses returns the HDFS NameNode RPC addresses for
// fs.defaultFS as host:port. An hdfs:// URI with a port names one NameNode;
// without a port its authority may be an HA nameservice, resolved through
// dfs.ha.namenodes.<ns> and dfs.namenode.rpc-address.<ns>.<nn>, else a
// host on the default port 8020.
func (c *Config) NameNodeAddresses() ([]string, error) {
	raw, ok, err := c.Lookup(KeyDefaultFS)
	if err != nil {
		return nil, err
	}
	raw = strings.TrimSpace(raw)
	if !ok || raw == "" {
		return nil, fmt.Errorf("%s is not set: set it to your HDFS URI (e.g. hdfs://namenode:8020) in core-site.xml", KeyDefaultFS)
	}
	src := c.sourceOf(KeyDefaultFS)
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: value '%s' is not a URI: %v", src, KeyDefaultFS, raw, err)
	}
	if !strings.EqualFold(u.Scheme, "hdfs") {
		return nil, fmt.Errorf("%s: %s: '%s' is not an hdfs:// URI (Spindle needs HDFS): set fs.defaultFS in core-site.xml and point HADOOP_CONF_DIR at the cluster's configuration",
			src, KeyDefaultFS, raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%s: %s: '%s' has no host", src, KeyDefaultFS, raw)
	}
	if u.Port() != "" {
		a, err := parseHostPort(u.Host, DefaultNameNodeRPCPort)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", src, KeyDefaultFS, err)
		}
		return []string{a}, nil
	}
	if nns := c.GetStrings("dfs.ha.namenodes." + host); len(nns) > 0 {
		out := make([]string, 0, len(nns))
		for _, nn := range nns {
			k := "dfs.namenode.rpc-address." + host + "." + nn
			a, err := c.addressKey(k, DefaultNameNodeRPCPort)
			if err != nil {
				return nil, err
			}
			out = append(out, a)
		}
		return out, nil
	}
	if contains(c.GetStrings("dfs.nameservices"), host) {
		// A nameservice without HA has a single rpc-address.<ns>.
		k := "dfs.namenode.rpc-address." + host
		if _, ok := c.props[k]; ok {
			a, err := c.addressKey(k, DefaultNameNodeRPCPort)
			if err != nil {
				return nil, err
			}
			return []string{a}, nil
		}
		return nil, fmt.Errorf("%s names nameservice %q but neither dfs.ha.namenodes.%s nor %s is set: add them to hdfs-site.xml",
			KeyDefaultFS, host, host, k)
	}
	a, err := parseHostPort(u.Host, DefaultNameNodeRPCPort)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", src, KeyDefaultFS, err)
	}
	return []string{a}, nil
}

// addressKey reads key as host[:port], naming the file and key in errors.
func (c *Config) addressKey(key string, defaultPort int) (string, error) {
	v, ok, err := c.Lookup(key)
	if err != nil {
		return "", err
	}
	if !ok || strings.TrimSpace(v) == "" {
		return "", fmt.Errorf("%s is not set: add it (host:port) to the site file", key)
	}
	a, err := parseHostPort(v, defaultPort)
	if err != nil {
		return "", fmt.Errorf("%s: %s: %w", c.sourceOf(key), key, err)
	}
	return a, nil
}

func (c *Config) sourceOf(key string) string {
	if s, ok := c.Source(key); ok {
		return s
	}
	return "not set"
}

// parseHostPort normalises a Hadoop address. As in NetUtils.createSocketAddr
// a missing port means defaultPort; an empty host, an empty or non-numeric
// port, or a port out of range is an error. IPv6 literals need brackets.
func parseHostPort(v string, defaultPort int) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", fmt.Errorf("empty address: expected host:port")
	}
	if strings.Contains(v, "://") || strings.ContainsAny(v, "/ \t") {
		return "", fmt.Errorf("address '%s' is not host:port", v)
	}
	var host, port string
	switch {
	case strings.HasPrefix(v, "["):
		if strings.HasSuffix(v, "]") {
			host = v[1 : len(v)-1]
		} else {
			h, p, err := net.SplitHostPort(v)
			if err != nil {
				return "", fmt.Errorf("address '%s' is not host:port", v)
			}
			host, port = h, p
			if port == "" {
				return "", fmt.Errorf("address '%s' has an empty port", v)
			}
		}
	case strings.Count(v, ":") == 0:
		host = v
	case strings.Count(v, ":") == 1:
		host, port, _ = strings.Cut(v, ":")
		if port == "" {
			return "", fmt.Errorf("address '%s' has an empty port", v)
		}
	default:
		return "", fmt.Errorf("address '%s' is not host:port (write IPv6 addresses as [addr]:port)", v)
	}
	if host == "" {
		return "", fmt.Errorf("address '%s' has no host", v)
	}
	p := defaultPort
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return "", fmt.Errorf("address '%s' has an invalid port '%s'", v, port)
		}
		p = n
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
