package bench

import (
	"fmt"
	"io"
	"strings"
)

// Markers around the report on ipvsbench's standard output, for benchvm
// to find it in the VM's output.
const (
	ReportBegin = "<!-- ipvsbench report begin -->"
	ReportEnd   = "<!-- ipvsbench report end -->"
)

// Report is what WriteReport prints.
type Report struct {
	// Header lines, printed as a list before the table (such as the
	// kernel release and the binaries' versions).
	Header []string
	Sizes  []SizeRuns
	Ops    []Op
	// Measurements are every run, in order.
	Measurements []Measurement
}

// WriteReport writes r as Markdown: the header, one table row per
// operation and size, and the targets with their verdicts.
func WriteReport(w io.Writer, r Report) error {
	var b strings.Builder
	b.WriteString("## Results\n\n")
	for _, h := range r.Header {
		fmt.Fprintf(&b, "- %s\n", h)
	}
	b.WriteString("\nMedian wall time in seconds per run, each run in a fresh network namespace; ratio = reference/ours " +
		"(above 1: ours is faster). Floor = what the kernel alone takes, done by a minimal program: for a restore, " +
		"the same rules sent pre-encoded with Client.Batch; for -Ln and -Sn, the service dump and one read of " +
		"/proc/net/ip_vs, nothing parsed or printed (in brackets: that work alone, without starting the program). Peak RSS = the child's ru_maxrss (for ipvsadm-restore, the script " +
		"and the ipvsadm it runs), the largest over the runs.\n\n")
	b.WriteString("| operation | size | lines | runs | reference s | ours s | ratio ref/ours | floor s | ours/floor | reference peak RSS | ours peak RSS | RSS ours/ref |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	sum := Summarize(r.Measurements)
	for _, op := range r.Ops {
		for _, sr := range r.Sizes {
			size := sr.Size.String()
			ref, okRef := sum[Key{op.Name, size, ImplReference}]
			ours, okOurs := sum[Key{op.Name, size, ImplOurs}]
			if !okRef && !okOurs {
				continue
			}
			floor, okFloor := sum[Key{op.Name, size, ImplFloor}]
			floorCol, vsFloor := "", ""
			if okFloor {
				floorCol = fmt.Sprintf("%.3f (%.3f)", floor.Median, floor.FloorKernel)
				vsFloor = ratio(ours.Median, floor.Median)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %.3f | %.3f | %s | %s | %s | %s | %s | %s |\n",
				op.Title, size, sr.Size.Lines(), max(ref.Runs, ours.Runs), ref.Median, ours.Median,
				ratio(ref.Median, ours.Median), floorCol, vsFloor,
				mib(ref.PeakRSSKiB), mib(ours.PeakRSSKiB), ratio(float64(ours.PeakRSSKiB), float64(ref.PeakRSSKiB)))
		}
	}
	b.WriteString("\n")
	writeTargets(&b, sum, r.Sizes)
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// ratio formats a/b with two decimals, or "n/a".
func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// mib formats KiB as MiB with one decimal.
func mib(kib int64) string {
	if kib == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}
