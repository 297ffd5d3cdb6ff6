package dasktls

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spindle-yarn/spindle/hadooprpc/credentials"
)

// The secrets' aliases in the application's YARN credentials (the token
// file the NodeManager writes at 0600 for the container's user): the
// material never travels in the environment, argv or a file others read.
const (
	caAlias     = "spindle.tls.ca"
	aliasPrefix = "spindle.tls."
)

func certAlias(r Role) string { return aliasPrefix + string(r) + ".cert" }
func keyAlias(r Role) string  { return aliasPrefix + string(r) + ".key" }

// AddTo puts the CA certificate and the pairs of roles into creds.
func (b *Bundle) AddTo(creds *credentials.Credentials, roles ...Role) {
	creds.AddSecret(caAlias, b.CA)
	for _, r := range roles {
		p := b.Pairs[r]
		creds.AddSecret(certAlias(r), p.Cert)
		creds.AddSecret(keyAlias(r), p.Key)
	}
}

// FromCredentials reads the bundle back from creds, with the pairs of the
// roles found in it. ok is false when creds hold no TLS material at all
// (an application without TLS).
func FromCredentials(creds *credentials.Credentials) (b *Bundle, ok bool) {
	ca, ok := creds.Secret(caAlias)
	if !ok {
		return nil, false
	}
	b = &Bundle{CA: ca, Pairs: map[Role]Pair{}}
	for _, r := range Roles {
		c, okc := creds.Secret(certAlias(r))
		k, okk := creds.Secret(keyAlias(r))
		if okc && okk {
			b.Pairs[r] = Pair{Cert: c, Key: k}
		}
	}
	return b, true
}

// Files are the paths of one role's material on disk.
type Files struct {
	CA   string `json:"ca_file"`
	Cert string `json:"cert"`
	Key  string `json:"key"`
}

// File names in a TLS folder.
func fileNames(r Role) Files {
	return Files{CA: "ca.pem", Cert: string(r) + ".pem", Key: string(r) + "-key.pem"}
}

// Write puts role's pair and the CA certificate into dir (made mode 0700),
// each file mode 0600 and written whole before it appears under its name.
func (b *Bundle) Write(dir string, r Role) (Files, error) {
	p, ok := b.Pairs[r]
	if !ok {
		return Files{}, fmt.Errorf("%w: no %s certificate", ErrMaterial, r)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Files{}, fmt.Errorf("create the TLS folder: %w", err)
	}
	// MkdirAll leaves an existing folder's mode alone.
	if err := os.Chmod(dir, 0o700); err != nil {
		return Files{}, fmt.Errorf("restrict the TLS folder: %w", err)
	}
	n := fileNames(r)
	f := Files{CA: filepath.Join(dir, n.CA), Cert: filepath.Join(dir, n.Cert), Key: filepath.Join(dir, n.Key)}
	for path, body := range map[string][]byte{f.CA: b.CA, f.Cert: p.Cert, f.Key: p.Key} {
		if err := writePrivate(path, body); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

// writePrivate writes body to path at mode 0600 through a temporary file
// created 0600 (never readable by others, not even for a moment).
func writePrivate(path string, body []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ErrNoFiles: the folder does not hold a role's material.
var ErrNoFiles = errors.New("no TLS files")

// Read loads role's material from dir, as Write left it. A key file that
// others can read is refused, naming the fix.
func Read(dir string, r Role) (*Bundle, Files, error) {
	n := fileNames(r)
	f := Files{CA: filepath.Join(dir, n.CA), Cert: filepath.Join(dir, n.Cert), Key: filepath.Join(dir, n.Key)}
	var body [3][]byte
	for i, path := range []string{f.CA, f.Cert, f.Key} {
		fi, err := os.Stat(path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, f, fmt.Errorf("%w: %s does not exist", ErrNoFiles, path)
		}
		if err != nil {
			return nil, f, fmt.Errorf("TLS file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, f, fmt.Errorf("%w: %s is mode %v, readable by others: chmod 600 it (and consider the key leaked)", ErrMaterial, path, fi.Mode().Perm())
		}
		if body[i], err = os.ReadFile(path); err != nil {
			return nil, f, fmt.Errorf("TLS file: %w", err)
		}
	}
	return &Bundle{CA: body[0], Pairs: map[Role]Pair{r: {Cert: body[1], Key: body[2]}}}, f, nil
}

// Dask's configuration variables (dask.config reads DASK_* variables:
// "__" nests, "_" stands for "-"). They hold file paths, never contents.
const (
	EnvRequireEncryption = "DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"
	EnvCAFile            = "DASK_DISTRIBUTED__COMM__TLS__CA_FILE"
)

// EnvCert and EnvKey name a role's certificate and key variables.
func EnvCert(r Role) string {
	return "DASK_DISTRIBUTED__COMM__TLS__" + strings.ToUpper(string(r)) + "__CERT"
}
func EnvKey(r Role) string {
	return "DASK_DISTRIBUTED__COMM__TLS__" + strings.ToUpper(string(r)) + "__KEY"
}

// EnvNames are all the variables Env may set, sorted.
func EnvNames() []string {
	names := []string{EnvRequireEncryption, EnvCAFile}
	for _, r := range Roles {
		names = append(names, EnvCert(r), EnvKey(r))
	}
	sort.Strings(names)
	return names
}

// Env is Dask's configuration for processes acting as the given roles
// with f's files: TLS required, the CA, and the pair under each role.
func Env(f Files, roles ...Role) map[string]string {
	env := map[string]string{EnvRequireEncryption: "True", EnvCAFile: f.CA}
	for _, r := range roles {
		env[EnvCert(r)] = f.Cert
		env[EnvKey(r)] = f.Key
	}
	return env
}

// ShellQuote quotes s for a POSIX shell: single quotes, each ' written
// as '\”. Nothing inside single quotes is expanded.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Exports is shell text that sets vars (sorted, values quoted) and unsets
// the names in unset that vars does not set.
func Exports(vars map[string]string, unset []string) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, k := range names {
		fmt.Fprintf(&sb, "export %s=%s\n", k, ShellQuote(vars[k]))
	}
	var gone []string
	for _, k := range unset {
		if _, set := vars[k]; !set {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		fmt.Fprintf(&sb, "unset %s\n", strings.Join(gone, " "))
	}
	return sb.String()
}
