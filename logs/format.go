// Package logs is what `spindle logs` prints: every container's log files of
// an application in the text format of Hadoop's `yarn logs` (LogsCLI), from
// the aggregated logs on HDFS once the application has ended (read with
// yarnlogs) or live from the NodeManagers' web services while it runs. It
// owns that format (writing and parsing it), the NodeManager REST client for
// container logs, the selection of containers, services and files, line
// tails, following running containers, and telling which container ran which
// Spindle service.
package logs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Aggregation types, as `yarn logs` prints them on the LogAggregationType
// line: AGGREGATED for logs read from HDFS, LOCAL for logs a NodeManager
// serves from its disks.
const (
	Aggregated = "AGGREGATED"
	Local      = "LOCAL"
)

// JavaTimeLayout is Hadoop's Times.format ("EEE MMM dd HH:mm:ss Z yyyy"),
// used on the LogLastModifiedTime line.
const JavaTimeLayout = "Mon Jan 02 15:04:05 -0700 2006"

// Header describes one log file section.
type Header struct {
	Container string
	// Node as `yarn logs` names it: the node file name (host_port) for
	// AGGREGATED logs, the NodeManager id (host:port) for LOCAL ones.
	Node string
	// Type is Aggregated or Local.
	Type string
	File string
	// ModTime is the LogLastModifiedTime text: for AGGREGATED logs the
	// node file's modification time (TFile) or the file's own as its index
	// records it (IndexedFile), for LOCAL ones the file's.
	ModTime string
	// Length is the file's full length, even when only its tail is printed
	// (as `yarn logs -size` does).
	Length int64
	// Running marks a LOCAL file of a running container: the end line says
	// it may not be complete, as the NodeManager's does.
	Running bool
}

// FormatTime renders t as the LogLastModifiedTime line does, in the local
// time zone as the JVM would.
func FormatTime(t time.Time) string { return t.Local().Format(JavaTimeLayout) }

// WriteHeader writes a section's lines up to and including "LogContents:".
func WriteHeader(w io.Writer, h Header) error {
	on := "Container: " + h.Container + " on " + h.Node
	_, err := fmt.Fprintf(w, "%s\nLogAggregationType: %s\n%s\nLogType:%s\nLogLastModifiedTime:%s\nLogLength:%d\nLogContents:\n",
		on, h.Type, strings.Repeat("=", len(on)), h.File, h.ModTime, h.Length)
	return err
}

// WriteFooter ends a section. Like Hadoop, an AGGREGATED section gets a
// newline after the contents and a LOCAL one does not; the rule of stars is
// 50 longer than the "End of LogType:" line.
func WriteFooter(w io.Writer, h Header) error {
	end := "End of LogType:" + h.File
	var b strings.Builder
	if h.Type == Aggregated {
		b.WriteString("\n")
	}
	b.WriteString(end)
	if h.Type == Local {
		b.WriteString(".")
		if h.Running {
			fmt.Fprintf(&b, "This log file belongs to a running container (%s) and so may not be complete.", h.Container)
		}
	}
	b.WriteString("\n")
	b.WriteString(strings.Repeat("*", len(end)+50))
	b.WriteString("\n\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Section is one parsed log file section.
type Section struct {
	Header
	// Contents are the bytes between "LogContents:" and the end line
	// (without the newline AGGREGATED sections add).
	Contents []byte
}

// ErrFormat is returned by Parse for text not in the `yarn logs` format.
var ErrFormat = errors.New("not in the yarn logs format")

// Parse reads `yarn logs` (or `spindle logs`) output into sections. It uses
// LogLength to find where contents end when the whole file is there, and
// the end line otherwise (a tail, or a file that grew while printed), so it
// is for tests and tools, not for files whose contents imitate an end line.
func Parse(r io.Reader) ([]Section, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var out []Section
	for len(data) > 0 {
		// Blank lines separate sections.
		if data[0] == '\n' {
			data = data[1:]
			continue
		}
		var s Section
		var line string
		next := func() (string, error) {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				return "", fmt.Errorf("%w: unterminated line %q", ErrFormat, truncateBytes(data, 80))
			}
			l := string(data[:i])
			data = data[i+1:]
			return l, nil
		}
		if line, err = next(); err != nil {
			return out, err
		}
		c, node, ok := strings.Cut(strings.TrimPrefix(line, "Container: "), " on ")
		if !ok || !strings.HasPrefix(line, "Container: ") {
			return out, fmt.Errorf("%w: want a \"Container: <id> on <node>\" line, got %q", ErrFormat, line)
		}
		s.Container, s.Node = c, node
		fields := map[string]string{}
		for {
			if line, err = next(); err != nil {
				return out, err
			}
			if line == "LogContents:" {
				break
			}
			if strings.HasPrefix(line, "=") {
				continue
			}
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				return out, fmt.Errorf("%w: header line %q", ErrFormat, line)
			}
			fields[k] = strings.TrimSpace(v)
		}
		s.Type = fields["LogAggregationType"]
		s.File = fields["LogType"]
		s.ModTime = fields["LogLastModifiedTime"]
		if s.Length, err = strconv.ParseInt(fields["LogLength"], 10, 64); err != nil {
			return out, fmt.Errorf("%w: LogLength %q", ErrFormat, fields["LogLength"])
		}
		end := []byte("End of LogType:" + s.File)
		lead := []byte{}
		if s.Type == Aggregated {
			lead = []byte("\n")
		}
		// Whole file: the end line sits right after LogLength bytes.
		n := int(s.Length)
		if int64(n) == s.Length && n+len(lead)+len(end) <= len(data) &&
			bytes.HasPrefix(data[n:], append(append([]byte{}, lead...), end...)) {
			s.Contents = data[:n]
			data = data[n+len(lead):]
		} else {
			// A tail: the first end marker followed by the end of its line
			// (or, for LOCAL, by the running-container note).
			marker := append(append([]byte{}, lead...), end...)
			i, off := -1, 0
			for {
				j := bytes.Index(data[off:], marker)
				if j < 0 {
					break
				}
				k := off + j + len(marker)
				if k < len(data) && (data[k] == '\n' || data[k] == '.') {
					i = off + j
					break
				}
				off = off + j + 1
			}
			if i < 0 {
				return out, fmt.Errorf("%w: no %q line for %s of %s", ErrFormat, end, s.File, s.Container)
			}
			s.Contents = data[:i]
			data = data[i+len(lead):]
		}
		if line, err = next(); err != nil { // the end line
			return out, err
		}
		s.Running = strings.Contains(line, "belongs to a running container")
		if line, err = next(); err != nil || strings.Trim(line, "*") != "" {
			return out, fmt.Errorf("%w: want a line of stars after %q", ErrFormat, end)
		}
		out = append(out, s)
	}
	return out, nil
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// lastLines returns the last n lines of r (n > 0); a final line without a
// newline counts as a line. It keeps only those lines in memory.
func lastLines(r io.Reader, n int) ([]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	ring := make([][]byte, n)
	count := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			ring[count%n] = line
			count++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	start := 0
	if count > n {
		start = count - n
	}
	for i := start; i < count; i++ {
		out.Write(ring[i%n])
	}
	return out.Bytes(), nil
}

// tailBytes returns the last n lines of b (n > 0).
func tailBytes(b []byte, n int) []byte {
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n--
			if n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}
