package envpack

import (
	"encoding/json"
	"fmt"
	"time"
)

// Kind is the kind of Python environment.
type Kind string

const (
	KindVenv  Kind = "venv"  // venv or virtualenv: pyvenv.cfg at its root
	KindConda Kind = "conda" // conda: conda-meta/ at its root
)

const (
	// ManifestPath is where the manifest sits inside an archive and an
	// unpacked environment.
	ManifestPath = ".spindle/env.json"
	// statePath records the prefix the unpacked copy was last fixed up for.
	statePath = ".spindle/state.json"
	// metaDir holds Spindle's own files; packing skips it.
	metaDir = ".spindle"
	// BaseDir holds the bundled base interpreter of a standalone venv.
	BaseDir = ".spindle-python"
	// manifestFormat is bumped when the archive layout changes meaning.
	manifestFormat = 1
)

// archiveTime is the modification time of every archive entry. Python's
// .pyc headers are rewritten to it, so cached bytecode stays valid.
var archiveTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// FixupMode says how a file's prefix is rewritten when the environment moves.
type FixupMode string

const (
	// FixupText replaces every occurrence; the file may change length.
	FixupText FixupMode = "text"
	// FixupBinary replaces prefixes inside NUL-terminated strings, padding
	// with NULs so the file keeps its length (conda's binary placeholders,
	// ELF strings). The new prefix can be no longer than the old one.
	FixupBinary FixupMode = "binary"
)

// Fixup is one file whose content names an absolute path that must follow
// the environment to wherever it is unpacked.
type Fixup struct {
	Path string    `json:"path"` // slash-separated, relative to the root
	Mode FixupMode `json:"mode"`
	// Placeholder is the absolute path written in the file at pack time.
	Placeholder string `json:"placeholder"`
	// Target is the folder, relative to the root ("" for the root itself),
	// that Placeholder stands for.
	Target string `json:"target,omitempty"`
}

// Link is a symlink recreated by Activate because it points outside the
// environment (a venv's bin/python to its base interpreter); Unpack never
// writes such links itself.
type Link struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// Manifest describes a packed environment. Pack writes it last into the
// archive at ManifestPath.
type Manifest struct {
	Format        int    `json:"format"`
	Kind          Kind   `json:"kind"`
	Prefix        string `json:"prefix"`         // the environment's path at pack time
	PythonVersion string `json:"python_version"` // e.g. "3.11.7"
	// BaseInterpreter and BasePrefix are a venv's base Python at pack time.
	BaseInterpreter string `json:"base_interpreter,omitempty"`
	BasePrefix      string `json:"base_prefix,omitempty"`
	// Standalone: the base prefix is bundled under BaseDir.
	Standalone bool `json:"standalone,omitempty"`
	// ExternalLinks are recreated by Activate (non-standalone venvs).
	ExternalLinks []Link  `json:"external_links,omitempty"`
	Fixups        []Fixup `json:"fixups,omitempty"`
	// LibraryPath lists folders (relative to the root) that must be on
	// LD_LIBRARY_PATH because a binary's RUNPATH could not be made relative.
	LibraryPath []string `json:"library_path,omitempty"`
	// Forced lists the relocation problems that --force overrode.
	Forced []string `json:"forced,omitempty"`
}

func parseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", ManifestPath, err)
	}
	if m.Format != manifestFormat {
		return nil, fmt.Errorf("%s has format %d, this spindle reads format %d: use the same spindle version to pack and run", ManifestPath, m.Format, manifestFormat)
	}
	if m.Kind != KindVenv && m.Kind != KindConda {
		return nil, fmt.Errorf("%s: unknown environment kind %q", ManifestPath, m.Kind)
	}
	return &m, nil
}
