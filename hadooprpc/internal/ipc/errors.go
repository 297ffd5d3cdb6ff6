package ipc

import (
	"errors"
	"strings"

	"github.com/spindle-yarn/spindle/hadooprpc/internal/rpcpb"
)

// ErrClosed is wrapped by every error a call returns because its connection
// is (or became) unusable; a new connection may succeed.
var ErrClosed = errors.New("ipc connection closed")

// RemoteError is an exception reported by the server in a response header.
type RemoteError struct {
	// Method is the RPC method of the failed call, empty for connection-level
	// (FATAL) errors that are not tied to one call.
	Method string
	// Class is the Java exception class, e.g.
	// "org.apache.hadoop.yarn.exceptions.ApplicationNotFoundException".
	Class string
	// Message is the server's error text; it may hold a Java stack trace.
	Message string
	// ErrorCode is the RpcErrorCodeProto name, e.g. "ERROR_APPLICATION" or
	// "FATAL_UNAUTHORIZED" (empty if the server sent none).
	ErrorCode string
	// Fatal is set when the server closed the connection (status FATAL).
	Fatal bool
}

func (e *RemoteError) Error() string {
	var sb strings.Builder
	if e.Method != "" {
		sb.WriteString(e.Method)
		sb.WriteString(": ")
	}
	if e.Fatal {
		sb.WriteString("fatal ")
	}
	sb.WriteString("remote error")
	if e.Class != "" {
		sb.WriteString(" ")
		sb.WriteString(e.Class)
	}
	// Only the first line: the rest is usually a server-side stack trace.
	msg, _, _ := strings.Cut(strings.TrimSpace(e.Message), "\n")
	if msg != "" {
		sb.WriteString(": ")
		sb.WriteString(strings.TrimSpace(msg))
	}
	if e.ErrorCode != "" {
		sb.WriteString(" (")
		sb.WriteString(e.ErrorCode)
		sb.WriteString(")")
	}
	return sb.String()
}

func remoteErrorFrom(h *rpcpb.RpcResponseHeaderProto, method string) *RemoteError {
	e := &RemoteError{
		Method:  method,
		Class:   h.GetExceptionClassName(),
		Message: h.GetErrorMsg(),
		Fatal:   h.GetStatus() == rpcpb.RpcResponseHeaderProto_FATAL,
	}
	if h.ErrorDetail != nil {
		e.ErrorCode = h.GetErrorDetail().String()
	}
	return e
}

// ErrKerberos is wrapped by errors of the client's Kerberos side: its
// credentials, the KDC, or a server principal other than the configured one.
var ErrKerberos = errors.New("kerberos")
