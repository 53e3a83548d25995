package rule

import (
	"strings"

	"github.com/spf13/pflag"
)

// poptCode is the outcome of one scanner step, as poptGetNextOpt reports it.
type poptCode int

const (
	poptOK       poptCode = iota // an option was found
	poptDone                     // no more options (-1)
	poptBadOpt                   // POPT_ERROR_BADOPT
	poptNoArg                    // POPT_ERROR_NOARG
	poptUnwanted                 // POPT_ERROR_UNWANTEDARG
)

var poptMessages = [...]string{
	poptBadOpt:   "unknown option",
	poptNoArg:    "missing argument",
	poptUnwanted: "option does not take an argument",
}

// scanner walks the arguments as popt 1.19's poptGetNextOpt does, finding
// options through the FlagSet.
type scanner struct {
	fs    *pflag.FlagSet
	short *shortIndex // fs's flags by shorthand
	args  []string    // argv without argv[0]
	next  int         // index of the next argument to look at
	chars string      // rest of the current short-option cluster (nextCharArg), "" for none
	// restLeftover: everything from here on is a leftover ("--" seen, or
	// POSIXLY_CORRECT and a leftover seen).
	restLeftover bool
	posix        bool
	leftovers    []string
	// taken marks arguments removed by the "!#:+" value expansion; the
	// scanner skips them.
	taken []bool
}

// step finds the next option. It returns the flag and, for value options,
// the value (noValue for an optional value that is absent).
func (s *scanner) step() (f *pflag.Flag, val string, code poptCode) {
	longArg, hasLongArg := "", false
	for f == nil {
		if s.chars == "" {
			if s.next == len(s.args) {
				return nil, "", poptDone
			}
			if s.taken != nil && s.taken[s.next] {
				s.next++
				continue
			}
			orig := s.args[s.next]
			s.next++
			if s.restLeftover || orig == "" || orig[0] != '-' || orig == "-" {
				if s.posix {
					s.restLeftover = true
				}
				s.leftovers = append(s.leftovers, orig)
				continue
			}
			if orig == "--" {
				s.restLeftover = true
				continue
			}
			if orig[1] != '-' {
				// A single dash: popt matches only ONEDASH long options
				// (ipvsadm has none), so this is a cluster of short ones.
				s.chars = orig[1:]
				continue
			}
			name := orig[2:]
			if i := strings.IndexByte(name, '='); i >= 0 {
				name, longArg, hasLongArg = name[:i], name[i+1:], true
			}
			f = s.fs.Lookup(name)
			if f == nil || specOf(f).shortOnly {
				return nil, "", poptBadOpt
			}
			break
		}
		f = s.short[s.chars[0]]
		if f == nil {
			return nil, "", poptBadOpt
		}
		s.chars = s.chars[1:]
	}

	spec := specOf(f)
	if spec.arg == argNone {
		if hasLongArg || (s.chars != "" && s.chars[0] == '=') {
			return nil, "", poptUnwanted
		}
		return f, f.NoOptDefVal, poptOK
	}
	switch {
	case hasLongArg:
		val = s.expand(longArg)
	case s.chars != "":
		val = s.expand(strings.TrimPrefix(s.chars, "="))
		s.chars = ""
	case s.next == len(s.args):
		if spec.arg != argOptional {
			return nil, "", poptNoArg
		}
		val = noValue
	case spec.arg == argOptional && strings.HasPrefix(s.args[s.next], "-"):
		val = noValue
	default:
		s.next++
		val = s.expand(s.args[s.next-1])
	}
	return f, val, poptOK
}

// badOption is poptBadOption: the last argument consumed.
func (s *scanner) badOption() string {
	if s.next == 0 {
		return ""
	}
	return s.args[s.next-1]
}

// expand is popt's expandNextArg: each "!#:+" in a value is replaced by
// the next argument that does not start with '-' (found once a value),
// which is then skipped by the scanner (it may still be taken as the value
// of an option). When no such argument exists the text stays as it is.
//
// Deliberate difference: when arguments remain but none qualifies, popt
// 1.19 loops forever (findNextArg never gives up); we keep the text.
func (s *scanner) expand(v string) string {
	const marker = "!#:+"
	if indexByte(v, '!') < 0 || !strings.Contains(v, marker) {
		return v
	}
	var b strings.Builder
	found, repl := false, ""
	for i := 0; i < len(v); i++ {
		if v[i] == '!' && strings.HasPrefix(v[i+1:], "#:+") {
			if !found {
				repl, found = s.takeNextArg()
			}
			if found {
				b.WriteString(repl)
				i += len(marker) - 1
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func (s *scanner) takeNextArg() (string, bool) {
	for i := s.next; i < len(s.args); i++ {
		if s.taken != nil && s.taken[i] {
			continue
		}
		if strings.HasPrefix(s.args[i], "-") {
			continue
		}
		if s.taken == nil {
			s.taken = make([]bool, len(s.args))
		}
		s.taken[i] = true
		return s.args[i], true
	}
	return "", false
}
