// Package nodeenv handles Python environments already installed on every
// node, named by the URIs dask-yarn documents: python:///path/to/python,
// conda:///path/to/env, conda://NAME and venv:///path/to/venv. Nothing is
// uploaded for them: the client only checks the URI's form, it travels to
// the container encoded (never as shell text), and the container runtime
// finds the interpreter there and checks that it can import distributed.
package nodeenv

import (
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spindle-yarn/spindle/launchenv"
)

// Kind is the URI's scheme.
type Kind string

const (
	Python Kind = "python" // python:///path/to/python: that interpreter
	Conda  Kind = "conda"  // conda:///path/to/env or conda://NAME
	Venv   Kind = "venv"   // venv:///path/to/venv
)

// Forms lists the accepted forms, for error messages.
const Forms = "python:///path/to/python, conda:///path/to/env, conda://NAME or venv:///path/to/venv (paths absolute)"

// MaxLen bounds a URI (PATH_MAX, with room for the scheme).
const MaxLen = 4096 + len("python://")

// Errors, for errors.Is.
var (
	ErrMalformed = errors.New("malformed environment URI")
	// ErrUnusable: the environment is not on this node, or cannot import
	// distributed there. Retrying on the same cluster will not help.
	ErrUnusable = errors.New("environment not usable on this node")
)

// URI is a parsed node environment.
type URI struct {
	Kind Kind
	// Path is absolute and clean; empty for conda://NAME.
	Path string
	// Name is conda://NAME's name; empty otherwise.
	Name string
}

// String is the URI in its canonical form.
func (u URI) String() string {
	if u.Name != "" {
		return string(u.Kind) + "://" + u.Name
	}
	return string(u.Kind) + "://" + u.Path
}

var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// IsURI says whether s is meant as a node environment URI rather than a
// local path or an hdfs:// archive: it starts with python:, conda: or
// venv: (any case), or has another scheme than hdfs://. Parse then says
// whether it is well formed.
func IsURI(s string) bool {
	l := strings.ToLower(s)
	for _, k := range []Kind{Python, Conda, Venv} {
		if strings.HasPrefix(l, string(k)+":") {
			return true
		}
	}
	return schemeRe.MatchString(s) && !strings.HasPrefix(s, "hdfs://")
}

// condaNameRe is what conda accepts in an environment name, minus what
// would make it a path.
var condaNameRe = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)

// Parse reads a node environment URI.
func Parse(s string) (URI, error) {
	bad := func(why string, a ...any) (URI, error) {
		return URI{}, fmt.Errorf("%w %q: %s; accepted forms: %s", ErrMalformed, trim(s), fmt.Sprintf(why, a...), Forms)
	}
	if len(s) > MaxLen {
		return bad("longer than %d bytes", MaxLen)
	}
	if err := launchenv.CheckValue(s); err != nil {
		return bad("%v", err)
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return bad("no \"://\" after the scheme")
	}
	var u URI
	switch k := Kind(scheme); k {
	case Python, Conda, Venv:
		u.Kind = k
	default:
		return bad("unknown scheme %q (schemes are lower case)", scheme)
	}
	if !strings.HasPrefix(rest, "/") {
		if u.Kind != Conda {
			return bad("the path must be absolute: %s:///path (three slashes)", scheme)
		}
		if rest == "" || rest == "." || rest == ".." || len(rest) > 255 || !condaNameRe.MatchString(rest) {
			return bad("a conda environment name is letters, digits and _ . + - (at most 255 bytes); a path starts with / (conda:///path)")
		}
		u.Name = rest
		return u, nil
	}
	u.Path = filepath.Clean(rest)
	if u.Path == "/" {
		return bad("no path after %s://", scheme)
	}
	return u, nil
}

// trim keeps error messages readable for huge inputs.
func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// Encode is the URI as the container receives it: base64, which the
// NodeManager's launch script cannot interpret.
func Encode(u URI) string { return base64.StdEncoding.EncodeToString([]byte(u.String())) }

// Decode reads Encode's value back, checking it as Parse does.
func Decode(s string) (URI, error) {
	if len(s) > base64.StdEncoding.EncodedLen(MaxLen) {
		return URI{}, fmt.Errorf("%w: encoded value of %d bytes, at most %d", ErrMalformed, len(s), base64.StdEncoding.EncodedLen(MaxLen))
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return URI{}, fmt.Errorf("%w: not base64: %v", ErrMalformed, err)
	}
	return Parse(string(b))
}
