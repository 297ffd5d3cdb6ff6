// Package cluster runs Spindle's local Hadoop for tests and for people: the
// Java program under integration/minicluster (MiniDFSCluster and
// MiniYARNCluster in one JVM), started once per test binary and always torn
// down. It owns building that program, starting it, reading its ready line
// and making sure no process outlives it.
package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// readyPrefix starts the one line the Java program prints on stdout once
// HDFS is writable and every NodeManager is RUNNING.
const readyPrefix = "SPINDLE_MINICLUSTER_READY "

// Options tune a cluster. The zero value is what tests use.
type Options struct {
	// WorkDir holds HDFS blocks, NodeManager dirs, logs and the conf folder.
	// Empty: a new temporary folder, removed by Stop.
	WorkDir string
	// NodeManagers is how many NodeManagers to start; 0 means 2.
	NodeManagers int
	// StartTimeout bounds the build and the start; 0 means 4 minutes.
	StartTimeout time.Duration
	// Stderr receives the JVM's stderr (warnings, errors). Nil: the log file only.
	Stderr io.Writer
	// Secure starts a Kerberized cluster: a KDC in the same JVM, Kerberos
	// for every RPC, SPNEGO on the web servers, SASL-protected DataNode
	// transfers and HTTPS for HDFS; Cluster.Kerberos says where its files are.
	Secure bool
	// RPCProtection is hadoop.rpc.protection under Secure: authentication
	// (default), integrity or privacy.
	RPCProtection string
	// DataTransferProtection is dfs.data.transfer.protection under Secure;
	// empty means the same as RPCProtection.
	DataTransferProtection string
	// Conf are extra server settings (e.g. short delegation token
	// lifetimes, hadoop.proxyuser.*), applied before the daemons start.
	Conf map[string]string
	// HTTPS, under Secure, serves YARN's web (NodeManager logs) over HTTPS
	// only (yarn.http.policy=HTTPS_ONLY), with Kerberos.CAPEM's certificate.
	HTTPS bool
}

// Kerberos is what a client of a Secure cluster needs: the realm's KDC and
// krb5.conf, and a user principal (named as the OS user) with a keytab and
// a ticket cache holding a TGT, as after kinit.
type Kerberos struct {
	Realm string `json:"realm"`
	// KDC is the KDC's host:port (TCP).
	KDC      string `json:"kdc"`
	Krb5Conf string `json:"krb5_conf"`
	// UserPrincipal is user@REALM, user being the OS user (HDFS's superuser here).
	UserPrincipal string `json:"user_principal"`
	UserKeytab    string `json:"user_keytab"`
	UserCCache    string `json:"user_ccache"`
	// ExpiredCCache holds a TGT of UserPrincipal that expires five seconds
	// after the cluster started.
	ExpiredCCache string `json:"expired_ccache"`
	// CAPEM is the certificate of the HTTPS servers (NameNode, DataNode),
	// for localhost and 127.0.0.1.
	CAPEM                  string `json:"ca_pem"`
	RPCProtection          string `json:"rpc_protection"`
	DataTransferProtection string `json:"data_transfer_protection"`
	// Keytabs maps every principal (name@REALM) to its keytab: the
	// daemons' hadoop/localhost (one JVM has one Kerberos login), SPNEGO's
	// HTTP/localhost, and the user.
	Keytabs map[string]string `json:"keytabs"`
}

// Node is a NodeManager as the ResourceManager saw it at start.
type Node struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// Cluster is a running local Hadoop.
type Cluster struct {
	ConfDir          string `json:"conf_dir"`
	HDFSURI          string `json:"hdfs_uri"`
	RMAddress        string `json:"rm_address"`
	SchedulerAddress string `json:"rm_scheduler_address"`
	RMWebAddress     string `json:"rm_webapp_address"`
	NodeManagers     []Node `json:"node_managers"`
	// StartMillis is the JVM's own measure of its start, for the README.
	StartMillis int64 `json:"start_millis"`
	// Kerberos is set for a Secure cluster.
	Kerberos *Kerberos `json:"kerberos,omitempty"`

	WorkDir string `json:"-"`
	LogFile string `json:"-"`

	cmd       *exec.Cmd
	stdin     io.WriteCloser
	ownsWork  bool
	done      chan struct{}
	waitErr   error
	stopOnce  sync.Once
	stopError error
}

// ProgramDir is integration/minicluster in this checkout.
func ProgramDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "minicluster")
}

