package bench

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Implementation names, as Measurement.Impl holds them.
const (
	ImplReference = "reference"
	ImplOurs      = "ours"
	ImplFloor     = "floor"
)

// Measurement is one timed run of one operation by one implementation.
// Times are in seconds.
type Measurement struct {
	Op        string  `json:"op"`
	Size      string  `json:"size"`
	Lines     int     `json:"lines"`
	Impl      string  `json:"impl"`
	Run       int     `json:"run"`
	Wall      float64 `json:"wall_s"`
	User      float64 `json:"user_s"`
	Sys       float64 `json:"sys_s"`
	MaxRSSKiB int64   `json:"maxrss_kib"`
	// Setup is the untimed preload of the table, Verify the check of the
	// table afterwards, Teardown the wait for this run's namespace to be
	// gone.
	Setup    float64 `json:"setup_s"`
	Verify   float64 `json:"verify_s"`
	Teardown float64 `json:"teardown_s"`
	// FloorKernel is, for the floor, the time of its kernel work alone
	// (see Floor).
	FloorKernel float64 `json:"floor_kernel_s,omitempty"`
	// Reads and LargestRead are, for the floor of conns, the read calls
	// it made and the most bytes one of them returned.
	Reads       int `json:"reads,omitempty"`
	LargestRead int `json:"largest_read,omitempty"`
}

// MachineLine is the measurement as one line: "BENCH " and JSON.
func (m Measurement) MachineLine() string {
	b, _ := json.Marshal(m) // plain fields: cannot fail
	return "BENCH " + string(b)
}

// ParseMachineLine reads a line written by MachineLine.
func ParseMachineLine(line string) (Measurement, error) {
	var m Measurement
	rest, ok := strings.CutPrefix(line, "BENCH ")
	if !ok {
		return m, fmt.Errorf("not a BENCH line: %.40q", line)
	}
	if err := json.Unmarshal([]byte(rest), &m); err != nil {
		return m, fmt.Errorf("BENCH line: %w", err)
	}
	return m, nil
}

// Summary aggregates the runs of one operation at one size by one
// implementation.
type Summary struct {
	Runs int
	// Median is the median wall time in seconds; User and Sys are the
	// median CPU times.
	Median, User, Sys float64
	// PeakRSSKiB is the largest peak resident set over the runs.
	PeakRSSKiB int64
	// FloorKernel is the floor's median Measurement.FloorKernel.
	FloorKernel float64
	// Reads is the median of Measurement.Reads, LargestRead the largest.
	Reads, LargestRead int
}

// Key identifies a Summary.
type Key struct {
	Op, Size, Impl string
}

// Summarize groups measurements by operation, size and implementation.
func Summarize(ms []Measurement) map[Key]Summary {
	type series struct{ wall, user, sys, kernel, reads []float64 }
	all := map[Key]*series{}
	out := map[Key]Summary{}
	for _, m := range ms {
		k := Key{m.Op, m.Size, m.Impl}
		x := all[k]
		if x == nil {
			x = &series{}
			all[k] = x
		}
		x.wall, x.user, x.sys = append(x.wall, m.Wall), append(x.user, m.User), append(x.sys, m.Sys)
		x.kernel, x.reads = append(x.kernel, m.FloorKernel), append(x.reads, float64(m.Reads))
		s := out[k]
		s.Runs++
		s.PeakRSSKiB = max(s.PeakRSSKiB, m.MaxRSSKiB)
		s.LargestRead = max(s.LargestRead, m.LargestRead)
		out[k] = s
	}
	for k, s := range out {
		x := all[k]
		s.Median, s.User, s.Sys = Median(x.wall), Median(x.user), Median(x.sys)
		s.FloorKernel, s.Reads = Median(x.kernel), int(Median(x.reads))
		out[k] = s
	}
	return out
}

// Median returns the median of xs (the mean of the middle two for an even
// count), or 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
