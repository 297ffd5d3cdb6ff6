package hadooprpc

import (
	"errors"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/ipc"
)

// Errors for the Java exceptions callers act on. Test with errors.Is; the
// server's class and message stay reachable with errors.As(*RemoteError).
var (
	ErrApplicationNotFound             = errors.New("application not found")
	ErrApplicationAttemptNotFound      = errors.New("application attempt not found")
	ErrContainerNotFound               = errors.New("container not found")
	ErrStandby                         = errors.New("ResourceManager is in standby")
	ErrAccessDenied                    = errors.New("access denied")
	ErrInvalidToken                    = errors.New("invalid or expired token")
	ErrApplicationMasterNotRegistered  = errors.New("application master not registered")
	ErrInvalidResourceRequest          = errors.New("invalid resource request")
	ErrInvalidApplicationMasterRequest = errors.New("invalid application master request")
	ErrRetriable                       = errors.New("server asked to retry")
	// ErrUnavailable: no configured server could be reached.
	ErrUnavailable = errors.New("no server reachable")
)

// RemoteError is an exception a Hadoop server returned: Class is the Java
// exception class, Message its text.
type RemoteError = ipc.RemoteError

// javaExceptions maps Java exception class names to our errors.
var javaExceptions = map[string]error{
	"org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException":             ErrApplicationNotFound,
	"org.apache.hadoop.yarn.exceptions.ApplicationAttemptNotFoundException":      ErrApplicationAttemptNotFound,
	"org.apache.hadoop.yarn.exceptions.ContainerNotFoundException":               ErrContainerNotFound,
	"org.apache.hadoop.ipc.StandbyException":                                     ErrStandby,
	"org.apache.hadoop.security.AccessControlException":                          ErrAccessDenied,
	"org.apache.hadoop.security.authorize.AuthorizationException":                ErrAccessDenied,
	"org.apache.hadoop.security.token.SecretManager$InvalidToken":                ErrInvalidToken,
	"org.apache.hadoop.yarn.exceptions.ApplicationMasterNotRegisteredException":  ErrApplicationMasterNotRegistered,
	"org.apache.hadoop.yarn.exceptions.InvalidResourceRequestException":          ErrInvalidResourceRequest,
	"org.apache.hadoop.yarn.exceptions.InvalidApplicationMasterRequestException": ErrInvalidApplicationMasterRequest,
	"org.apache.hadoop.ipc.RetriableException":                                   ErrRetriable,
}

// classifiedError keeps the server's RemoteError and adds the matching
// sentinel so both errors.Is(err, ErrX) and errors.As(err, &remote) work.
type classifiedError struct {
	kind   error
	remote *RemoteError
}

func (e *classifiedError) Error() string        { return e.remote.Error() }
func (e *classifiedError) Unwrap() []error      { return []error{e.kind, e.remote} }
func (e *classifiedError) Is(target error) bool { return target == e.kind }

// classify wraps a server exception with the sentinel for its Java class.
func classify(err error) error {
	var re *RemoteError
	if !errors.As(err, &re) {
		return err
	}
	if kind, ok := javaExceptions[re.Class]; ok {
		return &classifiedError{kind: kind, remote: re}
	}
	return err
}
