package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/spindle-yarn/spindle/envpack"
	"github.com/spindle-yarn/spindle/hadooprpc"
	"github.com/spindle-yarn/spindle/hadooprpc/conf"
)

func newEnvCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Pack Python environments and manage their cache on HDFS",
	}
	cmd.AddCommand(newEnvPackCmd(e), newEnvFingerprintCmd(e), newEnvLsCmd(e), newEnvRmCmd(e), newEnvPruneCmd(e))
	return cmd
}

func newEnvPackCmd(e *env) *cobra.Command {
	var out string
	var opts envpack.Options
	cmd := &cobra.Command{
		Use:   "pack PATH -o env.tar.gz",
		Short: "Pack a venv or conda environment into an archive that works at any path",
		Long: `Pack a virtualenv/venv or a conda environment into a relocatable tar.gz.
The same environment always gives the same bytes. --standalone also bundles a
venv's base interpreter so nodes need no Python of their own.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return withCode(ExitUsage, errors.New("say where to write the archive with -o FILE"))
			}
			if opts.Level < 0 || opts.Level > 9 {
				return withCode(ExitUsage, fmt.Errorf("--level must be 1..9, got %d", opts.Level))
			}
			bar := newProgressBar(e.stderr)
			opts.Progress = bar.update
			start := time.Now()
			res, err := envpack.PackFile(cmd.Context(), args[0], out, opts)
			bar.done()
			if err != nil {
				return err
			}
			m := res.Manifest
			kind := string(m.Kind)
			if m.Standalone {
				kind += ", standalone"
			}
			fmt.Fprintf(e.stdout, "%s: %s (Python %s), %d entries, %s -> %s in %s\nsha256 %s\n",
				out, kind, m.PythonVersion, res.Entries, humanBytes(res.Content), humanBytes(res.Size),
				time.Since(start).Round(time.Millisecond), res.SHA256)
			for _, f := range m.Forced {
				fmt.Fprintf(e.stderr, "warning: packed despite: %s\n", f)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "archive to write (tar.gz)")
	cmd.Flags().BoolVar(&opts.Standalone, "standalone", false, "bundle the venv's base interpreter (executable, stdlib, libpython)")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "pack even what cannot be relocated safely (editable installs, changed conda files)")
	cmd.Flags().IntVar(&opts.Level, "level", 0, fmt.Sprintf("gzip level 1..9 (default %d)", envpack.DefaultLevel))
	return cmd
}

func newEnvFingerprintCmd(e *env) *cobra.Command {
	var opts envpack.Options
	cmd := &cobra.Command{
		Use:   "fingerprint PATH",
		Short: "Print the environment's content key (from file sizes and times; reads no file)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			fp, err := envpack.Fingerprint(args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, fp)
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.Standalone, "standalone", false, "the key for a --standalone pack")
	return cmd
}

// envEntryJSON is `spindle env ls --json`: one object per cached archive.
type envEntryJSON struct {
	Hash    string `json:"hash"`
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime string `json:"uploaded_at"` // RFC3339; YARN checks it at localization
}

func newEnvLsCmd(e *env) *cobra.Command {
	var asJSON bool
	var rf rmFlags
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List your packed environments cached on HDFS",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var entries []envpack.Entry
			err := withEnvCache(cmd, &rf, "list the environment cache", func(ctx context.Context, c *envpack.Cache) (err error) {
				entries, err = c.List(ctx)
				return err
			})
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]envEntryJSON, len(entries))
				for i, en := range entries {
					out[i] = envEntryJSON{Hash: en.Hash, Path: en.Path, Size: en.Size, ModTime: en.ModTime.UTC().Format("2006-01-02T15:04:05.000Z07:00")}
				}
				return writeJSON(e.stdout, out)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HASH\tSIZE\tUPLOADED\tPATH")
			for _, en := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Hash[:12], humanBytes(en.Size), en.ModTime.Local().Format("2006-01-02 15:04"), en.Path)
			}
			return tw.Flush()
		},
	}
	rf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON on stdout")
	return cmd
}

func newEnvRmCmd(e *env) *cobra.Command {
	var rf rmFlags
	cmd := &cobra.Command{
		Use:   "rm HASH...",
		Short: "Remove packed environments from the HDFS cache (by hash prefix, as `env ls` shows)",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withEnvCache(cmd, &rf, "remove from the environment cache", func(ctx context.Context, c *envpack.Cache) error {
				var errs []error
				for _, h := range args {
					en, err := c.Remove(ctx, h)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					fmt.Fprintf(e.stdout, "removed %s\n", en.Path)
				}
				return errors.Join(errs...)
			})
		},
	}
	rf.register(cmd)
	return cmd
}

// withEnvCache connects to HDFS as configured in HADOOP_CONF_DIR, as the
// user HADOOP_USER_NAME or the login user, and runs fn with that user's
// environment cache, all under the --timeout deadline: a NameNode that does
// not answer in time ends the command with exit 6.
func withEnvCache(cmd *cobra.Command, rf *rmFlags, what string, fn func(context.Context, *envpack.Cache) error) error {
	timeout := rf.timeout
	if timeout <= 0 {
		return withCode(ExitUsage, fmt.Errorf("--timeout must be positive, got %s", timeout))
	}
	cfg, err := conf.FromEnvironment()
	if err != nil {
		return withCode(ExitUnavailable, fmt.Errorf("%s: %w", what, err))
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
	defer cancel()
	ctx, auth, err := rf.krb.authTo(ctx, cfg, hadooprpc.NameNodePrincipal)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fs, err := hadooprpc.NewHDFSContext(ctx, cfg, auth)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return timedOut(ctx, what, timeout, fmt.Errorf("connecting to HDFS: %w", err))
		}
		return withCode(ExitUnavailable, fmt.Errorf("%s: connecting to HDFS as configured in %s: %w", what, confDirs(), err))
	}
	defer fs.Close()
	return timedOut(ctx, what, timeout, fn(ctx, envpack.NewCache(fs, envpack.DefaultCacheRoot(fs.User()))))
}

// progressBar draws on stderr only when it is a terminal, at most ten
// times a second.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	shown bool
}

func newProgressBar(w io.Writer) *progressBar {
	f, ok := w.(*os.File)
	if !ok {
		return &progressBar{}
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return &progressBar{}
	}
	return &progressBar{w: w}
}

func (p *progressBar) update(done, total int64) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) < 100*time.Millisecond && done < total {
		return
	} else {
		p.last = now
	}
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	n := int(frac * width)
	fmt.Fprintf(p.w, "\rpacking [%s%s] %3.0f%% %s / %s ", strings.Repeat("=", n), strings.Repeat(" ", width-n),
		frac*100, humanBytes(done), humanBytes(total))
	p.shown = true
}

func (p *progressBar) done() {
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