// Build compiles the Java program with Maven when its sources are newer than
// the last build. A lock file keeps parallel test binaries from building at
// the same time.
func Build(ctx context.Context) error {
	dir := ProgramDir()
	stamp := filepath.Join(dir, "target", "classpath.txt")
	if !stale(dir, stamp) {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "target"), 0o755); err != nil {
		return fmt.Errorf("build minicluster: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "target", ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("build minicluster: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("build minicluster: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if !stale(dir, stamp) { // another process built it while we waited
		return nil
	}
	cmd := exec.CommandContext(ctx, "mvn", "-B", "-q", "-Dstyle.color=never", "package", "-DskipTests")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("build minicluster with Maven in %s: %w\n%s", dir, err, tail(out, 4000))
	}
	return nil
}

func stale(dir, stamp string) bool {
	st, err := os.Stat(stamp)
	if err != nil {
		return true
	}
	newer := false
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || newer {
			return nil
		}
		if d.IsDir() && d.Name() == "target" {
			return filepath.SkipDir
		}
		if info, err := d.Info(); err == nil && !d.IsDir() && info.ModTime().After(st.ModTime()) {
			newer = true
		}
		return nil
	})
	return newer
}

// javaOpens are the module openings Hadoop 3.4's web apps, Guice and
// reflection-based serialisation need on Java 17.
var javaOpens = []string{
	"java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.io", "java.base/java.net",
	"java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent", "java.base/java.util.zip",
	"java.base/java.math", "java.base/java.text", "java.base/sun.nio.ch", "java.base/sun.security.util",
	"java.base/sun.security.x509",
}

// Start builds (if needed) and starts a cluster, returning once it accepts
// work. The caller must Stop it.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 4 * time.Minute
	}
	if opts.NodeManagers == 0 {
		opts.NodeManagers = 2
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := Build(ctx); err != nil {
		return nil, err
	}
	c := &Cluster{done: make(chan struct{})}
	var err error
	if c.WorkDir, c.ownsWork, err = workDir(opts.WorkDir, "spindle-hadoop-"); err != nil {
		return nil, fmt.Errorf("start minicluster: %w", err)
	}
	c.LogFile = filepath.Join(c.WorkDir, "minicluster.log")

	jvm := []string{"-Xmx2g", "-XX:+IgnoreUnrecognizedVMOptions", "-Dspindle.minicluster.log=" + c.LogFile,
		"-Djava.util.logging.config.file=" + filepath.Join(ProgramDir(), "target", "classes", "logging.properties")}
	for _, o := range javaOpens {
		jvm = append(jvm, "--add-opens="+o+"=ALL-UNNAMED")
	}
	args := []string{"--work-dir", c.WorkDir, "--node-managers", fmt.Sprint(opts.NodeManagers), "--exit-on-stdin-eof"}
	var classpath []string
	if opts.Secure {
		args = append(args, "--secure")
		// Every web server of this JVM shares one Kerberos replay cache,
		// and Hadoop's authentication filter meets each SPNEGO request
		// twice on its way to a YARN web service ("Request is a replay").
		// One daemon per JVM, as on a real cluster, never needs this.
		jvm = append(jvm, "-Dsun.security.krb5.rcache=none")
		if opts.RPCProtection != "" {
			args = append(args, "--rpc-protection", opts.RPCProtection)
		}
		if opts.DataTransferProtection != "" {
			args = append(args, "--data-transfer-protection", opts.DataTransferProtection)
		}
		if opts.HTTPS {
			args = append(args, "--https")
		}
		// Hadoop reads ssl-server.xml and the site files, which the JVM
		// writes here (see Secure.java), as resources.
		dir := filepath.Join(c.WorkDir, "classpath")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("start minicluster: %w", err)
		}
		classpath = append(classpath, dir)
	}
	keys := make([]string, 0, len(opts.Conf))
	for k := range opts.Conf {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--set", k+"="+opts.Conf[k])
	}
	var errTail tailBuffer
	cmd, err := javaMain(jvm, "dev.spindle.minicluster.Main", args, classpath, c.WorkDir, opts.Stderr, &errTail)
	if err != nil {
		return nil, fmt.Errorf("start minicluster: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start minicluster (%s): %w", cmd.Path, err)
	}
	c.cmd = cmd
	go func() {
		c.waitErr = cmd.Wait()
		close(c.done)
	}()

	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, readyPrefix) {
				ready <- json.Unmarshal([]byte(strings.TrimPrefix(line, readyPrefix)), c)
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- errors.New("minicluster exited before its ready line")
	}()

	select {
	case err := <-ready:
		if err != nil {
			<-c.done
			_ = c.Stop()
			return nil, fmt.Errorf("start minicluster: %w (%v); stderr:\n%s\nlog: %s", err, c.waitErr, errTail.String(), c.LogFile)
		}
		return c, nil
	case <-ctx.Done():
		_ = c.Stop()
		return nil, fmt.Errorf("start minicluster: no ready line within %s: %w; stderr:\n%s\nlog: %s",
			opts.StartTimeout, ctx.Err(), errTail.String(), c.LogFile)
	}
}

