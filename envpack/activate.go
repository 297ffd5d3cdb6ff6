package envpack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Activation is what a process needs to run inside an unpacked environment.
type Activation struct {
	Kind   Kind
	Prefix string // the environment's folder, absolute
	Python string // Prefix/bin/python
	// Set are variables to set (VIRTUAL_ENV or CONDA_PREFIX, PYTHONHOME for
	// a standalone venv).
	Set map[string]string
	// Unset are variables to remove (a stray PYTHONHOME breaks a venv).
	Unset []string
	// PathPrepend goes in front of PATH; LibraryPathPrepend in front of
	// LD_LIBRARY_PATH (empty unless a binary needs it).
	PathPrepend        []string
	LibraryPathPrepend []string
}

// Environ returns base (KEY=VALUE pairs, e.g. os.Environ()) with the
// activation applied.
func (a *Activation) Environ(base []string) []string {
	drop := map[string]bool{}
	for _, k := range a.Unset {
		drop[k] = true
	}
	for k := range a.Set {
		drop[k] = true
	}
	vals := map[string]string{}
	var out []string
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "LD_LIBRARY_PATH" {
			vals[k] = v
			continue
		}
		if !drop[k] {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(a.Set))
	for k := range a.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+a.Set[k])
	}
	join := func(pre []string, old string) string {
		parts := append([]string(nil), pre...)
		if old != "" {
			parts = append(parts, old)
		}
		return strings.Join(parts, string(os.PathListSeparator))
	}
	if _, had := vals["PATH"]; had || len(a.PathPrepend) > 0 {
		out = append(out, "PATH="+join(a.PathPrepend, vals["PATH"]))
	}
	if _, had := vals["LD_LIBRARY_PATH"]; had || len(a.LibraryPathPrepend) > 0 {
		out = append(out, "LD_LIBRARY_PATH="+join(a.LibraryPathPrepend, vals["LD_LIBRARY_PATH"]))
	}
	return out
}

type activationState struct {
	Prefix string `json:"prefix"`
}

