package hadooprpc

import (
	"fmt"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
)

// NewHDFS connects a colinmarc/hdfs client to the NameNode(s) named by cfg
// (fs.defaultFS, HA nameservices included), acting as o.User under SIMPLE
// authentication or as the Kerberos principal under kerberos.
func NewHDFS(cfg *conf.Config, o Options) (*hdfs.Client, error) {
	addrs, err := cfg.NameNodeAddresses()
	if err != nil {
		return nil, fmt.Errorf("hdfs: %w", err)
	}
	opts := hdfs.ClientOptions{Addresses: addrs, User: o.User}
	if opts.User == "" {
		if opts.User, err = ipc.DefaultUser(); err != nil {
			return nil, fmt.Errorf("hdfs: %w", err)
		}
	}
	if strings.EqualFold(cfg.GetDefault("hadoop.security.authentication", "simple"), "kerberos") {
		kc := o.Kerberos
		if kc == nil {
			if kc, err = kerberosLogin(o); err != nil {
				return nil, err
			}
		}
		spn, ok := cfg.Get("dfs.namenode.kerberos.principal")
		if !ok {
			return nil, fmt.Errorf("hdfs: hadoop.security.authentication is kerberos but dfs.namenode.kerberos.principal is not set in hdfs-site.xml")
		}
		opts.KerberosClient = kc
		opts.KerberosServicePrincipleName = strings.SplitN(spn, "@", 2)[0]
		opts.DataTransferProtection = cfg.GetDefault("dfs.data.transfer.protection", "")
	}
	c, err := hdfs.NewClient(opts)
	if err != nil {
		return nil, fmt.Errorf("hdfs: connect to %v: %w", addrs, err)
	}
	return c, nil
}

// CloseHDFSFile closes a file being written, retrying while the NameNode
// says the last block is still replicating (it completes the file only once
// DataNodes report the block), as Hadoop's own client does, for up to 30s.
func CloseHDFSFile(w *hdfs.FileWriter) error {
	delay := 50 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := w.Close()
		if err == nil || !hdfs.IsErrReplicating(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}
