package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// SizeRuns is a rule-set size and how many times each binary runs each
// operation at it.
type SizeRuns struct {
	Size Size
	Runs int
}

// ParseSizes parses a comma-separated list of SIZE[:RUNS], such as
// "1000x10:3,10000x10:3,10000x1:3,50000x2:3,100000x1:3,1000x100:3"; RUNS defaults to defaultRuns.
func ParseSizes(list string, defaultRuns int) ([]SizeRuns, error) {
	var out []SizeRuns
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		spec, runsText, hasRuns := strings.Cut(f, ":")
		size, err := ParseSize(spec)
		if err != nil {
			return nil, err
		}
		runs := defaultRuns
		if hasRuns {
			if runs, err = strconv.Atoi(runsText); err != nil || runs < 1 {
				return nil, fmt.Errorf("size %q: runs must be a positive number", f)
			}
		}
		out = append(out, SizeRuns{Size: size, Runs: runs})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no size given")
	}
	return out, nil
}
