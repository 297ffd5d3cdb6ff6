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
	"strings"
	"sync"
	"syscall"
	"time"
)

// kdcReadyPrefix starts the line dev.spindle.minicluster.Kdc prints once its
// principals, keytabs and krb5.conf exist.
const kdcReadyPrefix = "SPINDLE_KDC_READY "

// KDC is a running test Kerberos KDC (Hadoop's MiniKdc) on 127.0.0.1.
type KDC struct {
	Realm string `json:"realm"`
	// Address is the KDC's host:port (TCP only).
	Address string `json:"kdc"`
	// Krb5Conf is a krb5.conf for this realm that Java and gokrb5 both read.
	Krb5Conf string `json:"krb5_conf"`
	// Keytabs maps each principal (name@REALM) to its own keytab file.
	Keytabs map[string]string `json:"keytabs"`
	// Principals are the created principals, name@REALM, in order.
	Principals []string `json:"principals"`
	// CCaches maps each principal of KDCOptions.CCaches (name@REALM) to a
	// ticket cache (MIT format, as kinit writes) holding a fresh TGT.
	CCaches map[string]string `json:"ccaches"`

	WorkDir string `json:"-"`

	cmd      *exec.Cmd
	stdin    io.WriteCloser
	ownsWork bool
	done     chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// KDCOptions tune StartKDC. The zero value makes the realm SPINDLE.TEST with
// principals spindle and rm/localhost.
type KDCOptions struct {
	// Realm is NAME.DOMAIN; empty means SPINDLE.TEST.
	Realm string
	// Principals to create without the realm, e.g. "alice", "rm/localhost".
	Principals []string
	// CCaches are principals (of Principals, without the realm) that also
	// get a ticket cache, as if kinit had run with their keytab.
	CCaches []string
	// WorkDir holds the KDC's files; empty means a new temporary folder,
	// removed by Stop.
	WorkDir string
	// Stderr receives the JVM's stderr. Nil: discarded (kdc.log in WorkDir
	// has the KDC's own log).
	Stderr io.Writer
}

// StartKDC builds the Java program (if needed) and starts a KDC, returning
// once its keytabs and krb5.conf are written. The caller must Stop it.
func StartKDC(ctx context.Context, opts KDCOptions) (*KDC, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := Build(ctx); err != nil {
		return nil, err
	}
	k := &KDC{done: make(chan struct{})}
	var err error
	if k.WorkDir, k.ownsWork, err = workDir(opts.WorkDir, "spindle-kdc-"); err != nil {
		return nil, fmt.Errorf("start KDC: %w", err)
	}
	args := []string{"--work-dir", k.WorkDir}
	if opts.Realm != "" {
		args = append(args, "--realm", opts.Realm)
	}
	for _, p := range opts.Principals {
		args = append(args, "--principal", p)
	}
	for _, p := range opts.CCaches {
		args = append(args, "--ccache", p)
	}
	var errTail tailBuffer
	cmd, err := javaMain([]string{"-Xmx256m", "-Dspindle.minicluster.log=" + filepath.Join(k.WorkDir, "kdc.log")},
		"dev.spindle.minicluster.Kdc", args, nil, k.WorkDir, opts.Stderr, &errTail)
	if err != nil {
		return nil, fmt.Errorf("start KDC: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// If this process dies, the JVM sees stdin close and stops by itself.
	if k.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start KDC (%s): %w", cmd.Path, err)
	}
	k.cmd = cmd
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(k.done)
	}()
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, kdcReadyPrefix) {
				ready <- json.Unmarshal([]byte(strings.TrimPrefix(line, kdcReadyPrefix)), k)
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- errors.New("KDC exited before its ready line")
	}()
	select {
	case err := <-ready:
		if err != nil {
			_ = k.Stop()
			return nil, fmt.Errorf("start KDC: %w (%v); stderr:\n%s", err, waitErr, errTail.String())
		}
		return k, nil
	case <-ctx.Done():
		_ = k.Stop()
		return nil, fmt.Errorf("start KDC: no ready line: %w; stderr:\n%s", ctx.Err(), errTail.String())
	}
}

// Keytab returns the keytab of a principal given with or without its realm.
func (k *KDC) Keytab(principal string) (string, error) {
	if !strings.Contains(principal, "@") {
		principal += "@" + k.Realm
	}
	p, ok := k.Keytabs[principal]
	if !ok {
		return "", fmt.Errorf("KDC has no keytab for %s (it has %v)", principal, k.Principals)
	}
	return p, nil
}

// Stop ends the KDC: stdin closes and SIGTERM goes to its process group;
// after 15s it is killed. The work dir is removed if StartKDC made it.
func (k *KDC) Stop() error {
	k.stopOnce.Do(func() {
		if k.stdin != nil {
			_ = k.stdin.Close()
		}
		if k.cmd != nil && k.cmd.Process != nil {
			_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-k.done:
			case <-time.After(15 * time.Second):
				_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
				<-k.done
				k.stopErr = errors.New("stop KDC: JVM did not exit within 15s; killed")
			}
		}
		if k.ownsWork {
			_ = os.RemoveAll(k.WorkDir)
		}
	})
	return k.stopErr
}
