package container

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spindle-yarn/spindle/dasktls"
)

// tlsDirName is the folder (mode 0700, in the container's working dir)
// holding this container's TLS files, each mode 0600. The container's
// working dir is the application user's; the NodeManager removes it.
const tlsDirName = ".spindle-tls"

// tlsEnv writes the container's TLS material to files and returns Dask's
// configuration variables naming them: the pair serves the container's
// role and also the client role, since code running in a scheduler or a
// worker may open a Client (get_client) with the process's own settings.
// Only paths travel in the environment, never the key itself.
func tlsEnv(cfg *Config) (map[string]string, error) {
	role := dasktls.Role(cfg.Role)
	// Told here, not as a failed handshake in Dask's log: a container
	// started after the certificates expired (an application without
	// lifetime running past dasktls.DefaultValidity) cannot join.
	if err := dasktls.Verify(cfg.TLS.CA, cfg.TLS.Pairs[role], time.Now()); err != nil {
		return nil, fmt.Errorf("the application's %s certificate: %w", role, err)
	}
	f, err := cfg.TLS.Write(filepath.Join(cfg.WorkDir, tlsDirName), role)
	if err != nil {
		return nil, err
	}
	roles := []dasktls.Role{role}
	if role != dasktls.Client {
		roles = append(roles, dasktls.Client)
	}
	return dasktls.Env(f, roles...), nil
}

// RestrictTokenFile makes a container's token file (YARN's credentials:
// the control secret, the TLS pair, delegation tokens) readable by the
// application's user only. The NodeManager writes it 0644 (seen with the
// DefaultContainerExecutor) in the container's 0710 folder, so members of
// the folder's group could read it by its well-known name.
func RestrictTokenFile(path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict the token file to its user: %w", err)
	}
	return nil
}
