package container

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/dasktls"
	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
	"github.com/spindle-yarn/spindle/launchenv"
	"github.com/spindle-yarn/spindle/nodeenv"
)

// Role is what a container runs.
type Role string

const (
	RoleScheduler Role = "scheduler"
	RoleWorker    Role = "worker"
	// RoleClient runs the user's script once (spindle submit --script).
	RoleClient Role = "client"
)

// SecretAlias names the AM control secret in the container's token file.
const SecretAlias = "spindle.control.secret"

// Environment variables the application master sets on each container.
const (
	EnvAMURL            = "SPINDLE_AM_URL"
	EnvAppID            = "SPINDLE_APP_ID"
	EnvService          = "SPINDLE_SERVICE"
	EnvRole             = "SPINDLE_ROLE"
	EnvCommand          = "SPINDLE_COMMAND"
	EnvSchedulerAddress = "DASK_SCHEDULER_ADDRESS"
	EnvEnvDir           = "SPINDLE_ENV"
	// EnvNodeEnv is an environment already on the node (nodeenv.Encode).
	EnvNodeEnv   = "SPINDLE_NODE_ENV"
	EnvStopGrace = "SPINDLE_STOP_GRACE"
	// EnvSchedulerWait bounds how long a worker container waits for a new
	// scheduler after its own went away (a duration; see SchedulerWait).
	EnvSchedulerWait = "SPINDLE_SCHEDULER_WAIT"
	// EnvAMExpiry is how long the runtime goes on without reaching its
	// application master before it stops its Dask process (see AMExpiry).
	EnvAMExpiry = "SPINDLE_AM_EXPIRY"
)

// Defaults for the Config fields left zero.
const (
	// DefaultStopGrace is long because it only bounds a stop: a Dask
	// process that exits on SIGTERM ends the wait at once, and a busy
	// node can take many seconds to close a worker.
	DefaultStopGrace = 60 * time.Second
	MaxStopGrace     = time.Hour
	// DefaultSchedulerWait outlasts any scheduler restart within its
	// max_restarts: each is a new container (allocation, localization,
	// Python start). An AM that gives up on the scheduler stops the
	// workers itself, sooner.
	DefaultSchedulerWait = 10 * time.Minute
	MaxSchedulerWait     = 24 * time.Hour
	DefaultReadyTimeout  = 120 * time.Second
	DefaultPollInterval  = 2 * time.Second
	// DefaultAMExpiry is YARN's own AM liveness expiry
	// (yarn.am.liveness-monitor.expiry-interval-ms, 600000): after it the
	// ResourceManager itself counts an AM it has not heard from as dead.
	DefaultAMExpiry       = 10 * time.Minute
	MinAMExpiry           = 10 * time.Second
	MaxAMExpiry           = 24 * time.Hour
	DefaultAMRetryFor     = 2 * time.Minute
	DefaultAMCallTimeout  = 10 * time.Second
	schedulerFileBaseName = "scheduler.json"
)

