package bench

import (
	"fmt"
	"os"
	"path/filepath"
)

// Meter starts and measures the commands under test.
//
// Peak memory comes from the child's rusage, but not through Go's own
// wait: Go starts children with vfork semantics (CLONE_VM), and at exec
// the kernel folds the old address space's high-water RSS into the new
// program's ru_maxrss (exec_mmap: setmax_mm_hiwater_rss). That old
// address space is the parent's, so every child of the benchmark, which
// holds whole rule sets in memory, would report the benchmark's own peak.
// Each command is therefore started by busybox time, a small static
// program that vforks and execs it and writes the ru_maxrss of its wait4
// to a file: the child inherits only busybox's few hundred KiB, which the
// report gives as the measurement's floor.
type Meter struct {
	busybox string
	dir     string
	// factor divides what busybox time prints for %M: busybox 1.35
	// takes ru_maxrss for pages and prints it times 4 (on 4 KiB pages).
	factor int64
	// Floor is the peak RSS measured for "true", the least any command
	// can show.
	Floor int64
}

// calibrationMiB is the buffer dd fills to calibrate the meter.
const calibrationMiB = 32

// NewMeter returns a meter running busybox (a path, or a name looked up
// in PATH) that keeps its files in dir. It calibrates busybox's %M
// against a known allocation (dd with a 32 MiB block) and measures the
// floor.
func NewMeter(busybox, dir string) (*Meter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	mt := &Meter{busybox: busybox, dir: dir, factor: 1}
	out := filepath.Join(dir, "stdout")
	u, err := mt.runChild(nil, []string{"dd", "if=/dev/zero", "of=/dev/null", fmt.Sprintf("bs=%dM", calibrationMiB), "count=1", "status=none"}, "", out)
	if err != nil {
		return nil, fmt.Errorf("calibrating the memory meter: %w", err)
	}
	switch want := int64(calibrationMiB * 1024); {
	case u.MaxRSSKiB >= 3*want:
		mt.factor = 4
	case u.MaxRSSKiB < want:
		return nil, fmt.Errorf("calibrating the memory meter: dd with a %d MiB buffer peaked at %d KiB", calibrationMiB, u.MaxRSSKiB)
	}
	if u, err = mt.runChild(nil, []string{"true"}, "", out); err != nil {
		return nil, fmt.Errorf("measuring the memory meter's floor: %w", err)
	}
	mt.Floor = u.MaxRSSKiB
	return mt, nil
}
