package hadooprpc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// HDFSTokenKind is the kind of an HDFS delegation token.
const HDFSTokenKind = "HDFS_DELEGATION_TOKEN"

// clientNamenodeProtocol is ClientNamenodeProtocolPB's protocol name.
const clientNamenodeProtocol = "org.apache.hadoop.hdfs.protocol.ClientProtocol"

// ErrNoHDFSToken: no HDFS delegation token where one was looked for.
var ErrNoHDFSToken = errors.New("no HDFS delegation token")

// namenode is a Kerberos-authenticated client of the NameNode's
// ClientProtocol, for the token calls colinmarc/hdfs does not make.
func namenode(cfg *conf.Config, o Options) (*endpoint, error) {
	addrs, err := cfg.NameNodeAddresses()
	if err != nil {
		return nil, fmt.Errorf("hdfs: %w", err)
	}
	base, err := clientAuth(cfg, o, "dfs.namenode.kerberos.principal")
	if err != nil {
		return nil, err
	}
	if base.Auth != ipc.AuthKerberos {
		return nil, fmt.Errorf("hdfs: delegation tokens need hadoop.security.authentication=kerberos")
	}
	base.Protocol = clientNamenodeProtocol
	return newEndpoint("NameNode", addrs, func() ipc.Options { return base }), nil
}

// HDFSDelegationToken asks the NameNode for a delegation token that renewer
// (a Kerberos principal; the NameNode keeps its short name) may renew,
// owned by the logged-in principal or by o.ProxyUser. Its service is set
// as Hadoop's client sets it (HDFSTokenService), so Java and libhdfs
// clients reading it from a credentials file select it.
func HDFSDelegationToken(ctx context.Context, cfg *conf.Config, o Options, renewer string) (credentials.Token, error) {
	service, err := HDFSTokenService(ctx, cfg)
	if err != nil {
		return credentials.Token{}, err
	}
	ep, err := namenode(cfg, o)
	if err != nil {
		return credentials.Token{}, err
	}
	defer ep.close()
	resp := &yarnpb.GetDelegationTokenResponseProto{}
	if err := ep.call(ctx, "getDelegationToken", &yarnpb.GetDelegationTokenRequestProto{Renewer: proto.String(renewer)}, resp); err != nil {
		return credentials.Token{}, fmt.Errorf("hdfs: get a delegation token (renewer %s): %w", renewer, err)
	}
	t := resp.GetToken()
	if t == nil || len(t.GetIdentifier()) == 0 {
		// The NameNode answers so when security is off.
		return credentials.Token{}, fmt.Errorf("hdfs: the NameNode issued no delegation token (is HDFS security enabled?): %w", ErrNoHDFSToken)
	}
	kind := t.GetKind()
	if kind == "" {
		kind = HDFSTokenKind
	}
	return credentials.Token{Identifier: t.GetIdentifier(), Password: t.GetPassword(), Kind: kind, Service: service}, nil
}

// RenewHDFSDelegationToken extends tok's life; only its renewer may. It
// returns the new expiry time.
func RenewHDFSDelegationToken(ctx context.Context, cfg *conf.Config, o Options, tok credentials.Token) (time.Time, error) {
	ep, err := namenode(cfg, o)
	if err != nil {
		return time.Time{}, err
	}
	defer ep.close()
	req := &yarnpb.RenewDelegationTokenRequestProto{Token: &yarnpb.TokenProto{
		Identifier: tok.Identifier, Password: tok.Password, Kind: proto.String(tok.Kind), Service: proto.String(tok.Service)}}
	resp := &yarnpb.RenewDelegationTokenResponseProto{}
	if err := ep.call(ctx, "renewDelegationToken", req, resp); err != nil {
		return time.Time{}, fmt.Errorf("hdfs: renew the delegation token: %w", err)
	}
	return time.UnixMilli(int64(resp.GetNewExpiryTime())), nil
}

