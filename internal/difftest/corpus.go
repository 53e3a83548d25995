// Package difftest runs the differential corpus: every case is a sequence
// of shell steps run once with Debian's real ipvsadm and once with ours,
// each side in a fresh network namespace of the test VM, comparing the
// standard output, standard error and exit status of every step and the
// final state of the table.
package difftest

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Case is one differential test case.
type Case struct {
	Name string
	// File and Line say where the case is defined.
	File string
	Line int
	// SameNamespace runs both sides in one namespace, one after the other,
	// with the table reset in between. Needed where output follows the
	// kernel's hash order (--nosort), which differs between namespaces.
	SameNamespace bool
	// Needs names kernel modules (needs=ip_vs_twos) without which the case
	// is skipped: schedulers that only newer kernels have.
	Needs []string
	// Setup runs once in each side's namespace before its steps; its
	// output is not compared.
	Setup []string
	// Steps are bash scripts; each one's output and status are compared.
	Steps []string
}

// ParseCases reads a corpus file:
//
//	# comment
//	=== case-name [same-ns]
//	! setup command (not compared)
//	$ step run by bash
//	> continuation line of the previous step or setup command
//
// Blank lines and lines starting with # are ignored.
func ParseCases(file string, r io.Reader) ([]Case, error) {
	var (
		cases []Case
		cur   *Case
		last  *string
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "=== "):
			f := strings.Fields(line[4:])
			if len(f) == 0 {
				return nil, fmt.Errorf("%s:%d: case without a name", file, n)
			}
			cases = append(cases, Case{Name: f[0], File: file, Line: n})
			cur, last = &cases[len(cases)-1], nil
			for _, opt := range f[1:] {
				switch opt {
				case "same-ns":
					cur.SameNamespace = true
				default:
					if mod, ok := strings.CutPrefix(opt, "needs="); ok && mod != "" {
						cur.Needs = append(cur.Needs, mod)
						continue
					}
					return nil, fmt.Errorf("%s:%d: unknown case option %q", file, n, opt)
				}
			}
		case cur == nil:
			return nil, fmt.Errorf("%s:%d: step before the first case", file, n)
		case strings.HasPrefix(line, "$ "):
			cur.Steps = append(cur.Steps, line[2:])
			last = &cur.Steps[len(cur.Steps)-1]
		case strings.HasPrefix(line, "! "):
			cur.Setup = append(cur.Setup, line[2:])
			last = &cur.Setup[len(cur.Setup)-1]
		case line == ">" || strings.HasPrefix(line, "> "):
			if last == nil {
				return nil, fmt.Errorf("%s:%d: continuation without a step", file, n)
			}
			*last += "\n" + strings.TrimPrefix(strings.TrimPrefix(line, ">"), " ")
		default:
			return nil, fmt.Errorf("%s:%d: cannot parse %q", file, n, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, c := range cases {
		if len(c.Steps) == 0 {
			return nil, fmt.Errorf("%s:%d: case %s has no steps", file, c.Line, c.Name)
		}
	}
	return cases, nil
}