// Config is everything the runtime needs; ConfigFromEnv fills it inside a
// YARN container.
type Config struct {
	AMURL  string // SPINDLE_AM_URL, e.g. http://host:port
	Secret []byte // the control secret, sent as a hex bearer token
	// TLS is the Dask cluster's TLS material for this container's role
	// (from the token file); nil: the cluster runs without TLS.
	TLS         *dasktls.Bundle
	AppID       string // SPINDLE_APP_ID
	Service     string // SPINDLE_SERVICE
	Role        Role   // SPINDLE_ROLE
	Command     []string
	ContainerID string // CONTAINER_ID
	Host        string // NM_HOST: the host Dask listens on and advertises
	WorkDir     string // the container's working directory ($PWD)
	// SchedulerAddress is the scheduler a worker starts against; empty
	// means ask the AM first.
	SchedulerAddress string
	// EnvDir is the unpacked environment (absolute, or relative to
	// WorkDir); empty means use what is on PATH.
	EnvDir string
	// NodeEnv is an environment already on the node (SPINDLE_NODE_ENV);
	// nil when none.
	NodeEnv *nodeenv.URI
	// Environ is the child's base environment; nil means os.Environ().
	Environ []string
	// UserEnv is the spec's env for this service (SPINDLE_USER_ENV, decoded),
	// set over Environ for the child.
	UserEnv map[string]string

	StopGrace    time.Duration // SIGTERM to SIGKILL; 0 means DefaultStopGrace
	ReadyTimeout time.Duration // scheduler: wait for the scheduler file
	PollInterval time.Duration // worker: GET /v1/scheduler period
	// SchedulerWait (worker) bounds the wait for a new scheduler after the
	// worker process exited because its scheduler went away; 0 means
	// DefaultSchedulerWait.
	SchedulerWait time.Duration
	// AMRetryFor bounds how long one AM call is retried (backoff between
	// tries); AMCallTimeout bounds each try.
	AMRetryFor    time.Duration
	AMCallTimeout time.Duration
	// TokenFile is $HADOOP_TOKEN_FILE_LOCATION; TokenPoll, when positive,
	// how often refreshed delegation tokens are fetched from the AM into it.
	TokenFile string
	TokenPoll time.Duration
	// AMExpiry: when the application master has not answered for this
	// long, the application is over or its AM is lost, and nothing is left
	// to stop this container (its NodeManager may be gone too): the runtime
	// stops the Dask process and exits, so that no Dask process outlives
	// its application. 0 means DefaultAMExpiry. The AM sets it to the
	// cluster's AM liveness expiry.
	AMExpiry time.Duration

	// Stdout and Stderr are the child's; nil means the runtime's own, so
	// the child writes straight to the container's log files.
	Stdout, Stderr io.Writer
	// Log receives the runtime's own messages; nil means text on Stderr.
	Log *slog.Logger
}

// ConfigFromEnv reads the runtime's configuration from the environment the
// AM and the NodeManager set, and the control secret from the token file.
func ConfigFromEnv() (Config, error) { return configFrom(os.Getenv) }

func configFrom(getenv func(string) string) (Config, error) {
	c := Config{
		AMURL:            strings.TrimRight(getenv(EnvAMURL), "/"),
		AppID:            getenv(EnvAppID),
		Service:          getenv(EnvService),
		Role:             Role(getenv(EnvRole)),
		ContainerID:      getenv("CONTAINER_ID"),
		Host:             getenv("NM_HOST"),
		WorkDir:          getenv("PWD"),
		SchedulerAddress: getenv(EnvSchedulerAddress),
		EnvDir:           getenv(EnvEnvDir),
	}
	var problems []string
	need := func(name, v string) {
		if v == "" {
			problems = append(problems, name+" is not set")
		}
	}
	need(EnvAMURL, c.AMURL)
	need(EnvService, c.Service)
	need("CONTAINER_ID", c.ContainerID)
	need("NM_HOST", c.Host)
	if c.Role != RoleScheduler && c.Role != RoleWorker && c.Role != RoleClient {
		problems = append(problems, fmt.Sprintf("%s is %q, want %q, %q or %q", EnvRole, c.Role, RoleScheduler, RoleWorker, RoleClient))
	}
	if raw := getenv(EnvCommand); raw == "" {
		problems = append(problems, EnvCommand+" is not set")
	} else if err := json.Unmarshal(decodeCommand(raw), &c.Command); err != nil || len(c.Command) == 0 || c.Command[0] == "" {
		problems = append(problems, fmt.Sprintf(`%s is %q, want a non-empty JSON array of strings such as ["dask","worker"], plain or base64-encoded`, EnvCommand, raw))
	}
	if v := getenv(EnvNodeEnv); v != "" {
		if u, err := nodeenv.Decode(v); err != nil {
			problems = append(problems, EnvNodeEnv+": "+err.Error())
		} else {
			c.NodeEnv = &u
		}
	}
	if ue, err := launchenv.Decode(getenv(launchenv.UserEnvVar)); err != nil {
		problems = append(problems, err.Error())
	} else {
		c.UserEnv = ue
	}
	if g := getenv(EnvStopGrace); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 || d > MaxStopGrace {
			problems = append(problems, fmt.Sprintf("%s is %q, want a duration from 0s to %s such as 60s", EnvStopGrace, g, MaxStopGrace))
		}
		c.StopGrace = d
	}
	if v := getenv(EnvSchedulerWait); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > MaxSchedulerWait {
			problems = append(problems, fmt.Sprintf("%s is %q, want a duration from 1s to %s such as 10m", EnvSchedulerWait, v, MaxSchedulerWait))
		}
		c.SchedulerWait = d
	}
	if v := getenv(EnvAMExpiry); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < MinAMExpiry || d > MaxAMExpiry {
			problems = append(problems, fmt.Sprintf("%s is %q, want a duration from %s to %s such as 10m", EnvAMExpiry, v, MinAMExpiry, MaxAMExpiry))
		}
		c.AMExpiry = d
	}
	if c.WorkDir == "" {
		wd, err := os.Getwd()
		if err != nil {
			problems = append(problems, "PWD is not set and the working directory is unknown: "+err.Error())
		}
		c.WorkDir = wd
	}
	if tf := getenv("HADOOP_TOKEN_FILE_LOCATION"); tf == "" {
		problems = append(problems, "HADOOP_TOKEN_FILE_LOCATION is not set, so the AM control secret cannot be read")
	} else if secret, tls, err := readSecret(tf, c.Role); err != nil {
		problems = append(problems, err.Error())
	} else {
		c.Secret, c.TLS, c.TokenFile = secret, tls, tf
	}
	if v := getenv(EnvTokenPoll); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > MaxTokenPoll {
			problems = append(problems, fmt.Sprintf("%s is %q, want a duration from 1s to %s such as 1m", EnvTokenPoll, v, MaxTokenPoll))
		}
		c.TokenPoll = d
	}
	if len(problems) > 0 {
		return c, errors.New("container environment: " + strings.Join(problems, "; ") +
			" (spindle container runs inside a YARN container started by the spindle application master)")
	}
	return c, nil
}

