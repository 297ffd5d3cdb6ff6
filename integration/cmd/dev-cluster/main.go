// Command dev-cluster runs the local Hadoop cluster in the foreground for a
// person to use (make dev-cluster) and stops it on Ctrl-C or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spindle-yarn/spindle/integration/cluster"
)

func main() {
	work := flag.String("work-dir", "", "folder for HDFS data, logs and the conf folder (default: a new temporary folder, removed at exit)")
	nms := flag.Int("node-managers", 2, "number of NodeManagers")
	secure := flag.Bool("secure", false, "Kerberized cluster: a KDC, Kerberos RPC, SPNEGO web servers, SASL DataNode transfers, HDFS over HTTPS")
	protection := flag.String("rpc-protection", "authentication", "hadoop.rpc.protection under --secure: authentication, integrity or privacy")
	extra := map[string]string{}
	flag.Func("set", "key=value: an extra server setting, e.g. dfs.namenode.delegation.token.max-lifetime=120000 (repeatable)", func(kv string) error {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("want key=value, got %q", kv)
		}
		extra[k] = v
		return nil
	})
	dtp := flag.String("data-transfer-protection", "", "dfs.data.transfer.protection under --secure (default: as --rpc-protection)")
	https := flag.Bool("https", false, "under --secure, YARN's web servers on HTTPS only (yarn.http.policy=HTTPS_ONLY)")
	flag.Parse()
	start := time.Now()
	fmt.Fprintln(os.Stderr, "starting the local Hadoop cluster (HDFS + YARN)...")
	c, err := cluster.Start(context.Background(), cluster.Options{WorkDir: *work, NodeManagers: *nms, Stderr: os.Stderr,
		Secure: *secure, RPCProtection: *protection, HTTPS: *https,
		DataTransferProtection: *dtp, Conf: extra})
	if err != nil {
		fmt.Fprintln(os.Stderr, "dev-cluster:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "ready in %s (JVM start %d ms). ResourceManager %s, web UI http://%s, HDFS %s\nlog: %s\n",
		time.Since(start).Round(100*time.Millisecond), c.StartMillis, c.RMAddress, c.RMWebAddress, c.HDFSURI, c.LogFile)
	if k := c.Kerberos; k != nil {
		fmt.Fprintf(os.Stderr, "Kerberos realm %s, KDC %s; you are %s (keytab %s); hadoop.rpc.protection=%s\n",
			k.Realm, k.KDC, k.UserPrincipal, k.UserKeytab, k.RPCProtection)
		fmt.Printf("export HADOOP_CONF_DIR=%s KRB5_CONFIG=%s KRB5CCNAME=%s SSL_CERT_FILE=%s\n", c.ConfDir, k.Krb5Conf, k.UserCCache, k.CAPEM)
	} else {
		fmt.Printf("export HADOOP_CONF_DIR=%s\n", c.ConfDir)
	}
	fmt.Fprintln(os.Stderr, "Ctrl-C stops it.")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	fmt.Fprintln(os.Stderr, "stopping...")
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "dev-cluster:", err)
		os.Exit(1)
	}
}
