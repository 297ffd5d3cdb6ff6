package appmaster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// Main runs the AM inside its YARN container: the plan and the client's
// Hadoop site files are in the working directory, the AMRMToken and the
// control secret in $HADOOP_TOKEN_FILE_LOCATION.
func Main(log *logrus.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	plan, err := ReadPlan(filepath.Join(wd, PlanFile))
	if err != nil {
		return err
	}
	hconf, err := conf.Load(wd)
	if err != nil {
		return fmt.Errorf("the Hadoop configuration shipped with the application: %w", err)
	}
	if err := rt.RestrictTokenFile(os.Getenv("HADOOP_TOKEN_FILE_LOCATION")); err != nil {
		log.Warnf("the token file stays readable by others than its user: %v", err)
	}
	creds, err := credentials.ReadFile(os.Getenv("HADOOP_TOKEN_FILE_LOCATION"))
	if err != nil {
		return fmt.Errorf("the container's token file: %w", err)
	}
	tok, ok := creds.TokenByKind(hadooprpc.AMRMTokenKind)
	if !ok {
		return fmt.Errorf("no %s in the container's token file: is this running as a YARN AM?", hadooprpc.AMRMTokenKind)
	}
	secret, ok := creds.Secret(SecretAlias)
	if !ok {
		return fmt.Errorf("no control secret (%s) in the container's token file", SecretAlias)
	}
	tlsBundle, hasTLS := dasktls.FromCredentials(creds)
	if plan.Spec.TLS != nil && *plan.Spec.TLS && !hasTLS {
		return fmt.Errorf("the spec asks for TLS but the container's token file holds no TLS material (%s): submit again with this spindle version", "spindle.tls.*")
	}
	host := os.Getenv("NM_HOST")
	if host == "" {
		return fmt.Errorf("NM_HOST is not set: is this running in a YARN container?")
	}
	amrm, err := hadooprpc.NewAMRM(hconf, hadooprpc.Token(tok))
	if err != nil {
		return err
	}
	defer amrm.Close()
	nms, err := hadooprpc.NewNodeManagers(hconf)
	if err != nil {
		return err
	}
	defer nms.Close()
	tokens, err := NewTokens(ctx, hconf, creds)
	if err != nil {
		return err
	}
	var tokenPoll time.Duration
	if kt, ok := creds.Secret(KeytabAlias); ok && plan.Principal != "" {
		r := &Refresher{Hadoop: hconf, Tokens: tokens, Principal: plan.Principal, Keytab: kt, Log: log.WithField("app", plan.AppID)}
		// Fetched now, before any container starts, to learn the tokens'
		// lifetime and so how often the containers must ask for new ones.
		next, err := r.Refresh(ctx)
		if err != nil {
			return fmt.Errorf("obtain delegation tokens as %s with the keytab the application was submitted with: %w", plan.Principal, err)
		}
		tokenPoll = TokenPoll(time.Until(next))
		go r.Run(ctx, next)
	}
	fsOpts := hadooprpc.Options{User: plan.User}
	if hadooprpc.Kerberized(hconf) {
		fsOpts.HDFSToken = tokens.HDFS
	}
	fs, err := hadooprpc.NewHDFS(hconf, fsOpts)
	if err != nil {
		return err
	}
	defer fs.Close()
	ln, err := net.Listen("tcp", ":0")
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	am := New(Config{Plan: plan, Hadoop: hconf, AMRM: amrm, NMs: nms, FS: fs, Secret: secret, TLS: tlsBundle, Host: host, Tokens: tokens, TokenPoll: tokenPoll,
		Log: log.WithField("app", plan.AppID)})
	return am.Run(ctx, ln)
}
