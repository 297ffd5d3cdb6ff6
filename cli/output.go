package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// table prints aligned columns under an upper-case header, two spaces
// apart, for people; scripts use --json.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	clean := make([]string, len(cells))
	for i, c := range cells {
		clean[i] = oneLine(c)
		if clean[i] == "" {
			clean[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(clean, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// oneLine keeps a cell on one line and out of tabwriter's column syntax
// (leading spaces stay: they indent tree rows).
var oneLineReplacer = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ", "\v", " ", "\f", " ")

func oneLine(s string) string {
	return strings.TrimRight(oneLineReplacer.Replace(s), " ")
}

// truncate shortens s to n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// writeJSON prints v as indented JSON: one document per command run.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonTime formats a YARN time (ms since the epoch) as RFC 3339 in UTC,
// whole seconds (what jq's fromdate accepts); nil when unset (0 or less).
func jsonTime(ms int64) *string {
	if ms <= 0 {
		return nil
	}
	s := time.UnixMilli(ms).UTC().Format(time.RFC3339)
	return &s
}

// humanTime formats a YARN time for tables, in local time; "-" when unset.
func humanTime(ms int64, layout string) string {
	if ms <= 0 {
		return "-"
	}
	return time.UnixMilli(ms).Local().Format(layout)
}

const (
	shortTime = "2006-01-02 15:04"
	longTime  = "2006-01-02 15:04:05 MST"
)

// elapsed is how long something ran from start to finish (or to now while
// it runs), in whole seconds; 0 when it has not started.
func elapsed(startMs, finishMs int64, now time.Time) time.Duration {
	if startMs <= 0 {
		return 0
	}
	end := now
	if finishMs > 0 {
		end = time.UnixMilli(finishMs)
	}
	d := end.Sub(time.UnixMilli(startMs))
	if d < 0 {
		return 0
	}
	return d.Truncate(time.Second)
}

// enumName strips YARN's protobuf prefix (NS_, APP_, LOG_, Q_) so names read
// as YARN prints them: RUNNING, SUCCEEDED, NOT_START.
func enumName(s fmt.Stringer, prefix string) string {
	return strings.TrimPrefix(s.String(), prefix)
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", f) }

// naToEmpty turns YARN's "N/A" placeholder into an empty value.
func naToEmpty(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}
