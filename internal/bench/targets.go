package bench

import (
	"fmt"
	"strings"
)

// Targets, met at every measured size unless said otherwise.
const (
	// maxOverFloor bounds restore's ours/floor.
	maxOverFloor = 1.3
	// minListSpeedup and minSaveSpeedup bound -Ln's and -Sn's
	// reference/ours, minStatsSpeedup that of -Ln --stats.
	minListSpeedup  = 3
	minSaveSpeedup  = 3
	minStatsSpeedup = 1.5
	// minRestoreSpeedup bounds restore's reference/ours at
	// restoreTargetSize only (the floor itself is not much faster: see
	// the package's README).
	minRestoreSpeedup = 10
)

// The size minRestoreSpeedup is stated at: 10,000 services with 10
// servers each.
const (
	restoreTargetServices = 10000
	restoreTargetDests    = 10
)

// writeTargets writes the targets at every measured size, what was
// measured and a verdict for each, then how our restore grows against the
// floor.
func writeTargets(b *strings.Builder, sum map[Key]Summary, sizes []SizeRuns) {
	if len(sizes) == 0 {
		return
	}
	b.WriteString("### Targets\n\n")
	fmt.Fprintf(b, "| size | restore ours/floor ≤ %.1f | -Ln reference/ours ≥ %g | -Sn reference/ours ≥ %g | -Ln --stats reference/ours ≥ %g | worst peak RSS ours/reference |\n",
		maxOverFloor, float64(minListSpeedup), float64(minSaveSpeedup), minStatsSpeedup)
	b.WriteString("|---|--:|--:|--:|--:|--:|\n")
	for _, sr := range sizes {
		size := sr.Size.String()
		speedup := func(op string, least float64) string {
			ref, ok1 := sum[Key{op, size, ImplReference}]
			ours, ok2 := sum[Key{op, size, ImplOurs}]
			if !ok1 || !ok2 || ours.Median == 0 {
				return "—"
			}
			return verdict(ref.Median/ours.Median, ref.Median/ours.Median >= least)
		}
		overFloor := "—"
		ours, ok1 := sum[Key{"restore", size, ImplOurs}]
		floor, ok2 := sum[Key{"restore", size, ImplFloor}]
		if ok1 && ok2 && floor.Median > 0 {
			overFloor = verdict(ours.Median/floor.Median, ours.Median/floor.Median <= maxOverFloor)
		}
		memory := "—"
		if v, ok, worst := worstMemory(sum, size); ok {
			memory = fmt.Sprintf("%.2f (%s)", v, worst)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", size, overFloor,
			speedup("list", minListSpeedup), speedup("save", minSaveSpeedup), speedup("stats", minStatsSpeedup), memory)
	}
	b.WriteString("\n")
	target := Size{Services: restoreTargetServices, Dests: restoreTargetDests}.String()
	if ref, ok := sum[Key{"restore", target, ImplReference}]; ok {
		if ours := sum[Key{"restore", target, ImplOurs}]; ours.Median > 0 {
			v := ref.Median / ours.Median
			fmt.Fprintf(b, "- restore at %s: reference/ours ≥ %d: %s\n", target, minRestoreSpeedup, verdict(v, v >= minRestoreSpeedup))
		}
	}
	writeGrowth(b, sum, sizes)
	b.WriteString("\n")
}

// verdict formats a measured value with PASS or FAIL.
func verdict(v float64, pass bool) string {
	if pass {
		return fmt.Sprintf("%.2f PASS", v)
	}
	return fmt.Sprintf("%.2f **FAIL**", v)
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
		if r := float64(ours.PeakRSSKiB) / float64(ref.PeakRSSKiB); !ok || r > worst || (r == worst && k.Op < name) {
			worst, name, ok = r, k.Op, true
		}
	}
	return worst, ok, name
}

// writeGrowth checks that our restore grows no faster than the floor's:
// for each size, against the smallest measured size with as many
// destinations per service, ours' time ratio must be at most the floor's
// (whatever the kernel's own cost adds per service as the table grows,
// the floor pays too). Under each verdict it splits the growth into user
// and system CPU time, which tells the parsing's share from the kernel's.
func writeGrowth(b *strings.Builder, sum map[Key]Summary, sizes []SizeRuns) {
	for _, sr := range sizes {
		var small Size
		for _, o := range sizes {
			if o.Size.Dests == sr.Size.Dests && o.Size.Services < sr.Size.Services &&
				(small.Services == 0 || o.Size.Services < small.Services) {
				small = o.Size
			}
		}
		if small.Services == 0 {
			continue
		}
		ends := func(impl string) (a, z Summary, ok bool) {
			a, ok1 := sum[Key{"restore", small.String(), impl}]
			z, ok2 := sum[Key{"restore", sr.Size.String(), impl}]
			return a, z, ok1 && ok2 && a.Median > 0
		}
		oursA, oursZ, ok1 := ends(ImplOurs)
		floorA, floorZ, ok2 := ends(ImplFloor)
		if !ok1 || !ok2 {
			continue
		}
		ours, floor := oursZ.Median/oursA.Median, floorZ.Median/floorA.Median
		fmt.Fprintf(b, "- restore growth from %s to %s (%.0fx the lines): ours %.2fx, floor %.2fx, ours ≤ floor: %s\n",
			small, sr.Size, float64(sr.Size.Lines())/float64(small.Lines()), ours, floor, verdict(ours/floor, ours <= floor))
		fmt.Fprintf(b, "  - by CPU time (medians): user ours %s, floor %s; system ours %s, floor %s\n",
			cpuGrowth(oursA.User, oursZ.User), cpuGrowth(floorA.User, floorZ.User),
			cpuGrowth(oursA.Sys, oursZ.Sys), cpuGrowth(floorA.Sys, floorZ.Sys))
	}
}

// cpuGrowth words how a CPU time grew between two sizes: "0.12 → 1.30 s
// (10.8x)".
func cpuGrowth(from, to float64) string {
	if from <= 0 {
		return fmt.Sprintf("%.2f → %.2f s", from, to)
	}
	return fmt.Sprintf("%.2f → %.2f s (%.1fx)", from, to, to/from)
}
