package envpack

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Env is what Inspect learned about an environment folder.
type Env struct {
	Kind Kind
	// Prefix is the environment's absolute path as its own files name it.
	Prefix string
	// PythonVersion is the full version, e.g. "3.11.7".
	PythonVersion string
	// Python is the environment's interpreter, Prefix/bin/python (or python3).
	Python string
	// BaseInterpreter is the real executable a venv runs (symlinks
	// resolved); for conda, the environment's own interpreter.
	BaseInterpreter string
	// BasePrefix is the base installation's prefix (sys.base_prefix).
	BasePrefix string
	// Problems are reasons the environment cannot be relocated safely;
	// Pack refuses while there are any, unless Options.Force.
	Problems []string

	// condaFiles maps conda-managed files to how conda recorded them.
	condaFiles map[string]condaFile
	// libDir is the base's platlibdir, usually "lib".
	libDir string
}

type condaFile struct {
	placeholder string // "" when the file has no prefix placeholder
	mode        FixupMode
	size        int64 // -1 when unknown
	pathType    string
}

// ErrNotEnvironment is returned when a folder is neither a venv nor a conda env.
var ErrNotEnvironment = errors.New("not a Python environment")

// Inspect tells what kind of environment srcDir is, its Python version and
// its base interpreter, and collects what would keep it from relocating.
// For a venv it runs the environment's Python once.
func Inspect(srcDir string) (*Env, error) {
	abs, err := filepath.Abs(srcDir)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", srcDir, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("inspecting environment: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("inspecting %s: not a folder (pass the environment's root folder)", abs)
	}
	switch {
	case exists(filepath.Join(abs, "conda-meta")):
		return inspectConda(abs)
	case exists(filepath.Join(abs, "pyvenv.cfg")):
		return inspectVenv(abs)
	}
	return nil, fmt.Errorf("%s: %w: it has neither pyvenv.cfg (venv/virtualenv) nor conda-meta/ (conda)", abs, ErrNotEnvironment)
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// envPython finds bin/python, bin/python3 or bin/pythonX.Y.
func envPython(prefix string) (string, error) {
	for _, n := range []string{"python", "python3"} {
		p := filepath.Join(prefix, "bin", n)
		if exists(p) {
			return p, nil
		}
	}
	m, _ := filepath.Glob(filepath.Join(prefix, "bin", "python[0-9]*"))
	sort.Strings(m)
	if len(m) > 0 {
		return m[0], nil
	}
	return "", fmt.Errorf("%s has no bin/python: the environment is incomplete; recreate it", prefix)
}

func readPyvenvCfg(prefix string) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(prefix, "pyvenv.cfg"))
	if err != nil {
		return nil, fmt.Errorf("reading pyvenv.cfg: %w", err)
	}
	cfg := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			cfg[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return cfg, nil
}

// probe is what the environment's own interpreter says about itself.
type probe struct {
	Version        string `json:"version"`
	BasePrefix     string `json:"base_prefix"`
	BaseExecutable string `json:"base_executable"`
	PlatLibDir     string `json:"platlibdir"`
}

const probeScript = `import json, sys, os
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "base_prefix": sys.base_prefix,
 "base_executable": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
 "platlibdir": getattr(sys, "platlibdir", "lib")}))`

func runProbe(python string) (*probe, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-I", "-c", probeScript)
	cmd.Env = cleanPythonEnv(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running %s: %v: %s", python, err, tail(stderr.String(), 800))
	}
	var p probe
	if err := json.Unmarshal(bytes.TrimSpace(out), &p); err != nil {
		return nil, fmt.Errorf("reading what %s says about itself: %w", python, err)
	}
	return &p, nil
}

// cleanPythonEnv drops variables that would make a Python look elsewhere
// than its own installation.
func cleanPythonEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "PYTHONHOME=") || strings.HasPrefix(kv, "PYTHONPATH=") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

