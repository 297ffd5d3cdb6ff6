package appmaster

import (
	"regexp"
	"strings"
)

// stderrTail marks where a NodeManager's diagnostics for a failed
// container quote the tail of its stderr ("Last 4096 bytes of stderr :").
var stderrTail = regexp.MustCompile(`Last \d+ bytes of stderr :`)

// nmBlock starts each timestamped block of a NodeManager's diagnostics
// ("[2026-11-26 01:17:30.313]Container exited ...").
var nmBlock = regexp.MustCompile(`(?m)^\[\d{4}-\d\d-\d\d [^\]]*\]`)

// runtimeProgress matches the container runtime's log lines below ERROR
// (log/slog's text format).
var runtimeProgress = regexp.MustCompile(`^time=\S+ level=(DEBUG|INFO|WARN) `)

// describeExit turns a NodeManager's diagnostics for a container that
// exited into one line of an application report: the cause first, whole,
// then the context, and nothing cut out. The cause is what the container
// itself said last: the runtime's last ERROR log line (e.g. `command "dask"
// not found on PATH ...`), else the last line of its stderr, which the
// NodeManager quotes at the end of its own text.
func describeExit(diag string) string {
	locs := stderrTail.FindAllStringIndex(diag, -1)
	if len(locs) == 0 {
		return oneLine(diag)
	}
	// The NodeManager often repeats its "exited with a non-zero exit code"
	// block; the last one is complete.
	last := locs[len(locs)-1]
	tail, after := diag[last[1]:], ""
	if b := nmBlock.FindStringIndex(tail); b != nil {
		tail, after = tail[:b[0]], tail[b[0]:]
	}
	context := diag[:last[0]]
	// Drop the earlier blocks that only repeat this tail (the NodeManager
	// often writes its exit block twice); keep every other block.
	if t := strings.TrimSpace(tail); t != "" {
		b := nmBlock.FindAllStringIndex(context, -1)
		var kept strings.Builder
		prev := 0
		for i := range b {
			end := len(context)
			if i+1 < len(b) {
				end = b[i+1][0]
			}
			if i > 0 && i+1 < len(b) && strings.Contains(context[b[i][0]:end], t) {
				kept.WriteString(context[prev:b[i][0]])
				prev = end
			}
		}
		kept.WriteString(context[prev:])
		context = kept.String()
	}
	var lines []string
	for _, l := range strings.Split(tail, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return oneLine(diag)
	}
	cause := -1
	for i := len(lines) - 1; i >= 0 && cause < 0; i-- {
		if strings.Contains(lines[i], "level=ERROR") {
			cause = i
		}
	}
	for i := len(lines) - 1; i >= 0 && cause < 0; i-- {
		// The runtime's own last words and its progress log lines (such
		// as "exiting: child exited on its own") only point at the lines
		// above, where the child said what went wrong.
		if !strings.HasPrefix(lines[i], "spindle: container exits with code") && !runtimeProgress.MatchString(lines[i]) {
			cause = i
		}
	}
	if cause < 0 {
		cause = len(lines) - 1
	}
	rest := append(append([]string(nil), lines[:cause]...), lines[cause+1:]...)
	var ctx []string
	if len(rest) > 0 {
		ctx = append(ctx, "its stderr: "+strings.Join(rest, " | "))
	}
	if c := oneLine(context + " " + after); c != "" {
		ctx = append(ctx, "NodeManager: "+c)
	}
	if len(ctx) == 0 {
		return lines[cause]
	}
	return lines[cause] + " (" + strings.Join(ctx, "; ") + ")"
}

// oneLine joins s's words with single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
