package hadooprpc_test

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// realTokenID is what Hadoop 3.4's DelegationTokenIdentifier.write gives for
// owner alice@EXAMPLE.COM, renewer rm/localhost@EXAMPLE.COM (kept as its
// short name "rm"), real user svc@EXAMPLE.COM, issue date 1764680000123,
// max date 1765284800123, sequence 300, master key -5.
const realTokenID = "0011616c696365404558414d504c452e434f4d02726d0f737663404558414d504c452e434f4d8a019adf1fe27b8a019b032c667b8e012cfb"

func TestParseDelegationTokenID(t *testing.T) {
	b, _ := hex.DecodeString(realTokenID)
	id, err := hadooprpc.ParseDelegationTokenID(b)
	if err != nil {
		t.Fatal(err)
	}
	want := hadooprpc.DelegationTokenID{Owner: "alice@EXAMPLE.COM", Renewer: "rm", RealUser: "svc@EXAMPLE.COM",
		IssueDate: time.UnixMilli(1764680000123), MaxDate: time.UnixMilli(1765284800123), Sequence: 300, MasterKeyID: -5}
	if id != want {
		t.Fatalf("got %+v\nwant %+v", id, want)
	}
	for _, cut := range []int{0, 1, 5, len(b) - 1} {
		if _, err := hadooprpc.ParseDelegationTokenID(b[:cut]); err == nil {
			t.Errorf("identifier cut at %d bytes parsed", cut)
		}
	}
	if hadooprpc.ShortName(id.Owner) != "alice" || hadooprpc.ShortName("nn/host.example.com@EXAMPLE.COM") != "nn" {
		t.Error("ShortName")
	}
}

func FuzzParseDelegationTokenID(f *testing.F) {
	b, _ := hex.DecodeString(realTokenID)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) { hadooprpc.ParseDelegationTokenID(b) })
}

func tokenConf(kv ...string) *conf.Config {
	c := conf.New()
	for i := 0; i < len(kv); i += 2 {
		c.Set(kv[i], kv[i+1])
	}
	return c
}

// The service names the NameNode as Hadoop's client does, so Java clients
// in containers find the token for their fs.defaultFS.
func TestHDFSTokenService(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cfg  *conf.Config
		want string
	}{
		{tokenConf("fs.defaultFS", "hdfs://localhost:9000"), "127.0.0.1:9000"},
		{tokenConf("fs.defaultFS", "hdfs://localhost:9000", "hadoop.security.token.service.use_ip", "false"), "localhost:9000"},
		{tokenConf("fs.defaultFS", "hdfs://prod", "dfs.ha.namenodes.prod", "nn1,nn2",
			"dfs.namenode.rpc-address.prod.nn1", "a:8020", "dfs.namenode.rpc-address.prod.nn2", "b:8020"), "ha-hdfs:prod"},
	} {
		got, err := hadooprpc.HDFSTokenService(ctx, tc.cfg)
		if err != nil || got != tc.want {
			t.Errorf("got %q, %v; want %q", got, err, tc.want)
		}
	}
}

// With tokens for several file systems the one for fs.defaultFS is used.
func TestHDFSTokenSelection(t *testing.T) {
	ctx := context.Background()
	cfg := tokenConf("fs.defaultFS", "hdfs://localhost:9000")
	creds := credentials.New()
	if _, err := hadooprpc.HDFSToken(ctx, cfg, creds); !errors.Is(err, hadooprpc.ErrNoHDFSToken) {
		t.Fatalf("empty credentials: %v", err)
	}
	creds.AddToken("a", credentials.Token{Kind: hadooprpc.HDFSTokenKind, Service: "10.0.0.9:8020", Identifier: []byte("other")})
	creds.AddToken("b", credentials.Token{Kind: hadooprpc.HDFSTokenKind, Service: "127.0.0.1:9000", Identifier: []byte("ours")})
	creds.AddToken("c", credentials.Token{Kind: hadooprpc.AMRMTokenKind, Identifier: []byte("amrm")})
	tok, err := hadooprpc.HDFSToken(ctx, cfg, creds)
	if err != nil || string(tok.Identifier) != "ours" {
		t.Fatalf("got %q %v", tok.Identifier, err)
	}
	creds.RemoveToken("b")
	if _, err := hadooprpc.HDFSToken(ctx, cfg, creds); err != nil {
		t.Fatalf("a single HDFS token is used whatever its service: %v", err)
	}
	creds.AddToken("d", credentials.Token{Kind: hadooprpc.HDFSTokenKind, Service: "10.0.0.8:8020"})
	if _, err := hadooprpc.HDFSToken(ctx, cfg, creds); !errors.Is(err, hadooprpc.ErrNoHDFSToken) {
		t.Fatalf("two foreign tokens: %v", err)
	}
}

func TestRMPrincipal(t *testing.T) {
	cfg := tokenConf("yarn.resourcemanager.address", "RM.example.com:8032", "yarn.resourcemanager.principal", "rm/_HOST@EXAMPLE.COM")
	if p, err := hadooprpc.RMPrincipal(cfg); err != nil || p != "rm/rm.example.com@EXAMPLE.COM" {
		t.Fatalf("got %q %v", p, err)
	}
	if _, err := hadooprpc.RMPrincipal(tokenConf()); err == nil {
		t.Fatal("no principal configured: no error")
	}
}