// workDir is dir made absolute and created, or a new temporary folder
// (owned: the caller removes it) when dir is empty.
func workDir(dir, tmpPrefix string) (string, bool, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", tmpPrefix)
		return d, true, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false, err
	}
	return abs, false, os.MkdirAll(abs, 0o755)
}

// javaMain prepares (does not start) a JVM running one of the Java
// program's main classes, in its own process group so a stop reaches every
// child; stderr goes to stderr (if not nil) and to tail. Not
// CommandContext: the JVM outlives the start context.
func javaMain(jvmArgs []string, mainClass string, args, classpath []string, dir string, stderr io.Writer, tail *tailBuffer) (*exec.Cmd, error) {
	cp, err := os.ReadFile(filepath.Join(ProgramDir(), "target", "classpath.txt"))
	if err != nil {
		return nil, err
	}
	java := "java"
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java = filepath.Join(home, "bin", "java")
	}
	classpath = append(classpath, filepath.Join(ProgramDir(), "target", "classes"), strings.TrimSpace(string(cp)))
	argv := append(append([]string{}, jvmArgs...), "-cp", strings.Join(classpath, ":"), mainClass)
	cmd := exec.Command(java, append(argv, args...)...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if stderr == nil {
		stderr = io.Discard
	}
	cmd.Stderr = io.MultiWriter(stderr, tail)
	return cmd, nil
}

// Stop shuts the cluster down: stdin closes (the JVM stops its services),
// after 60s the process group is killed, then any container process still
// running from the work dir is killed. The work dir is removed if Start made it.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		if c.stdin != nil {
			_ = c.stdin.Close()
		}
		if c.cmd != nil && c.cmd.Process != nil {
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-c.done:
			case <-time.After(60 * time.Second):
				_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
				<-c.done
				c.stopError = errors.New("stop minicluster: JVM did not exit within 60s; killed")
			}
		}
		killStragglers(c.WorkDir)
		if c.ownsWork {
			_ = os.RemoveAll(c.WorkDir)
		}
	})
	return c.stopError
}

// killStragglers kills processes whose working directory lies under dir:
// containers run in their own session (setsid), so killing the JVM's
// process group does not reach one that the NodeManager failed to stop.
func killStragglers(dir string) {
	if dir == "" {
		return
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil || pid == os.Getpid() {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Env returns the environment a Hadoop client needs to use this cluster:
// for a Secure one also krb5.conf and the user's ticket cache (as after
// kinit), and the HTTPS certificate as SSL_CERT_FILE (Go's own variable).
func (c *Cluster) Env() []string {
	env := []string{"HADOOP_CONF_DIR=" + c.ConfDir, "YARN_CONF_DIR=" + c.ConfDir}
	if k := c.Kerberos; k != nil {
		env = append(env, "KRB5_CONFIG="+k.Krb5Conf, "KRB5CCNAME="+k.UserCCache, "SSL_CERT_FILE="+k.CAPEM)
	}
	return env
}

type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 16<<10 {
		t.buf = t.buf[len(t.buf)-16<<10:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// UseOrStart is for commands run by a person (benchmarks): the cluster
// HADOOP_CONF_DIR names, else a new local one, which HADOOP_CONF_DIR then
// names. stop stops the cluster if it started one.
func UseOrStart(ctx context.Context) (stop func(), err error) {
	if os.Getenv("HADOOP_CONF_DIR") != "" {
		return func() {}, nil
	}
	c, err := Start(ctx, Options{})
	if err != nil {
		return nil, err
	}
	os.Setenv("HADOOP_CONF_DIR", c.ConfDir)
	return func() { c.Stop() }, nil
}
