package conf

import (
	"fmt"
	"os"
	"os/user"
	"strings"
)

// maxSubst is Hadoop's Configuration.MAX_SUBST: expansion makes at most this
// many passes, each replacing one ${var}; a value still changing on the
// last pass is an error (so 19 substitutions is the most that succeed).
const maxSubst = 20

// maxExpanded bounds an expanded value, so a hostile file cannot make a
// lookup build huge strings; Hadoop has no such limit, real values are tiny.
const maxExpanded = 1 << 20

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// findVar returns the bounds of the name inside the leftmost ${name} in s,
// or -1, -1. A name is one or more characters other than '}', '$' and
// space, as in Hadoop's findSubVariable (which matches the old regular
// expression \$\{[^\}\$ ]+\}).
func findVar(s string) (start, end int) {
	from := 1
	for from < len(s) {
		lb := strings.IndexByte(s[from:], '{')
		if lb < 0 {
			return -1, -1
		}
		lb += from
		// The smallest variable "${c}" needs two characters after '{'.
		if lb+2 >= len(s) {
			return -1, -1
		}
		if s[lb-1] != '$' {
			from = lb + 1
			continue
		}
		n := 0
		restarted := false
		for i := lb + 1; i < len(s); i++ {
			c := s[i]
			if c == '}' && n > 0 {
				return lb + 1, lb + 1 + n
			}
			if c == '}' || c == ' ' || c == '$' {
				from = i + 1
				restarted = true
				break
			}
			n++
		}
		if !restarted {
			return -1, -1
		}
	}
	return -1, -1
}

// expand performs Hadoop's variable substitution on expr. Each ${var} is
// resolved, leftmost first, from: the environment for ${env.NAME}
// (${env.NAME:-default} and ${env.NAME-default} work as in a shell), else a
// Java-style system property (user.name, user.home, ...), else another
// configuration key. An unbound variable stops substitution and the value is
// returned as expanded so far. A value that refers to itself directly is
// returned unexpanded; longer cycles run into the maxSubst limit and are an
// error. This matches Hadoop 3.4.1 (checked against its Configuration.get).
func (c *Config) expand(expr string) (string, error) {
	eval := expr
	for range maxSubst {
		start, end := findVar(eval)
		if start < 0 {
			return eval, nil
		}
		name := eval[start:end]
		val, ok := c.resolveExternal(name)
		if !ok {
			if e, found := c.props[name]; found {
				val, ok = e.value, true
			}
		}
		if !ok {
			return eval, nil
		}
		ref := eval[start-2 : end+1]
		if strings.Contains(val, ref) {
			return expr, nil
		}
		if len(eval)-len(ref)+len(val) > maxExpanded {
			return "", fmt.Errorf("expanding %q produces more than %d bytes", truncate(expr, 80), maxExpanded)
		}
		eval = eval[:start-2] + val + eval[end+1:]
	}
	return "", fmt.Errorf("variable substitution depth too large (%d passes) in %q: check for a reference cycle or deeply nested ${...} references", maxSubst, truncate(expr, 200))
}

// resolveExternal looks a variable up outside the configuration: the
// environment for env.* names, else the system-property table.
func (c *Config) resolveExternal(name string) (string, bool) {
	if rest, isEnv := strings.CutPrefix(name, "env."); isEnv && rest != "" {
		for i := 0; i < len(rest); i++ {
			switch {
			case rest[i] == ':' && i < len(rest)-1 && rest[i+1] == '-':
				if v, ok := c.getenv(rest[:i]); ok && v != "" {
					return v, true
				}
				return rest[i+2:], true
			case rest[i] == '-':
				if v, ok := c.getenv(rest[:i]); ok {
					return v, true
				}
				return rest[i+1:], true
			}
		}
		return c.getenv(rest)
	}
	return c.sysprop(name)
}

func (c *Config) getenv(name string) (string, bool) {
	if c.env != nil {
		return c.env(name)
	}
	return os.LookupEnv(name)
}

func (c *Config) sysprop(name string) (string, bool) {
	if c.sysProps != nil {
		v, ok := c.sysProps[name]
		return v, ok
	}
	return defaultSysProp(name)
}

// defaultSysProp answers the few JVM system properties that Hadoop
// configuration files commonly refer to (hadoop.tmp.dir defaults to
// /tmp/hadoop-${user.name}) with this process's equivalents.
func defaultSysProp(name string) (string, bool) {
	switch name {
	case "user.name":
		if u, err := user.Current(); err == nil && u.Username != "" {
			return u.Username, true
		}
		if v := os.Getenv("USER"); v != "" {
			return v, true
		}
	case "user.home":
		if h, err := os.UserHomeDir(); err == nil {
			return h, true
		}
	case "user.dir":
		if d, err := os.Getwd(); err == nil {
			return d, true
		}
	case "java.io.tmpdir":
		return "/tmp", true
	case "file.separator":
		return "/", true
	case "path.separator":
		return ":", true
	case "line.separator":
		return "\n", true
	}
	return "", false
}
