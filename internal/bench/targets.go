package bench

import (
	"fmt"
	"strings"
)

// The size the targets are stated at: 10,000 services with 10
// destinations each.
const (
	targetServices = 10000
	targetDests    = 10
)

// targetSize returns the targets' size if it was measured, else the
// largest measured size.
func targetSize(sizes []SizeRuns) Size {
	best := sizes[0].Size
	for _, sr := range sizes {
		if sr.Size == (Size{targetServices, targetDests}) {
			return sr.Size
		}
		if sr.Size.Lines() > best.Lines() {
			best = sr.Size
		}
	}
	return best
}

// writeTargets writes the targets with what was measured and a
// verdict for each.
func writeTargets(b *strings.Builder, sum map[Key]Summary, sizes []SizeRuns) {
	if len(sizes) == 0 {
		return
	}
	ts := targetSize(sizes)
	size := ts.String()
	fmt.Fprintf(b, "### Targets at %s", size)
	if want := (Size{targetServices, targetDests}); ts != want {
		fmt.Fprintf(b, " (%s was not measured: the largest size stands in)", want)
	}
	b.WriteString("\n\n| target | measured | verdict |\n|---|--:|---|\n")
	row := func(name string, value float64, ok bool, pass bool) {
		switch {
		case !ok:
			fmt.Fprintf(b, "| %s | not measured | — |\n", name)
		case pass:
			fmt.Fprintf(b, "| %s | %.2f | PASS |\n", name, value)
		default:
			fmt.Fprintf(b, "| %s | %.2f | FAIL |\n", name, value)
		}
	}
	speedup := func(op string) (float64, bool) {
		ref, ok1 := sum[Key{op, size, ImplReference}]
		ours, ok2 := sum[Key{op, size, ImplOurs}]
		if !ok1 || !ok2 || ours.Median == 0 {
			return 0, false
		}
		return ref.Median / ours.Median, true
	}
	v, ok := speedup("restore")
	row("restore: reference/ours ≥ 10", v, ok, v >= 10)
	ours, ok1 := sum[Key{"restore", size, ImplOurs}]
	floor, ok2 := sum[Key{"restore", size, ImplFloor}]
	ok = ok1 && ok2 && floor.Median > 0
	v = 0
	if ok {
		v = ours.Median / floor.Median
	}
	row("restore: ours/floor ≤ 1.3", v, ok, v <= 1.3)
	v, ok = speedup("list")
	row("-Ln: reference/ours ≥ 3", v, ok, v >= 3)
	v, ok = speedup("save")
	row("-Sn: reference/ours ≥ 1", v, ok, v >= 1)
	v, ok = speedup("stats")
	row("-Ln --stats: reference/ours ≥ 1", v, ok, v >= 1)
	v, ok, worst := worstMemory(sum, size)
	row("peak RSS: ours/reference ≤ 1.5 (worst operation: "+worst+")", v, ok, v <= 1.5)
	writeLinearity(b, sum, sizes, row)
	b.WriteString("\n")
}

// worstMemory returns the largest ours/reference peak-RSS ratio over the
// operations measured at size, and which operation it is.
func worstMemory(sum map[Key]Summary, size string) (float64, bool, string) {
	worst, name, ok := 0.0, "none", false
	for k, ours := range sum {
		if k.Size != size || k.Impl != ImplOurs {
			continue
		}
		ref, found := sum[Key{k.Op, size, ImplReference}]
		if !found || ref.PeakRSSKiB == 0 {
			continue
		}
		if r := float64(ours.PeakRSSKiB) / float64(ref.PeakRSSKiB); !ok || r > worst {
			worst, name, ok = r, k.Op, true
		}
	}
	return worst, ok, name
}

// writeLinearity checks that our restore time grows linearly: from the
// smallest measured size to each larger one, the time ratio is at most
// 1.1 times the line ratio (110,000 lines in at most 11 times the time of
// 11,000).
func writeLinearity(b *strings.Builder, sum map[Key]Summary, sizes []SizeRuns, row func(string, float64, bool, bool)) {
	small := sizes[0].Size
	for _, sr := range sizes {
		if sr.Size.Lines() < small.Lines() {
			small = sr.Size
		}
	}
	base, ok := sum[Key{"restore", small.String(), ImplOurs}]
	if !ok || base.Median == 0 {
		return
	}
	for _, sr := range sizes {
		if sr.Size.Lines() <= small.Lines() {
			continue
		}
		big, found := sum[Key{"restore", sr.Size.String(), ImplOurs}]
		if !found {
			continue
		}
		lines := float64(sr.Size.Lines()) / float64(small.Lines())
		name := fmt.Sprintf("linear: ours restore %s / %s (%d / %d lines) ≤ %.1f", sr.Size, small,
			sr.Size.Lines(), small.Lines(), 1.1*lines)
		v := big.Median / base.Median
		row(name, v, true, v <= 1.1*lines)
	}
}
