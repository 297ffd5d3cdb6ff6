package spec

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// External is a Dask scheduler that runs outside the application, e.g. in
// the client's process (dask-yarn's deploy_mode="local"). The application
// then runs no scheduler container: its workers start against Address.
type External struct {
	// Address is the scheduler's, as workers dial it: tcp://host:port or
	// tls://host:port.
	Address string `yaml:"address" json:"address"`
	// DashboardAddress is host:port of the scheduler's HTTP server, with
	// the route distributed.http.scheduler.api enabled: the workers'
	// runtimes see there that they joined, and the AM retires workers
	// through it when scaling down.
	DashboardAddress string `yaml:"dashboard_address" json:"dashboard_address"`
}

// ErrExternalAddress: an external scheduler address the workers could not
// use.
var ErrExternalAddress = errors.New("bad external scheduler address")

// maxHostLen bounds a host name (DNS allows 253 characters).
const maxHostLen = 253

var hostNameRe = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$`)

// checkExternal validates external_scheduler: both addresses well formed,
// with a host the NodeManagers can reach (not a wildcard nor loopback) and
// a port from 1 to 65535. They reach the containers as argv and as an
// environment value, so nothing else may be in them.
func (s *Spec) checkExternal() []error {
	e := s.ExternalScheduler
	if e == nil {
		return nil
	}
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("external_scheduler.%s: %w: %s", key, ErrExternalAddress, fmt.Sprintf(format, a...)))
	}
	scheme, hostport, ok := strings.Cut(e.Address, "://")
	switch {
	case e.Address == "":
		bad("address", "missing: give the scheduler's address, e.g. tcp://edge1.example.com:8786")
	case !ok || (scheme != "tcp" && scheme != "tls"):
		bad("address", "%q: want tcp://host:port or tls://host:port", e.Address)
	default:
		if err := checkHostPort(hostport); err != nil {
			bad("address", "%q: %v", e.Address, err)
		}
	}
	if err := CheckExternalTLS(s, false); err != nil {
		errs = append(errs, err)
	}
	if e.DashboardAddress == "" {
		bad("dashboard_address", "missing: give host:port of the scheduler's HTTP server (route distributed.http.scheduler.api enabled)")
	} else if err := checkHostPort(e.DashboardAddress); err != nil {
		bad("dashboard_address", "%q: %v", e.DashboardAddress, err)
	}
	return errs
}

// checkHostPort accepts host:port (an IPv6 host in brackets) with a host
// the NodeManagers can reach and a port from 1 to 65535.
func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return fmt.Errorf("want host:port (an IPv6 address in brackets)")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || port != strconv.Itoa(n) {
		return fmt.Errorf("port %q: want 1 to 65535", port)
	}
	ip := net.ParseIP(host)
	switch {
	case host == "":
		return fmt.Errorf("no host: give this machine's name or IP address as the NodeManagers reach it")
	case ip != nil && ip.IsUnspecified():
		return fmt.Errorf("%s is a listening wildcard, not an address to dial: give this machine's name or IP address", host)
	case ip != nil && ip.IsLoopback(), ip == nil && strings.EqualFold(strings.TrimSuffix(host, "."), "localhost"):
		return fmt.Errorf("%s is loopback: the NodeManagers cannot reach it; give this machine's name or IP address", host)
	case ip == nil && (len(host) > maxHostLen || !hostNameRe.MatchString(host)):
		return fmt.Errorf("host %q is neither an IP address nor a host name", host)
	}
	return nil
}

// CheckExternalTLS refuses an external scheduler in an application with
// TLS (tls: true, or unset on a Kerberized cluster, where it defaults to
// on): its workers would trust only a scheduler holding a certificate
// from the CA made at submit, which a scheduler started before cannot
// hold. Silently turning TLS off would open the workers' side of a
// cluster its owner expected closed.
func CheckExternalTLS(s *Spec, kerberized bool) error {
	if s.ExternalScheduler == nil || !s.UseTLS(kerberized) {
		return nil
	}
	why := "tls: true"
	if s.TLS == nil {
		why = "this cluster is Kerberized, so tls defaults to on"
	}
	return fmt.Errorf("external_scheduler: %w: %s, and a scheduler outside the application has no certificate from "+
		"the application's CA: set tls: false (the scheduler then takes plain connections) or leave external_scheduler out", ErrExternalAddress, why)
}
