// Command bench-logs times `spindle logs` against Hadoop's own `yarn logs`
// (LogsCLI, run with java from the local cluster's classpath) for the same
// finished applications on a local cluster, and checks they print the same
// bytes. It uses the cluster in HADOOP_CONF_DIR, or starts one.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
	"github.com/spindle-yarn/spindle/integration/cluster"
)

func main() {
	bin := flag.String("spindle", "bin/spindle", "the spindle binary to time")
	runs := flag.Int("runs", 5, "runs of each command per application (the median is printed)")
	lines := flag.Int("lines", 200000, "lines the large application writes to stdout")
	flag.Parse()
	if err := run(*bin, *runs, *lines); err != nil {
		fmt.Fprintln(os.Stderr, "bench-logs:", err)
		os.Exit(1)
	}
}

func run(bin string, runs, lines int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	confDir := os.Getenv("HADOOP_CONF_DIR")
	if confDir == "" {
		fmt.Fprintln(os.Stderr, "starting the local Hadoop cluster...")
		c, err := cluster.Start(ctx, cluster.Options{})
		if err != nil {
			return err
		}
		defer c.Stop()
		confDir = c.ConfDir
		os.Setenv("HADOOP_CONF_DIR", confDir)
	} else if err := cluster.Build(ctx); err != nil {
		return err
	}
	os.Setenv("YARN_CONF_DIR", "")
	cfg, err := conf.Load(confDir)
	if err != nil {
		return err
	}
	rm, err := hadooprpc.NewResourceManager(cfg, hadooprpc.Options{})
	if err != nil {
		return err
	}
	defer rm.Close()

	apps := []struct{ name, script string }{
		{"small (1 container, 6 files)", "echo hello; echo to-stderr >&2"},
		// No quotes in the script: the NodeManager's launch script drops them.
		{fmt.Sprintf("large (1 container, stdout %d lines)", lines),
			fmt.Sprintf("yes 2026-01-01T00:00:00,000_INFO_distributed.worker_-_a_typical_log_line_of_some_length | head -n %d", lines)},
	}
	fmt.Printf("%-42s %10s %14s %14s %8s\n", "application", "bytes", "spindle logs", "yarn logs", "ratio")
	for _, a := range apps {
		id, err := submit(ctx, rm, a.script)
		if err != nil {
			return err
		}
		if err := waitAggregated(ctx, rm, id); err != nil {
			return err
		}
		sp, spOut, err := timeIt(ctx, runs, bin, "logs", hadooprpc.ApplicationID(id))
		if err != nil {
			return fmt.Errorf("spindle logs: %w", err)
		}
		jv, jvOut, err := timeIt(ctx, runs, "java", logsCLIArgs(confDir, hadooprpc.ApplicationID(id))...)
		if err != nil {
			return fmt.Errorf("LogsCLI: %w", err)
		}
		same := "same output"
		if !bytes.Equal(spOut, jvOut) {
			same = "OUTPUT DIFFERS"
		}
		fmt.Printf("%-42s %10d %14s %14s %7.1fx  %s\n", a.name, len(spOut), sp.Round(time.Millisecond), jv.Round(time.Millisecond),
			float64(jv)/float64(sp), same)
	}
	fmt.Printf("(median of %d runs each; yarn logs = org.apache.hadoop.yarn.client.cli.LogsCLI on a JVM started per run, as the yarn script does)\n", runs)
	return nil
}

func logsCLIArgs(confDir, appID string) []string {
	dir := cluster.ProgramDir()
	cp, _ := os.ReadFile(filepath.Join(dir, "target", "classpath.txt"))
	classpath := strings.Join([]string{confDir, filepath.Join(dir, "target", "classes"), strings.TrimSpace(string(cp))}, string(os.PathListSeparator))
	return []string{"-Dspindle.minicluster.log=/dev/null", "-cp", classpath, "org.apache.hadoop.yarn.client.cli.LogsCLI", "-applicationId", appID}
}

// timeIt runs a command n times and returns the median wall time and the
// last run's stdout.
func timeIt(ctx context.Context, n int, name string, args ...string) (time.Duration, []byte, error) {
	var times []time.Duration
	var out bytes.Buffer
	for i := 0; i < n; i++ {
		out.Reset()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout = &out
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return 0, nil, fmt.Errorf("%v: %s", err, tail(stderr.String()))
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[len(times)/2], out.Bytes(), nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func submit(ctx context.Context, rm *hadooprpc.ResourceManager, script string) (*yarnpb.ApplicationIdProto, error) {
	app, err := rm.NewApplication(ctx)
	if err != nil {
		return nil, err
	}
	id := app.GetApplicationId()
	return id, rm.SubmitApplication(ctx, &yarnpb.ApplicationSubmissionContextProto{
		ApplicationId:   id,
		ApplicationName: proto.String("spindle-bench-logs"),
		ApplicationType: proto.String("SPINDLE-TEST"),
		MaxAppAttempts:  proto.Int32(1),
		Resource:        &yarnpb.ResourceProto{Memory: proto.Int64(128), VirtualCores: proto.Int32(1)},
		AmContainerSpec: &yarnpb.ContainerLaunchContextProto{
			Command: []string{"/bin/sh -c '" + script + "' 1><LOG_DIR>/stdout 2><LOG_DIR>/stderr"},
		},
	})
}

func waitAggregated(ctx context.Context, rm *hadooprpc.ResourceManager, id *yarnpb.ApplicationIdProto) error {
	for {
		rep, err := rm.ApplicationReport(ctx, id)
		if err != nil {
			return err
		}
		if rep.LogAggregationStatus != nil {
			switch rep.GetLogAggregationStatus() {
			case yarnpb.LogAggregationStatusProto_LOG_SUCCEEDED:
				return nil
			case yarnpb.LogAggregationStatusProto_LOG_FAILED, yarnpb.LogAggregationStatusProto_LOG_TIME_OUT, yarnpb.LogAggregationStatusProto_LOG_DISABLED:
				return fmt.Errorf("%s: log aggregation %s", hadooprpc.ApplicationID(id), rep.GetLogAggregationStatus())
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: logs not aggregated: %w", hadooprpc.ApplicationID(id), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
