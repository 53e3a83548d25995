package service

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Unit is what the tests need of a systemd service unit: the environment
// and the commands of its [Service] section.
type Unit struct {
	// Env holds the assignments of Environment= lines, as NAME=VALUE.
	Env []string
	// Exec maps ExecStart, ExecStop, ExecReload and the like to their
	// command lines, split into words.
	Exec map[string][][]string
	// Settings holds every other key of [Service] with its last value.
	Settings map[string]string
}

// ParseUnit reads a unit file. It understands what ipvsadm.service uses:
// sections, comments, Environment= with optionally double-quoted
// assignments, and Exec*= lines without quoting or prefixes (-, @, +, !),
// which it rejects rather than misread.
func ParseUnit(path string) (*Unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u := &Unit{Exec: map[string][][]string{}, Settings: map[string]string{}}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			section = strings.Trim(line, "[]")
			continue
		}
		if section != "Service" {
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%s:%d: no '=' in %q", path, n, line)
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch {
		case key == "Environment":
			env, err := splitEnv(val)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n, err)
			}
			u.Env = append(u.Env, env...)
		case strings.HasPrefix(key, "Exec"):
			if val == "" || strings.ContainsAny(val, `"'\`) || strings.ContainsAny(val[:1], "-@+!:") {
				return nil, fmt.Errorf("%s:%d: %s=%s: quoting and prefixes are not supported", path, n, key, val)
			}
			u.Exec[key] = append(u.Exec[key], strings.Fields(val))
		default:
			u.Settings[key] = val
		}
	}
	return u, sc.Err()
}

// splitEnv splits the value of an Environment= line into its
// assignments; a double-quoted assignment may hold spaces.
func splitEnv(val string) ([]string, error) {
	var out []string
	for val = strings.TrimSpace(val); val != ""; val = strings.TrimSpace(val) {
		var word string
		if val[0] == '"' {
			end := strings.IndexByte(val[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote in %q", val)
			}
			word, val = val[1:end+1], val[end+2:]
		} else if i := strings.IndexAny(val, " \t"); i >= 0 {
			word, val = val[:i], val[i:]
		} else {
			word, val = val, ""
		}
		if !strings.Contains(word, "=") {
			return nil, fmt.Errorf("%q is not NAME=VALUE", word)
		}
		out = append(out, word)
	}
	return out, nil
}