// readSecret reads the control secret and, when the application runs TLS,
// the TLS material of role from the token file.
func readSecret(tokenFile string, role Role) ([]byte, *dasktls.Bundle, error) {
	creds, err := credentials.ReadFile(tokenFile)
	if err != nil {
		return nil, nil, err
	}
	s, ok := creds.Secret(SecretAlias)
	if !ok || len(s) == 0 {
		return nil, nil, fmt.Errorf("token file %s has no secret %q: the application master must add it to the container's credentials", tokenFile, SecretAlias)
	}
	tls, ok := dasktls.FromCredentials(creds)
	if !ok {
		return s, nil, nil
	}
	if _, mine := tls.Pairs[dasktls.Role(role)]; !mine {
		return nil, nil, fmt.Errorf("token file %s has the application's TLS CA but no %s certificate and key", tokenFile, role)
	}
	return s, tls, nil
}

func (c *Config) fill() {
	if c.StopGrace == 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.SchedulerWait <= 0 {
		c.SchedulerWait = DefaultSchedulerWait
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.AMExpiry == 0 {
		c.AMExpiry = DefaultAMExpiry
	}
	if c.AMRetryFor == 0 {
		c.AMRetryFor = DefaultAMRetryFor
	}
	if c.AMCallTimeout == 0 {
		c.AMCallTimeout = DefaultAMCallTimeout
	}
	if c.Environ == nil {
		c.Environ = os.Environ()
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(c.Stderr, nil))
	}
	c.Log = c.Log.With("component", "spindle-container", "container", c.ContainerID)
	if c.EnvDir != "" && !filepath.IsAbs(c.EnvDir) {
		c.EnvDir = filepath.Join(c.WorkDir, c.EnvDir)
	}
}

// decodeCommand accepts the command as JSON or as base64 of the JSON. The AM
// sends base64: the NodeManager writes env values into launch_container.sh
// between double quotes without escaping, so JSON's quotes would be lost.
func decodeCommand(raw string) []byte {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "[") {
		return []byte(raw)
	}
	if b, err := base64.StdEncoding.DecodeString(raw); err == nil {
		return b
	}
	return []byte(raw)
}
