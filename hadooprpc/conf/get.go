package conf

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Set sets key to value, overriding defaults and files (final only guards
// against later files, as in Hadoop).
func (c *Config) Set(key, value string) {
	c.props[key] = entry{value: value, source: SourceProgram}
}

// Unset removes key, including its default.
func (c *Config) Unset(key string) {
	delete(c.props, key)
}

// Raw returns key's value without ${var} expansion.
func (c *Config) Raw(key string) (string, bool) {
	e, ok := c.props[key]
	return e.value, ok
}

// Get returns key's value with ${var} expansion, and whether it is set.
// If expansion fails (more than 20 nested substitutions) Get returns the
// unexpanded value; Lookup reports that error instead.
func (c *Config) Get(key string) (string, bool) {
	e, ok := c.props[key]
	if !ok {
		return "", false
	}
	v, err := c.expand(e.value)
	if err != nil {
		return e.value, true
	}
	return v, true
}

// Lookup is Get with expansion errors reported, naming the file and key.
func (c *Config) Lookup(key string) (string, bool, error) {
	e, ok := c.props[key]
	if !ok {
		return "", false, nil
	}
	v, err := c.expand(e.value)
	if err != nil {
		return "", true, fmt.Errorf("%s: %s: %w", e.source, key, err)
	}
	return v, true, nil
}

// GetDefault returns key's expanded value, or def when key is not set.
func (c *Config) GetDefault(key, def string) string {
	if v, ok := c.Get(key); ok {
		return v
	}
	return def
}

// Expand applies ${var} substitution to s using this configuration.
func (c *Config) Expand(s string) (string, error) {
	return c.expand(s)
}

// Source names where key's value came from: a site file's path,
// "<name>-default.xml (built in)" for a Hadoop default, or SourceProgram.
func (c *Config) Source(key string) (string, bool) {
	e, ok := c.props[key]
	return e.source, ok
}

// Keys returns every set key, sorted.
func (c *Config) Keys() []string {
	keys := make([]string, 0, len(c.props))
	for k := range c.props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Files lists the configuration files read, in load order.
func (c *Config) Files() []string { return append([]string(nil), c.files...) }

// Dirs lists the configuration directories given to Load.
func (c *Config) Dirs() []string { return append([]string(nil), c.dirs...) }

// Warnings lists non-fatal problems met while loading, such as a site file
// trying to override a final property.
func (c *Config) Warnings() []string { return append([]string(nil), c.warnings...) }

// trimmed returns the expanded, trimmed value the typed accessors parse,
// as Hadoop's getTrimmed does. ok is false when the key is unset or blank.
func (c *Config) trimmed(key string) (val, src string, ok bool, err error) {
	v, set, err := c.Lookup(key)
	if err != nil || !set {
		return "", "", false, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", "", false, nil
	}
	return v, c.props[key].source, true, nil
}

func valueError(src, key, val, what string) error {
	return fmt.Errorf("%s: %s: value '%s' is not %s", src, key, val, what)
}

// GetInt returns key as an integer (decimal, or hexadecimal with a 0x
// prefix as Hadoop allows), or def when unset or blank.
func (c *Config) GetInt(key string, def int) (int, error) {
	v, src, ok, err := c.trimmed(key)
	if err != nil || !ok {
		return def, err
	}
	s, base := v, 10
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s, base = s[2:], 16
	}
	if neg {
		s = "-" + s
	}
	n, err := strconv.ParseInt(s, base, strconv.IntSize)
	if err != nil {
		return def, valueError(src, key, v, "a number")
	}
	return int(n), nil
}

// GetBool returns key as a boolean ("true" or "false", any case), or def
// when unset or blank. Hadoop silently falls back to the default for other
// text; we report it, since a typo there is usually a mistake worth fixing.
func (c *Config) GetBool(key string, def bool) (bool, error) {
	v, src, ok, err := c.trimmed(key)
	if err != nil || !ok {
		return def, err
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return def, valueError(src, key, v, "true or false")
}

// durationUnits are Hadoop's getTimeDuration suffixes, checked in this
// order (so "ms" is found before "s").
var durationUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"ns", time.Nanosecond},
	{"us", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", 24 * time.Hour},
}

// GetDuration reads key as Hadoop's getTimeDuration does: an integer with an
// optional unit suffix (ns, us, ms, s, m, h, d); a bare number is in unit.
// Returns def when unset or blank.
func (c *Config) GetDuration(key string, def, unit time.Duration) (time.Duration, error) {
	v, src, ok, err := c.trimmed(key)
	if err != nil || !ok {
		return def, err
	}
	s := strings.ToLower(v)
	u := unit
	for _, du := range durationUnits {
		if strings.HasSuffix(s, du.suffix) {
			// Not trimmed again: Hadoop rejects "5 m" and so do we.
			s, u = strings.TrimSuffix(s, du.suffix), du.unit
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return def, valueError(src, key, v, "a duration (an integer with an optional ns, us, ms, s, m, h or d suffix)")
	}
	d := time.Duration(n) * u
	if u != 0 && d/u != time.Duration(n) {
		return def, fmt.Errorf("%s: %s: duration '%s' is too large", src, key, v)
	}
	return d, nil
}

// GetStrings splits key's value on commas, trimming each part and dropping
// empty ones (Hadoop's getTrimmedStrings). Nil when unset.
func (c *Config) GetStrings(key string) []string {
	v, ok := c.Get(key)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
