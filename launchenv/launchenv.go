// Package launchenv keeps user strings out of the NodeManager's shell.
//
// A NodeManager (Hadoop 3.4.1, ContainerLaunch and ContainerExecutor)
// starts a container by writing launch_container.sh and running it with
// bash. Nothing in it is escaped: each environment variable becomes
// `export KEY="VALUE"`, each local resource `ln -sf -- "SOURCE" "LINK"`
// (and `mkdir -p PARENT`, unquoted, when LINK holds a '/'), and the command
// `exec /bin/bash -c "COMMAND"`. Before writing, it also rewrites
// environment values and the command: `{{` becomes `$`, `}}` vanishes,
// and <LOG_DIR>, <CPS> and <ADD_OPENS> are replaced. So a `"`, `$`, a
// backquote, a `\` or a newline in any of those runs as shell code on the
// node.
//
// Spindle therefore writes no user string into a launch context verbatim:
// a service's environment travels as one opaque variable, UserEnvVar,
// holding base64 of JSON (base64 has none of the characters above), which
// the container runtime decodes and gives to the Dask process; the
// command travels the same way (SPINDLE_COMMAND). What must stay verbatim
// (link names, the file names of hdfs:// sources, the user name, values
// the application master writes) is checked here first.
package launchenv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// UserEnvVar carries a service's `env` to the container runtime.
const UserEnvVar = "SPINDLE_USER_ENV"

// ReservedPrefix starts the variables Spindle sets itself; a spec's env may
// not use it, so a user value can never change what the runtime does.
const ReservedPrefix = "SPINDLE_"

// MaxEncoded bounds UserEnvVar's value. Linux refuses to exec a program
// with one environment string over 128 KiB (MAX_ARG_STRLEN), and bash
// execs the runtime with it: the rest is headroom for the name.
const MaxEncoded = 96 << 10

// MaxLinkName is the longest file name a link may have (NAME_MAX).
const MaxLinkName = 255

// Errors, for errors.Is.
var (
	ErrKey      = errors.New("not a valid environment variable name")
	ErrValue    = errors.New("cannot be passed to a process as written")
	ErrTooLarge = errors.New("environment too large")
	ErrLinkName = errors.New("not a valid file name")
	ErrLiteral  = errors.New("would be interpreted by the NodeManager's launch script")
	ErrEncoding = errors.New("malformed " + UserEnvVar)
)

var keyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// KeyRule says which names CheckKey accepts, for error messages.
const KeyRule = "letters, digits and _, not starting with a digit ([A-Za-z_][A-Za-z0-9_]*), and not starting with " + ReservedPrefix

// IsName says whether k is a POSIX shell variable name.
func IsName(k string) bool { return keyRe.MatchString(k) }

// CheckKey accepts a POSIX shell variable name outside ReservedPrefix.
func CheckKey(k string) error {
	if !IsName(k) || strings.HasPrefix(k, ReservedPrefix) {
		return fmt.Errorf("%q: %w: use %s", k, ErrKey, KeyRule)
	}
	return nil
}

// CheckValue accepts, for an environment value or an argument, any UTF-8
// text without NUL: exec cannot pass a NUL, and the spec and the plan are
// UTF-8 text, so other bytes would not arrive as written.
func CheckValue(v string) error {
	switch {
	case strings.IndexByte(v, 0) >= 0:
		return fmt.Errorf("%w: it holds a NUL byte, which exec cannot carry", ErrValue)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: it is not valid UTF-8 (the spec and the plan are UTF-8 text)", ErrValue)
	}
	return nil
}

// Encode is UserEnvVar's value for env, after checking every key and
// value; "" for an empty env.
func Encode(env map[string]string) (string, error) {
	if len(env) == 0 {
		return "", nil
	}
	for k, v := range env {
		if err := CheckKey(k); err != nil {
			return "", err
		}
		if err := CheckValue(v); err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
	}
	// Without HTML escaping, <, > and & stay one byte each.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		return "", fmt.Errorf("encode the environment: %w", err)
	}
	s := base64.StdEncoding.EncodeToString(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	if len(s) > MaxEncoded {
		return "", fmt.Errorf("%w: %d bytes encoded, at most %d (about %d KiB of names and values): ship large values as a file",
			ErrTooLarge, len(s), MaxEncoded, MaxEncoded*3/4>>10)
	}
	return s, nil
}

// Decode reads UserEnvVar's value back, checking it as Encode does: the
// runtime trusts nothing it did not verify.
func Decode(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxEncoded {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrEncoding, len(s), MaxEncoded)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64: %v", ErrEncoding, err)
	}
	if !utf8.Valid(b) {
		// JSON would turn bad bytes into U+FFFD silently.
		return nil, fmt.Errorf("%w: not UTF-8 JSON", ErrEncoding)
	}
	env := map[string]string{}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object of strings: %v", ErrEncoding, err)
	}
	for k, v := range env {
		if err := CheckKey(k); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrEncoding, err)
		}
		if err := CheckValue(v); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrEncoding, k, err)
		}
	}
	return env, nil
}

// Apply returns base (KEY=VALUE entries) with env set over it and
// UserEnvVar itself removed: the Dask process sees the user's variables,
// not their encoding.
func Apply(base []string, env map[string]string) []string {
	out := make([]string, 0, len(base)+len(env))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, set := env[k]; set || k == UserEnvVar {
			continue
		}
		out = append(out, kv)
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

var linkRe = regexp.MustCompile(`^[A-Za-z0-9._+@,=-]+$`)

// LinkRule says which names CheckLinkName accepts, for error messages.
const LinkRule = "a plain file name of letters, digits and . _ - + @ , = (at most 255 bytes, not . or ..)"

// CheckLinkName accepts the name a file gets in a container's working
// directory. The NodeManager writes it into its script between double
// quotes, and a '/' would also make it run `mkdir -p` on it unquoted, so
// only characters inert there are allowed.
func CheckLinkName(n string) error {
	if len(n) > MaxLinkName || !linkRe.MatchString(n) || n == "." || n == ".." {
		return fmt.Errorf("%q: %w: use %s", n, ErrLinkName, LinkRule)
	}
	return nil
}

// literalBad are what bash interprets between double quotes, and what
// the NodeManager rewrites before writing its script.
var literalBad = []string{"\"", "$", "`", "\\", "\n", "\r", "\x00", "{{", "}}", "<LOG_DIR>", "<CPS>", "<ADD_OPENS>"}

// CheckLiteral accepts a string the NodeManager may write verbatim between
// double quotes in launch_container.sh: a user name (part of every
// localized path), the file name of an hdfs:// source (the last part of
// its localized path), a value the application master sets.
func CheckLiteral(s string) error {
	for _, b := range literalBad {
		if strings.Contains(s, b) {
			return fmt.Errorf("%q: %w (it holds %q; the NodeManager writes it unescaped into a shell script)", s, ErrLiteral, b)
		}
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q: %w (not valid UTF-8)", s, ErrLiteral)
	}
	return nil
}

// CheckSource accepts a resource URL (hdfs://...) whose file name, decoded
// as the NodeManager decodes it, may stand in its script: YARN localizes
// the file under its own name and links to that path.
func CheckSource(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%q: not a URL: %w", u, err)
	}
	if err := CheckLiteral(path.Base(p.Path)); err != nil {
		return fmt.Errorf("file name %w: rename or copy the file", err)
	}
	return nil
}