// Activate prepares the unpacked environment at destDir to run where it is:
// it rewrites recorded prefixes to destDir (once per location, under a
// lock, so concurrent containers sharing a folder are safe), recreates
// links to the base interpreter, then checks that bin/python starts.
// Archives not made by Pack (venv-pack, conda-pack) are activated too:
// conda-pack's bin/conda-unpack is run once if present.
func Activate(ctx context.Context, destDir string) (*Activation, error) {
	dest, err := filepath.Abs(destDir)
	if err != nil {
		return nil, err
	}
	dest = filepath.Clean(dest)
	if st, err := os.Stat(dest); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("activating environment: %s is not a folder (was the archive unpacked?)", dest)
	}
	var m *Manifest
	if b, err := os.ReadFile(filepath.Join(dest, ManifestPath)); err == nil {
		if m, err = parseManifest(b); err != nil {
			return nil, fmt.Errorf("activating %s: %w", dest, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("activating %s: %w", dest, err)
	}
	if err := withLock(dest, func() error { return fixup(ctx, dest, m) }); err != nil {
		return nil, fmt.Errorf("activating %s: %w", dest, err)
	}
	a := &Activation{Prefix: dest, Python: filepath.Join(dest, "bin", "python"), Set: map[string]string{},
		PathPrepend: []string{filepath.Join(dest, "bin")}}
	kind := KindVenv
	switch {
	case m != nil:
		kind = m.Kind
	case exists(filepath.Join(dest, "conda-meta")):
		kind = KindConda
	}
	a.Kind = kind
	if kind == KindConda {
		a.Set["CONDA_PREFIX"] = dest
		a.Unset = []string{"PYTHONHOME", "VIRTUAL_ENV"}
	} else {
		a.Set["VIRTUAL_ENV"] = dest
		a.Unset = []string{"PYTHONHOME", "CONDA_PREFIX"}
		if m != nil && m.Standalone {
			a.Set["PYTHONHOME"] = filepath.Join(dest, BaseDir)
			a.Unset = []string{"CONDA_PREFIX"}
		}
	}
	if m != nil {
		for _, l := range m.LibraryPath {
			a.LibraryPathPrepend = append(a.LibraryPathPrepend, filepath.Join(dest, filepath.FromSlash(l)))
		}
	}
	if err := checkPython(ctx, a, m); err != nil {
		return nil, err
	}
	return a, nil
}

func checkPython(ctx context.Context, a *Activation, m *Manifest) error {
	if _, err := os.Stat(a.Python); err != nil {
		hint := "the archive has no bin/python: pack the environment's root folder"
		if m != nil && len(m.ExternalLinks) > 0 {
			hint = fmt.Sprintf("bin/python leads to the base interpreter %s, which this node lacks: install Python %s there on every node, or pack with --standalone",
				m.BaseInterpreter, m.PythonVersion)
		}
		return fmt.Errorf("environment at %s cannot start Python: %s", a.Prefix, hint)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, a.Python, "-c", "import sys")
	cmd.Env = a.Environ(os.Environ())
	cmd.Dir = a.Prefix
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	hint := ""
	if m != nil && m.Kind == KindVenv && !m.Standalone {
		hint = fmt.Sprintf("; the venv runs the base interpreter %s (Python %s): install that Python at that path on every node, or pack with --standalone",
			m.BaseInterpreter, m.PythonVersion)
	}
	return fmt.Errorf("environment at %s: %s -c \"import sys\" failed: %v: %s%s", a.Prefix, a.Python, err, tail(string(out), 1500), hint)
}

// fixup moves the environment's recorded prefixes to dest.
func fixup(ctx context.Context, dest string, m *Manifest) error {
	sp := filepath.Join(dest, statePath)
	var st activationState
	if b, err := os.ReadFile(sp); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("reading %s: %w", sp, err)
		}
	}
	if st.Prefix == dest {
		return nil
	}
	if m == nil {
		// Foreign archive: conda-pack ships its own fix-up script.
		if cu := filepath.Join(dest, "bin", "conda-unpack"); exists(cu) && st.Prefix == "" {
			cmd := exec.CommandContext(ctx, filepath.Join(dest, "bin", "python"), cu)
			cmd.Env = cleanPythonEnv(os.Environ())
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("running conda-unpack: %v: %s", err, tail(string(out), 1500))
			}
		}
		return writeState(dest, dest)
	}
	realDest, err := filepath.EvalSymlinks(dest)
	if err != nil {
		return err
	}
	for _, f := range m.Fixups {
		if err := ctx.Err(); err != nil {
			return err
		}
		old := f.Placeholder
		if st.Prefix != "" {
			old = joinPrefix(st.Prefix, f.Target)
		}
		nw := joinPrefix(dest, f.Target)
		if err := fixFile(realDest, f, old, nw); err != nil {
			return err
		}
	}
	for _, l := range m.ExternalLinks {
		name, err := cleanName(l.Path)
		if err != nil || name == "" || path.Dir(name) != "bin" || !filepath.IsAbs(l.Target) {
			return fmt.Errorf("manifest: refusing external link %q -> %q: only bin/ links to an absolute interpreter path are allowed", l.Path, l.Target)
		}
		p := filepath.Join(dest, filepath.FromSlash(name))
		if cur, err := os.Readlink(p); err == nil && cur == l.Target {
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("manifest: %s already exists and is not the link to %s", name, l.Target)
		}
		if err := os.Symlink(l.Target, p); err != nil {
			return fmt.Errorf("linking %s to the base interpreter: %w", name, err)
		}
	}
	return writeState(dest, dest)
}

func joinPrefix(prefix, target string) string {
	if target == "" {
		return prefix
	}
	return prefix + "/" + target
}

// fixFile rewrites old to nw in one file, replacing it atomically and
// keeping its mode and times (a .py file's time validates its .pyc).
func fixFile(realDest string, f Fixup, old, nw string) error {
	name, err := cleanName(f.Path)
	if err != nil || name == "" {
		return fmt.Errorf("manifest: refusing fix-up of %q", f.Path)
	}
	p := filepath.Join(realDest, filepath.FromSlash(name))
	// The file must really be inside: no link anywhere on its way.
	if rp, err := filepath.EvalSymlinks(p); err != nil || rp != p {
		return fmt.Errorf("manifest: fix-up of %q: not a plain file inside the environment", f.Path)
	}
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("manifest: fix-up of %q: not a regular file", f.Path)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var out []byte
	switch f.Mode {
	case FixupText:
		out = bytes.ReplaceAll(data, []byte(old), []byte(nw))
	case FixupBinary:
		if out, _, err = replaceBinary(data, old, nw); err != nil {
			return fmt.Errorf("fixing %s: %w", f.Path, err)
		}
	default:
		return fmt.Errorf("manifest: fix-up of %q has unknown mode %q", f.Path, f.Mode)
	}
	if bytes.Equal(out, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".fixup-*")
	if err != nil {
		return fmt.Errorf("fixing %s: %w", f.Path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return fmt.Errorf("fixing %s: %w", f.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), st.Mode().Perm()); err != nil {
		return err
	}
	if err := os.Chtimes(tmp.Name(), st.ModTime(), st.ModTime()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func writeState(dest, prefix string) error {
	if err := os.MkdirAll(filepath.Join(dest, metaDir), 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(activationState{Prefix: prefix})
	tmp := filepath.Join(dest, statePath+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("recording the activation: %w", err)
	}
	return os.Rename(tmp, filepath.Join(dest, statePath))
}
