package nodeenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spindle-yarn/spindle/envpack"
)

// ImportTimeout bounds the start check (`python -c "import distributed"`).
// Generous: importing distributed on a busy node or from NFS takes
// seconds; a check that runs out is an ordinary container failure
// (retried), not ErrUnusable.
const ImportTimeout = 90 * time.Second

// condaListTimeout bounds `conda env list --json` (conda starts slowly).
const condaListTimeout = 60 * time.Second

// CondaRoots are the folders searched for conda://NAME after conda's own
// list and CONDA_ENVS_PATH: NAME is ROOT/NAME. "~" is the container user's
// HOME.
var CondaRoots = []string{"~/.conda/envs", "/opt/conda/envs", "/opt/anaconda3/envs", "/opt/miniconda3/envs",
	"/opt/cloudera/parcels/Anaconda/envs"}

// Resolve finds the environment on this node and returns its activation
// (PATH first, VIRTUAL_ENV or CONDA_PREFIX) for a process whose
// environment is environ. It checks nothing about the interpreter: Check
// does.
func Resolve(ctx context.Context, u URI, environ []string) (*envpack.Activation, error) {
	prefix := u.Path
	if u.Kind == Conda && u.Name != "" {
		p, err := findConda(ctx, u.Name, environ)
		if err != nil {
			return nil, err
		}
		prefix = p
	}
	switch u.Kind {
	case Python:
		return &envpack.Activation{Python: u.Path, Prefix: filepath.Dir(u.Path), Set: map[string]string{},
			PathPrepend: []string{filepath.Dir(u.Path)}}, nil
	case Venv:
		return &envpack.Activation{Kind: envpack.KindVenv, Prefix: prefix, Python: filepath.Join(prefix, "bin", "python"),
			Set: map[string]string{"VIRTUAL_ENV": prefix}, Unset: []string{"PYTHONHOME", "CONDA_PREFIX"},
			PathPrepend: []string{filepath.Join(prefix, "bin")}}, nil
	default:
		return &envpack.Activation{Kind: envpack.KindConda, Prefix: prefix, Python: filepath.Join(prefix, "bin", "python"),
			Set: map[string]string{"CONDA_PREFIX": prefix}, Unset: []string{"PYTHONHOME", "VIRTUAL_ENV"},
			PathPrepend: []string{filepath.Join(prefix, "bin")}}, nil
	}
}

// Check runs the interpreter once with environ (already activated):
// `python -c "import distributed"`, bounded by ImportTimeout. A missing
// interpreter, or one that cannot import distributed, is ErrUnusable.
func Check(ctx context.Context, a *envpack.Activation, environ []string, dir string) error {
	st, err := os.Stat(a.Python)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s: %v", ErrUnusable, a.Python, err)
	case st.IsDir() || st.Mode()&0o111 == 0:
		return fmt.Errorf("%w: %s is not an executable file", ErrUnusable, a.Python)
	}
	cctx, cancel := context.WithTimeout(ctx, ImportTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, a.Python, "-c", "import distributed")
	cmd.Env, cmd.Dir = environ, dir
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		return nil
	case cctx.Err() != nil:
		// Slow is not missing: the AM may retry this container.
		return fmt.Errorf("%s -c \"import distributed\" did not finish within %s: %w", a.Python, ImportTimeout, cctx.Err())
	}
	return fmt.Errorf("%w: %s -c \"import distributed\" failed (%v): %s", ErrUnusable, a.Python, err, lastLine(out))
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 1000 {
		l = l[:1000] + "..."
	}
	if l == "" {
		return "no output"
	}
	return l
}

// findConda finds conda://NAME: among `conda env list --json` (conda being
// $CONDA_EXE, else `conda` on environ's PATH), then in each folder of
// CONDA_ENVS_PATH, then under CondaRoots. A match is a folder named NAME
// holding bin/python.
func findConda(ctx context.Context, name string, environ []string) (string, error) {
	get := func(k string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if kk, v, _ := strings.Cut(environ[i], "="); kk == k {
				return v
			}
		}
		return ""
	}
	isEnv := func(p string) bool {
		st, err := os.Stat(filepath.Join(p, "bin", "python"))
		return err == nil && !st.IsDir()
	}
	var searched []string
	if exe := condaExe(get); exe != "" {
		envs, err := condaEnvs(ctx, exe, environ)
		if err != nil {
			searched = append(searched, fmt.Sprintf("`%s env list --json` (%v)", exe, err))
		} else {
			searched = append(searched, fmt.Sprintf("`%s env list --json`", exe))
			for _, p := range envs {
				if filepath.Base(p) == name && isEnv(p) {
					return p, nil
				}
			}
		}
	} else {
		searched = append(searched, "conda's list (no conda: CONDA_EXE unset and no conda on PATH)")
	}
	var roots []string
	for _, d := range filepath.SplitList(get("CONDA_ENVS_PATH")) {
		if filepath.IsAbs(d) {
			roots = append(roots, d)
		}
	}
	for _, r := range CondaRoots {
		if strings.HasPrefix(r, "~/") {
			home := get("HOME")
			if home == "" || !filepath.IsAbs(home) {
				continue
			}
			r = filepath.Join(home, r[2:])
		}
		roots = append(roots, r)
	}
	for _, r := range roots {
		p := filepath.Join(r, name)
		if isEnv(p) {
			return p, nil
		}
		searched = append(searched, p)
	}
	return "", fmt.Errorf("%w: no conda environment named %q (with bin/python) found; searched %s: give its path instead, conda:///path/to/env",
		ErrUnusable, name, strings.Join(searched, ", "))
}

// condaExe is $CONDA_EXE, else conda on PATH, else "".
func condaExe(get func(string) string) string {
	if e := get("CONDA_EXE"); filepath.IsAbs(e) {
		return e
	}
	for _, d := range filepath.SplitList(get("PATH")) {
		if !filepath.IsAbs(d) {
			continue
		}
		p := filepath.Join(d, "conda")
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// condaEnvs is `conda env list --json`'s list of prefixes.
func condaEnvs(ctx context.Context, exe string, environ []string) ([]string, error) {
	cctx, cancel := context.WithTimeout(ctx, condaListTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, exe, "env", "list", "--json")
	cmd.Env = environ
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if cctx.Err() != nil {
			return nil, fmt.Errorf("no answer within %s", condaListTimeout)
		}
		return nil, fmt.Errorf("%v: %s", err, lastLine(stderr.Bytes()))
	}
	var out struct {
		Envs []string `json:"envs"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("its output is not conda's JSON: %w", err)
	}
	return out.Envs, nil
}
