package bench

import (
	"fmt"
	"io"
	"slices"
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
	// Conns is the number of connection entries the conns operation made.
	Conns int
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
		"/proc/net/ip_vs; for -Lnc, one read of /proc/net/ip_vs_conn to its end; nothing parsed or printed (in brackets: that work alone, without starting the program). Peak RSS = the child's ru_maxrss (for ipvsadm-restore, the script " +
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
			title := op.Title
			if op.Conns {
				title += fmt.Sprintf(" (%d connections)", r.Conns)
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %d | %.3f | %.3f | %s | %s | %s | %s | %s | %s |\n",
				title, size, sr.Size.Lines(), max(ref.Runs, ours.Runs), ref.Median, ours.Median,
				ratio(ref.Median, ours.Median), floorCol, vsFloor,
				mib(ref.PeakRSSKiB), mib(ours.PeakRSSKiB), ratio(float64(ours.PeakRSSKiB), float64(ref.PeakRSSKiB)))
		}
	}
	b.WriteString("\n")
	writeKernelShare(&b, sum, r)
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

// writeKernelShare writes, for the conns operation, each contender's
// median user and system time and the share of its wall time that the
// floor, a plain read of the kernel's text, accounts for.
func writeKernelShare(b *strings.Builder, sum map[Key]Summary, r Report) {
	if !slices.ContainsFunc(r.Ops, func(op Op) bool { return op.Conns }) {
		return
	}
	fmt.Fprintf(b, "### -Lnc with %d connections: the kernel's share\n\n", r.Conns)
	b.WriteString("The floor reads /proc/net/ip_vs_conn to its end with 1 MiB reads and does nothing else: the kernel " +
		"makes the text as it is read, at most one page of records per read call however large the buffer (in " +
		"brackets: the read calls and the most bytes one returned), walking its connection table from the start " +
		"for every read. floor/wall = the share of a contender's time that any reader of the file pays.\n\n")
	b.WriteString("| size | contender | wall s | user s | sys s | peak RSS | floor/wall |\n|---|---|--:|--:|--:|--:|--:|\n")
	for _, sr := range r.Sizes {
		size := sr.Size.String()
		floor, okFloor := sum[Key{"conns", size, ImplFloor}]
		for _, impl := range []string{ImplReference, ImplOurs, ImplFloor} {
			s, ok := sum[Key{"conns", size, impl}]
			if !ok {
				continue
			}
			name, share := impl, "n/a"
			if impl == ImplFloor {
				name = fmt.Sprintf("floor (%d reads, largest %d bytes)", s.Reads, s.LargestRead)
			}
			if okFloor {
				share = ratio(floor.Median, s.Median)
			}
			fmt.Fprintf(b, "| %s | %s | %.3f | %.3f | %.3f | %s | %s |\n", size, name, s.Median, s.User, s.Sys, mib(s.PeakRSSKiB), share)
		}
	}
	b.WriteString("\n")
}