func inspectVenv(prefix string) (*Env, error) {
	cfg, err := readPyvenvCfg(prefix)
	if err != nil {
		return nil, err
	}
	prefix = declaredVenvPrefix(prefix)
	e := &Env{Kind: KindVenv, Prefix: prefix}
	py, err := envPython(prefix)
	if err != nil {
		return nil, err
	}
	e.Python = py
	if _, err := filepath.EvalSymlinks(py); err != nil {
		target, _ := os.Readlink(py)
		return nil, fmt.Errorf("venv %s: its interpreter %s points to %s, which is missing (pyvenv.cfg home = %s): the base Python was removed or moved; recreate the venv with an installed Python",
			prefix, py, target, cfg["home"])
	}
	p, err := runProbe(py)
	if err != nil {
		return nil, fmt.Errorf("venv %s: its Python does not start, so it cannot be packed: %w", prefix, err)
	}
	e.PythonVersion = p.Version
	e.BasePrefix = p.BasePrefix
	e.BaseInterpreter = p.BaseExecutable
	e.libDir = p.PlatLibDir
	if e.libDir == "" {
		e.libDir = "lib"
	}
	if !exists(e.BaseInterpreter) {
		return nil, fmt.Errorf("venv %s: base interpreter %s is missing: recreate the venv with an installed Python", prefix, e.BaseInterpreter)
	}
	if strings.EqualFold(cfg["include-system-site-packages"], "true") {
		e.Problems = append(e.Problems, "the venv includes the base Python's site-packages (include-system-site-packages = true), which do not travel with it: recreate it without --system-site-packages")
	}
	e.Problems = append(e.Problems, editableProblems(prefix)...)
	return e, nil
}

// declaredVenvPrefix returns the path the venv's activate script names
// (what its files contain) when it is the same folder as prefix, e.g. when
// prefix was reached through a symlink.
var activateVenvRE = regexp.MustCompile(`(?m)^\s*VIRTUAL_ENV=["']?([^"'\n]+)["']?\s*$`)

func declaredVenvPrefix(prefix string) string {
	b, err := os.ReadFile(filepath.Join(prefix, "bin", "activate"))
	if err != nil {
		return prefix
	}
	m := activateVenvRE.FindSubmatch(b)
	if m == nil {
		return prefix
	}
	decl := string(m[1])
	if decl == prefix || !filepath.IsAbs(decl) {
		return prefix
	}
	a, err1 := os.Stat(decl)
	b2, err2 := os.Stat(prefix)
	if err1 == nil && err2 == nil && os.SameFile(a, b2) {
		return decl
	}
	return prefix
}

// editableProblems finds packages installed in development mode whose code
// lives outside the environment: it would not be in the archive.
func editableProblems(prefix string) []string {
	var probs []string
	sitePkgs, _ := filepath.Glob(filepath.Join(prefix, "lib", "python*", "site-packages"))
	for _, sp := range sitePkgs {
		ents, err := os.ReadDir(sp)
		if err != nil {
			continue
		}
		for _, de := range ents {
			name := de.Name()
			full := filepath.Join(sp, name)
			switch {
			case strings.HasSuffix(name, ".egg-link"):
				probs = append(probs, fmt.Sprintf("editable install %s (pip install -e, setup.py develop) points outside the environment: install the package normally (pip install PATH), or pass --force", rel(prefix, full)))
			case strings.HasPrefix(name, "__editable__") && strings.HasSuffix(name, ".pth"):
				probs = append(probs, fmt.Sprintf("editable install %s (pip install -e) keeps its code outside the environment: install the package normally (pip install PATH), or pass --force", rel(prefix, full)))
			case strings.HasSuffix(name, ".pth"):
				b, err := os.ReadFile(full)
				if err != nil {
					continue
				}
				for _, line := range strings.Split(string(b), "\n") {
					line = strings.TrimSpace(line)
					if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "import") {
						continue
					}
					if filepath.IsAbs(line) && !within(prefix, line) {
						probs = append(probs, fmt.Sprintf("%s adds %s to the import path, outside the environment: install that code into the environment, or pass --force", rel(prefix, full), line))
					}
				}
			}
		}
	}
	return probs
}

func within(root, p string) bool {
	r, err := filepath.Rel(root, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, "../") && !filepath.IsAbs(r)
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(r)
}

