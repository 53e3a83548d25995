package robusttest

import (
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

var setsFlag = flag.Int("robust.sets", 300, "how many random rule sets TestRoundTrip restores")

// batchSize is how many rule sets share one namespace and one script:
// each starts from a cleared table (ipvsadm-restore clears first), and
// process start-up, slow under emulation, is what a set costs.
const batchSize = 6

// roundTripScript returns the steps for set i (files with suffix .i):
// restore the rules with ipvsadm-restore (ours; it clears the table
// first), save with -Sn (ours and the reference), list the thresholds
// (which a save does not show) with the reference, clear and restore the
// save (ours: -C then -R for even sets, ipvsadm-restore for odd ones), and
// save again. Outputs and statuses go to files.
func roundTripScript(i int) string {
	restore2 := ours + " -C >clear.I 2>&1; " + ours + " -R <save1.I >restore2.I 2>&1"
	if i%2 == 1 {
		restore2 = oursRestore + " <save1.I >restore2.I 2>&1; : >clear.I"
	}
	return strings.ReplaceAll(`
`+oursRestore+` <rules.I >restore1.I 2>&1; echo $? >restore1.status.I
`+ours+` -Sn >save1.I 2>save1.err.I; echo $? >save1.status.I
`+reference+` -Sn >refsave.I 2>&1
`+reference+` -Ln --thresholds >thresholds.I 2>&1
`+restore2+`; echo $? >restore2.status.I
`+ours+` -Sn >save2.I 2>save2.err.I; echo $? >save2.status.I
`, "I", fmt.Sprint(i))
}

// TestRoundTrip restores random rule sets (every scheduler and scheduler
// flag, persistence with netmasks, one-packet, the SIP persistence engine,
// thresholds, weights, every forwarding method, tunnel types with their
// ports and checksum options, IPv4, IPv6 and firewall-mark services, IPv6
// and cross-family servers) and checks that nothing is lost: the save
// lists exactly the rules of the file, equals the reference's save of the
// same table byte for byte, and survives a clear and a restore of itself
// unchanged; the thresholds, which a save leaves out, are all in the
// table. Sets run batchSize at a time in a fresh namespace.
func TestRoundTrip(t *testing.T) {
	s := seed(t)
	start := time.Now()
	lines, failed := 0, 0
	for first := 0; first < *setsFlag; first += batchSize {
		var sets []*ruleSet
		for i := first; i < min(first+batchSize, *setsFlag); i++ {
			sets = append(sets, randomRuleSet(rand.New(rand.NewPCG(s, uint64(i))), 8, 4))
			lines += sets[len(sets)-1].lines()
		}
		for k, ok := range roundTrips(t, first, sets) {
			if !ok {
				failed++
				t.Errorf("set %d of seed %d failed (rerun with -args -robust.seed=%d); its rules file:\n%s", first+k, s, s, sets[k].file())
			}
		}
		if failed >= 3 {
			t.Fatal("giving up after 3 failed sets")
		}
	}
	t.Logf("%d rule sets, %d lines in all, in %s", *setsFlag, lines, time.Since(start).Round(time.Second))
}

// roundTrips runs the sets numbered from first in one fresh namespace and
// reports which passed.
func roundTrips(t *testing.T, first int, sets []*ruleSet) []bool {
	t.Helper()
	ns, err := vmtest.CreateNetNS()
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	dir := t.TempDir()
	var script strings.Builder
	for k, rs := range sets {
		writeFile(t, filepath.Join(dir, fmt.Sprint("rules.", first+k)), rs.file())
		script.WriteString(roundTripScript(first + k))
	}
	script.WriteString("true\n")
	run(t, ns, dir, 5*time.Minute, script.String())

	results := make([]bool, len(sets))
	for k, rs := range sets {
		i := first + k
		file := func(name string) string { return readFile(t, filepath.Join(dir, fmt.Sprint(name, ".", i))) }
		ok := true
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("set %d: "+format, append([]any{i}, args...)...)
			ok = false
		}
		for _, step := range []string{"restore1", "save1", "restore2", "save2"} {
			if st := strings.TrimSpace(file(step + ".status")); st != "0" {
				fail("%s: exit status %s", step, st)
			}
		}
		for _, out := range []string{"restore1", "save1.err", "clear", "restore2", "save2.err"} {
			if s := file(out); s != "" {
				fail("%s: %q", out, abbreviate(s, 2000))
			}
		}
		save1, save2, ref := file("save1"), file("save2"), file("refsave")
		if want, got := sortedLines(strings.Join(rs.saveLines(), "\n")), sortedLines(save1); !slices.Equal(want, got) {
			fail("the save does not hold exactly the rules of the file: %s", lineDiff(want, got, 20))
		}
		if save1 != ref {
			fail("our save differs from the reference's save of the same table:\n--- reference:\n%s--- ours:\n%s", ref, save1)
		}
		if save2 != save1 {
			fail("the save of the restored save differs:\n--- first:\n%s--- second:\n%s", save1, save2)
		}
		if want, got := thresholdsOf(rs), parseThresholds(file("thresholds")); !maps.Equal(want, got) {
			fail("thresholds in the table differ from the file's:\nwant %v\ngot  %v\nlisting:\n%s", want, got, file("thresholds"))
		}
		results[k] = ok
	}
	return results
}

// thresholdsOf returns "service|server" -> "upper lower" for every server.
func thresholdsOf(rs *ruleSet) map[string]string {
	out := map[string]string{}
	for _, s := range rs.services {
		for _, d := range s.dests {
			out[fields(s.name)+"|"+d.addr] = fmt.Sprintf("%d %d", d.upper, d.lower)
		}
	}
	return out
}

// parseThresholds reads "ipvsadm -Ln --thresholds" into the form of
// thresholdsOf.
func parseThresholds(listing string) map[string]string {
	out := map[string]string{}
	var svc string
	for i, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		switch {
		case i < 3 || len(f) == 0:
		case f[0] == "->" && len(f) >= 4:
			out[svc+"|"+f[1]] = f[2] + " " + f[3]
		case f[0] == "FWM" && len(f) > 2 && f[2] == "IPv6":
			svc = strings.Join(f[:3], " ")
		default:
			svc = strings.Join(f[:min(2, len(f))], " ")
		}
	}
	return out
}

// fields collapses runs of blanks.
func fields(s string) string { return strings.Join(strings.Fields(s), " ") }