// HDFSTokenService is the service an HDFS delegation token for fs.defaultFS
// carries, as Hadoop's client names it: "ha-hdfs:<nameservice>" for an HA
// nameservice, else the NameNode's ip:port (hadoop.security.token.service.use_ip
// is true by default; host:port when it is false).
func HDFSTokenService(ctx context.Context, cfg *conf.Config) (string, error) {
	addrs, err := cfg.NameNodeAddresses()
	if err != nil {
		return "", fmt.Errorf("hdfs: %w", err)
	}
	if u, err := url.Parse(strings.TrimSpace(cfg.GetDefault(conf.KeyDefaultFS, ""))); err == nil && u.Port() == "" {
		if len(cfg.GetStrings("dfs.ha.namenodes."+u.Hostname())) > 0 {
			return "ha-hdfs:" + u.Hostname(), nil
		}
	}
	host, port, err := net.SplitHostPort(addrs[0])
	if err != nil {
		return "", fmt.Errorf("hdfs: NameNode address %s: %w", addrs[0], err)
	}
	if strings.EqualFold(cfg.GetDefault("hadoop.security.token.service.use_ip", "true"), "false") {
		return net.JoinHostPort(host, port), nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("hdfs: resolve the NameNode host %s for the token's service: %v", host, err)
	}
	ip := ips[0].IP
	for _, a := range ips { // Java prefers IPv4 addresses
		if a.IP.To4() != nil {
			ip = a.IP
			break
		}
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// HDFSToken returns the HDFS delegation token in creds for cfg's
// fs.defaultFS: the one whose service is HDFSTokenService, else the only
// one there is.
func HDFSToken(ctx context.Context, cfg *conf.Config, creds *credentials.Credentials) (credentials.Token, error) {
	var found []credentials.Token
	for _, a := range creds.TokenAliases() {
		if t, _ := creds.Token(a); t.Kind == HDFSTokenKind {
			found = append(found, t)
		}
	}
	if len(found) == 0 {
		return credentials.Token{}, ErrNoHDFSToken
	}
	if svc, err := HDFSTokenService(ctx, cfg); err == nil {
		for _, t := range found {
			if t.Service == svc {
				return t, nil
			}
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	return credentials.Token{}, fmt.Errorf("%d HDFS delegation tokens and none for fs.defaultFS: %w", len(found), ErrNoHDFSToken)
}

// DelegationTokenID is the readable part of a delegation token's
// identifier (AbstractDelegationTokenIdentifier).
type DelegationTokenID struct {
	Owner, Renewer, RealUser string
	IssueDate, MaxDate       time.Time
	Sequence, MasterKeyID    int32
}

// maxIDText bounds a Text field of a token identifier.
const maxIDText = 1 << 16

// ParseDelegationTokenID decodes an HDFS (or YARN RM) delegation token
// identifier: version byte 0, then Text owner, renewer and real user,
// vlong issue and max dates (ms), vint sequence number and master key id.
func ParseDelegationTokenID(b []byte) (DelegationTokenID, error) {
	var id DelegationTokenID
	if len(b) == 0 || b[0] != 0 {
		return id, errors.New("delegation token identifier: unknown version")
	}
	b = b[1:]
	text := func() (string, error) {
		n, k, err := credentials.ConsumeVLong(b)
		if err != nil {
			return "", err
		}
		if n < 0 || n > maxIDText || int64(len(b)-k) < n {
			return "", fmt.Errorf("text of %d bytes does not fit", n)
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, nil
	}
	num := func() (int64, error) {
		v, k, err := credentials.ConsumeVLong(b)
		if err != nil {
			return 0, err
		}
		b = b[k:]
		return v, nil
	}
	var err error
	for _, p := range []*string{&id.Owner, &id.Renewer, &id.RealUser} {
		if *p, err = text(); err != nil {
			return id, fmt.Errorf("delegation token identifier: %w", err)
		}
	}
	var v [4]int64
	for i := range v {
		if v[i], err = num(); err != nil {
			return id, fmt.Errorf("delegation token identifier: %w", err)
		}
	}
	if v[2] < -1<<31 || v[2] >= 1<<31 || v[3] < -1<<31 || v[3] >= 1<<31 {
		return id, errors.New("delegation token identifier: sequence number or key id out of range")
	}
	id.IssueDate, id.MaxDate = time.UnixMilli(v[0]), time.UnixMilli(v[1])
	id.Sequence, id.MasterKeyID = int32(v[2]), int32(v[3])
	return id, nil
}

// Kerberized tells whether cfg's cluster runs with
// hadoop.security.authentication=kerberos.
func Kerberized(cfg *conf.Config) bool {
	return strings.EqualFold(strings.TrimSpace(cfg.GetDefault("hadoop.security.authentication", "simple")), "kerberos")
}

// RMPrincipal is the ResourceManager's Kerberos principal
// (yarn.resourcemanager.principal, _HOST being the first RM's host), the
// renewer YARN needs in an application's delegation tokens to renew them
// for the application's life.
func RMPrincipal(cfg *conf.Config) (string, error) {
	p := strings.TrimSpace(cfg.GetDefault("yarn.resourcemanager.principal", ""))
	if p == "" {
		return "", errors.New("yarn.resourcemanager.principal is not set in yarn-site.xml: it names the renewer of the application's delegation tokens")
	}
	if !strings.Contains(p, "_HOST") {
		return p, nil
	}
	addrs, err := cfg.RMAddresses()
	if err != nil {
		return "", err
	}
	return withHost(p, addrs[0], "ResourceManager")
}