// condaRecord is the part of a conda-meta/*.json package record we use.
type condaRecord struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Files     []string `json:"files"`
	PathsData *struct {
		Paths []struct {
			Path              string `json:"_path"`
			PathType          string `json:"path_type"`
			PrefixPlaceholder string `json:"prefix_placeholder"`
			FileMode          string `json:"file_mode"`
			SizeInBytes       *int64 `json:"size_in_bytes"`
		} `json:"paths"`
	} `json:"paths_data"`
}

func inspectConda(prefix string) (*Env, error) {
	e := &Env{Kind: KindConda, Prefix: prefix, condaFiles: map[string]condaFile{}, libDir: "lib"}
	recs, _ := filepath.Glob(filepath.Join(prefix, "conda-meta", "*.json"))
	sort.Strings(recs)
	for _, rp := range recs {
		b, err := os.ReadFile(rp)
		if err != nil {
			return nil, fmt.Errorf("conda env %s: reading %s: %w", prefix, rp, err)
		}
		var r condaRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("conda env %s: %s is not a conda package record: %w", prefix, rel(prefix, rp), err)
		}
		if r.Name == "python" && r.Version != "" {
			e.PythonVersion = r.Version
		}
		if r.PathsData != nil {
			for _, p := range r.PathsData.Paths {
				cf := condaFile{placeholder: p.PrefixPlaceholder, size: -1, pathType: p.PathType, mode: FixupText}
				if p.FileMode == "binary" {
					cf.mode = FixupBinary
				}
				if p.SizeInBytes != nil {
					cf.size = *p.SizeInBytes
				}
				e.condaFiles[filepath.ToSlash(p.Path)] = cf
			}
		} else {
			for _, f := range r.Files {
				e.condaFiles[filepath.ToSlash(f)] = condaFile{size: -1, mode: FixupText}
			}
		}
	}
	py, err := envPython(prefix)
	if err != nil {
		return nil, fmt.Errorf("conda env %s: %w (install python into it: conda install -p %s python)", prefix, err, prefix)
	}
	e.Python = py
	e.BaseInterpreter = py
	e.BasePrefix = prefix
	if e.PythonVersion == "" {
		if m, _ := filepath.Glob(filepath.Join(prefix, "lib", "python[0-9]*.*")); len(m) > 0 {
			sort.Strings(m)
			e.PythonVersion = strings.TrimPrefix(filepath.Base(m[len(m)-1]), "python")
		}
	}
	e.Problems = append(e.Problems, condaChanged(prefix, e.condaFiles)...)
	e.Problems = append(e.Problems, editableProblems(prefix)...)
	return e, nil
}

// condaChanged compares conda-managed files with their records by
// existence and size only (no hashing), which catches files removed or
// overwritten by pip or by hand.
func condaChanged(prefix string, files map[string]condaFile) []string {
	var missing, changed []string
	for p, cf := range files {
		if cf.pathType == "directory" {
			continue
		}
		st, err := os.Lstat(filepath.Join(prefix, filepath.FromSlash(p)))
		if err != nil {
			missing = append(missing, p)
			continue
		}
		// A text placeholder changes the length at install; others keep it.
		if cf.size >= 0 && st.Mode().IsRegular() && (cf.placeholder == "" || cf.mode == FixupBinary) && st.Size() != cf.size {
			changed = append(changed, p)
		}
	}
	sort.Strings(missing)
	sort.Strings(changed)
	var probs []string
	if len(missing) > 0 {
		probs = append(probs, fmt.Sprintf("conda-managed files were removed since install (%s): repair the env with conda (conda install --force-reinstall), or pass --force", list(missing)))
	}
	if len(changed) > 0 {
		probs = append(probs, fmt.Sprintf("conda-managed files changed since install, e.g. overwritten by pip (%s): reinstall those packages with one tool, or pass --force", list(changed)))
	}
	return probs
}

func list(s []string) string {
	const max = 5
	if len(s) <= max {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:max], ", ") + fmt.Sprintf(" and %d more", len(s)-max)
}
