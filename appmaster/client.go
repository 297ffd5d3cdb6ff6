package appmaster

import (
	"fmt"
	"strings"

	rt "github.com/spindle-yarn/spindle/container"
	"github.com/spindle-yarn/spindle/hadooprpc/yarnpb"
)

// roleClient is the service running the user's script (spec client:,
// spindle submit --script): launched once the scheduler's address is
// known, never restarted; its end ends the application.
const roleClient = string(rt.RoleClient)

// clientExited is the client runtime's report that the script ended.
func (am *AM) clientExited(id string, req ExitedRequest) error {
	am.mu.Lock()
	defer am.mu.Unlock()
	c := am.containers[id]
	if c == nil || c.service.role != roleClient {
		return fmt.Errorf("%w: no client container %s", errNotFound, id)
	}
	if c.stopping || ended(c.state) {
		return nil // stopped on purpose, or already accounted for
	}
	am.clientEndedLocked(c, req.ExitCode, scriptCause(req.StderrTail))
	return nil
}

// clientEndedLocked ends the application with the script: exit 0 is
// SUCCEEDED, anything else FAILED with why. The container is then stopped
// like the others (its completion no longer counts). Called with am.mu held.
func (am *AM) clientEndedLocked(c *container, exit int, why string) {
	c.stopping = true
	c.service.desired = 0
	script := am.plan.Spec.Client.ScriptName()
	if exit == 0 {
		am.log.Infof("client: the script %s exited 0", script)
		am.finishLocked(yarnpb.FinalApplicationStatusProto_APP_SUCCEEDED, fmt.Sprintf("the script %s exited 0", script))
		return
	}
	msg := fmt.Sprintf("the script %s exited with code %d", script, exit)
	if why != "" {
		msg += ": " + why
	}
	am.log.Warnf("client: %s", msg)
	am.finishLocked(yarnpb.FinalApplicationStatusProto_APP_FAILED, msg)
}

// scriptCause is a script's stderr tail for a diagnostic, cause first: its
// last line (a traceback's "ValueError: boom"), then the lines before it,
// bounded by the runtime's limits again (the report is an HTTP body).
func scriptCause(tail string) string {
	tail = rt.LastLines(tail, rt.TailLines)
	if len(tail) > rt.TailBytes {
		tail = tail[len(tail)-rt.TailBytes:]
	}
	// A script may write any bytes; YARN's diagnostics are text.
	tail = strings.ToValidUTF8(tail, "\uFFFD")
	lines := strings.Split(tail, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	n := len(lines)
	if n == 0 || lines[n-1] == "" {
		return ""
	}
	if n == 1 {
		return lines[0]
	}
	return lines[n-1] + " (its stderr, last lines: " + strings.Join(lines[:n-1], " | ") + ")"
}
