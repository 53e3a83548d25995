package robusttest

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
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
// table. Sets run batchSize at a time in a fresh namespace; a helper VM
// runs batches from the end meanwhile (vmtest.ShareJobs), and this test
// checks the outputs of all of them.
func TestRoundTrip(t *testing.T) {
	s := vmtest.Seed(t)
	start := time.Now()
	var names []string
	for first := 0; first < *setsFlag; first += batchSize {
		names = append(names, batch{seed: s, first: first, n: min(batchSize, *setsFlag-first)}.String())
	}
	jobs, err := vmtest.ShareJobs(names)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Close()
	lines, failed := 0, 0
	for _, name := range names {
		b, _ := parseBatch(name)
		sets := b.sets()
		for _, rs := range sets {
			lines += rs.lines()
		}
		data, err := jobs.Do(name, func() []byte { return b.run() })
		if err != nil {
			t.Fatal(err)
		}
		var out batchOutput
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("the outputs of sets %d to %d: %v", b.first, b.first+b.n-1, err)
		}
		if out.Err != "" {
			t.Fatalf("sets %d to %d: %s", b.first, b.first+b.n-1, out.Err)
		}
		for k, ok := range checkRoundTrips(t, b.first, sets, out.Files) {
			if !ok {
				failed++
				t.Errorf("set %d of seed %d failed (rerun with %s=%d); its rules file:\n%s", b.first+k, s, vmtest.SeedEnv, s, sets[k].file())
			}
		}
		if failed >= 3 {
			t.Fatal("giving up after 3 failed sets")
		}
	}
	t.Logf("%d rule sets, %d lines in all, in %s", *setsFlag, lines, time.Since(start).Round(time.Second))
}

// batch is the rule sets numbered first to first+n-1 of a seed, which
// share one namespace and one script.
type batch struct {
	seed     uint64
	first, n int
}

// String names the batch as a job for the helper VM.
func (b batch) String() string { return fmt.Sprintf("%d %d %d", b.seed, b.first, b.n) }

func parseBatch(name string) (batch, error) {
	var b batch
	_, err := fmt.Sscanf(name, "%d %d %d", &b.seed, &b.first, &b.n)
	return b, err
}

// sets returns the batch's random rule sets.
func (b batch) sets() []*ruleSet {
	var sets []*ruleSet
	for i := b.first; i < b.first+b.n; i++ {
		sets = append(sets, randomRuleSet(rand.New(rand.NewPCG(b.seed, uint64(i))), 8, 4))
	}
	return sets
}

// batchOutput is what the script of a batch wrote: the files of
// roundTripScript by name, or why it could not run.
type batchOutput struct {
	Files map[string]string
	Err   string
}

// run runs the batch's script in a fresh namespace and returns its
// batchOutput in JSON.
func (b batch) run() []byte {
	out := batchOutput{Files: map[string]string{}}
	if err := b.runInto(out.Files); err != nil {
		out.Err = err.Error()
	}
	data, _ := json.Marshal(out)
	return data
}

func (b batch) runInto(files map[string]string) error {
	ns, err := vmtest.CreateNetNS()
	if err != nil {
		return err
	}
	defer ns.Close()
	dir, err := os.MkdirTemp("", "roundtrip-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var script strings.Builder
	for k, rs := range b.sets() {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint("rules.", b.first+k)), []byte(rs.file()), 0o644); err != nil {
			return err
		}
		script.WriteString(roundTripScript(b.first + k))
	}
	script.WriteString("true\n")
	r, err := ns.Exec(5*time.Minute, env, dir, "/bin/bash", "-c", script.String())
	if err != nil {
		return fmt.Errorf("%v\nscript:\n%s\n%s", err, script.String(), r)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		files[e.Name()] = string(data)
	}
	return nil
}

// checkRoundTrips checks the outputs of the sets numbered from first and
// reports which passed.
func checkRoundTrips(t *testing.T, first int, sets []*ruleSet, files map[string]string) []bool {
	t.Helper()
	results := make([]bool, len(sets))
	for k, rs := range sets {
		i := first + k
		file := func(name string) string {
			t.Helper()
			f, ok := files[fmt.Sprint(name, ".", i)]
			if !ok {
				t.Fatalf("set %d: no file %s", i, name)
			}
			return f
		}
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
