package robusttest

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestConcurrentRestores runs four restores (ipvsadm -R, ours) of disjoint
// rule sets at once, as separate processes, against one namespace, twice
// (the second time onto the table the first left): every rule of every set
// must land.
func TestConcurrentRestores(t *testing.T) {
	const writers, services = 4, 400
	s := vmtest.Seed(t)
	g := gen{r: rand.New(rand.NewPCG(s, 2<<32)), tunnel: 0.2}
	rs := newRuleSet() // one set of keys, so the parts are disjoint
	for i := 0; i < 2*writers*services; i++ {
		g.addServiceWithDests(rs, g.r.IntN(7))
	}
	ns := vmtest.NewNetNS(t)
	dir := t.TempDir()
	var all []string
	for round := 0; round < 2; round++ {
		var script strings.Builder
		lines := 0
		for w := 0; w < writers; w++ {
			var part []*service
			for i := round*writers + w; i < len(rs.services); i += 2 * writers {
				part = append(part, rs.services[i])
			}
			file := saveFile(part)
			all = append(all, strings.Split(strings.TrimSuffix(file, "\n"), "\n")...)
			lines += strings.Count(file, "\n")
			name := fmt.Sprintf("part%d.%d", round, w)
			writeFile(t, filepath.Join(dir, name), file)
			fmt.Fprintf(&script, "(%s -R <%s >%s.out 2>&1; echo $? >%s.status) &\n", ours, name, name, name)
		}
		script.WriteString("wait\n")
		start := time.Now()
		mustRun(t, ns, dir, 10*time.Minute, script.String())
		t.Logf("round %d: %d restores at once, %d lines in all, in %s", round, writers, lines, time.Since(start).Round(time.Millisecond))
		for w := 0; w < writers; w++ {
			name := filepath.Join(dir, fmt.Sprintf("part%d.%d", round, w))
			if st, out := readFile(t, name+".status"), readFile(t, name+".out"); st != "0\n" || out != "" {
				t.Errorf("round %d, writer %d: status %q, output %q", round, w, st, abbreviate(out, 2000))
			}
		}
		save := mustRun(t, ns, dir, 5*time.Minute, ours+" -Sn")
		if want, got := sortedLines(strings.Join(all, "\n")), sortedLines(save); !slices.Equal(want, got) {
			t.Errorf("round %d: the table is not the union of the sets (seed %d): %s", round, s, lineDiff(want, got, 20))
		}
		if ref := mustRun(t, ns, dir, 5*time.Minute, reference+" -Sn"); ref != save {
			t.Errorf("round %d: our -Sn differs from the reference's: %s", round, lineDiff(sortedLines(ref), sortedLines(save), 20))
		}
	}
}

var roundsFlag = flag.Int("robust.rounds", 15, "how many times TestListingDuringChanges takes each listing")

// listings are the listings TestListingDuringChanges takes.
var listings = [][]string{{"-Ln"}, {"-Ln", "--stats"}, {"-Lnc"}, {"-Sn"}}

// TestListingDuringChanges lists the table again and again (ours: -Ln,
// -Ln --stats, -Lnc, -Sn) while another process (ours, ipvsadm -R in a
// loop) adds and deletes services with their servers. A listing must
// never crash, must end with status 0 and nothing on stderr (or with the
// original's status 1 and one of its messages), and must consist of whole
// lines of the listing the reference prints when every service is in the
// table: its header, then service lines each followed by some of that
// service's own server lines, none twice. So no torn, mixed-up or
// repeated line.
//
// It does not require every service that stayed in the table to be
// listed: the kernel resumes a multi-part service dump by position in a
// hash table, so a deletion while a listing reads can make it skip one,
// for the reference as for ours. How often that happened is logged.
func TestListingDuringChanges(t *testing.T) {
	rounds := *roundsFlag
	s := vmtest.Seed(t)
	g := gen{r: rand.New(rand.NewPCG(s, 3<<32)), tunnel: 0.3}
	rs := newRuleSet()
	var base, churn []*service
	for i := 0; i < 300; i++ { // more than one dump part of services
		base = append(base, g.addServiceWithDests(rs, g.r.IntN(4)))
	}
	for i := 0; i < 60; i++ {
		churn = append(churn, g.addServiceWithDests(rs, g.r.IntN(5)))
	}
	ns := vmtest.NewNetNS(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "base"), saveFile(base))
	writeFile(t, filepath.Join(dir, "add"), saveFile(churn))
	var del strings.Builder
	for _, c := range churn {
		fmt.Fprintf(&del, "-D %s\n", c.key)
	}
	writeFile(t, filepath.Join(dir, "del"), del.String())

	// What each listing may print: the reference's listing of the full
	// table, which ours must equal.
	mustRun(t, ns, dir, 5*time.Minute, ours+" -R <base && "+ours+" -R <add")
	grammars := make([]grammar, len(listings))
	for i, args := range listings {
		a := strings.Join(args, " ")
		ref := mustRun(t, ns, dir, 5*time.Minute, reference+" "+a)
		if got := mustRun(t, ns, dir, 5*time.Minute, ours+" "+a); got != ref {
			t.Fatalf("%s of the full table differs from the reference's:\n%s", a, lineDiff(sortedLines(ref), sortedLines(got), 20))
		}
		grammars[i] = newGrammar(ref, headerLines(args))
	}
	mustRun(t, ns, dir, time.Minute, ours+" -R <del")

	// The writer: add and delete the churn services until told to stop.
	stop := filepath.Join(dir, "stop")
	writer := background(ns, dir, fmt.Sprintf(`n=0
while [ ! -e stop ]; do
	%[1]s -R <add || exit 11
	%[1]s -R <del || exit 12
	n=$((n+1)); echo $n >iterations
done`, ours))
	defer func() {
		os.WriteFile(stop, nil, 0o644)
		writer.wait()
	}()

	// missed counts the saves (ours, the reference's) that left out a
	// service that stayed in the table.
	var missed [2]int
	missing := func(save string) int {
		for _, b := range base {
			if !strings.Contains(save, b.save+"\n") {
				return 1
			}
		}
		return 0
	}
	for round := 0; round < rounds; round++ {
		for i, args := range listings {
			r, err := ns.Exec(5*time.Minute, env, dir, ours, args...)
			if err != nil {
				t.Fatalf("%v: %v", args, err)
			}
			if problem := grammars[i].check(r); problem != "" {
				t.Errorf("round %d, ipvsadm %s: %s\nstatus %d, stderr %q, stdout (%d bytes):\n%s",
					round, strings.Join(args, " "), problem, r.Status, r.Stderr, len(r.Stdout), abbreviate(r.Stdout, 100000))
				continue
			}
			if args[0] == "-Sn" {
				missed[0] += missing(r.Stdout)
				if ref, err := ns.Exec(5*time.Minute, env, dir, reference, args...); err == nil {
					missed[1] += missing(ref.Stdout)
				}
			}
		}
		if t.Failed() {
			break
		}
	}
	os.WriteFile(stop, nil, 0o644)
	res := writer.wait()
	if res.Status != 0 || res.Stderr != "" {
		t.Errorf("the writer failed: %s", res)
	}
	n := strings.TrimSpace(readFile(t, filepath.Join(dir, "iterations")))
	t.Logf("%d rounds of %d listings while the writer added and deleted %d services %s times; "+
		"saves that left out a service that stayed: ours %d of %d, the reference's %d of %d",
		rounds, len(listings), len(churn), n, missed[0], rounds, missed[1], rounds)
	if n == "" || n == "0" {
		t.Error("the writer never completed an iteration: the listings ran against a still table")
	}
}

// headerLines is how many fixed lines start a listing.
func headerLines(args []string) int {
	switch {
	case args[0] == "-Sn":
		return 0
	case args[0] == "-Lnc":
		return 2
	}
	return 3
}

// grammar is what a listing may print while the table changes: its
// header, then service lines, each followed by lines of its own servers.
type grammar struct {
	header   []string
	services map[string]map[string]bool // service line -> its server lines
}

// isServer reports whether a listing line shows a server.
func isServer(l string) bool { return strings.HasPrefix(l, "  -> ") || strings.HasPrefix(l, "-a ") }

// newGrammar reads the grammar off a listing of the full table whose first
// header lines are fixed.
func newGrammar(full string, header int) grammar {
	lines := strings.SplitAfter(full, "\n")
	g := grammar{header: lines[:header], services: map[string]map[string]bool{}}
	var svc map[string]bool
	for _, l := range lines[header:] {
		switch {
		case l == "":
		case isServer(l):
			svc[l] = true
		default:
			svc = map[string]bool{}
			g.services[l] = svc
		}
	}
	return g
}

// check returns what is wrong with a listing, or "".
func (g grammar) check(r vmtest.Result) string {
	switch {
	case strings.Contains(r.Stderr, "panic") || strings.Contains(r.Stderr, "goroutine "):
		return "crashed"
	case r.Status == 1 && knownListingFailure(r.Stderr):
		return "" // the original's documented failure
	case r.Status != 0 || r.Stderr != "":
		return "failed"
	}
	lines := strings.SplitAfter(r.Stdout, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) < len(g.header) || !slices.Equal(lines[:len(g.header)], g.header) {
		return "the listing does not start with its header"
	}
	var (
		svc     string
		servers map[string]bool
		seen    = map[string]bool{}
	)
	for n, l := range lines[len(g.header):] {
		n += len(g.header) + 1
		switch {
		case !isServer(l):
			if servers = g.services[l]; servers == nil {
				return fmt.Sprintf("line %d is no service line of the listing: %q", n, l)
			}
			svc = l
		case servers == nil:
			return fmt.Sprintf("line %d: a server before any service: %q", n, l)
		case !servers[l]:
			return fmt.Sprintf("line %d is no server line of its service %q: %q", n, svc, l)
		}
		if seen[svc+l] {
			return fmt.Sprintf("line %d repeats a line of its service %q: %q", n, svc, l)
		}
		seen[svc+l] = true
	}
	return ""
}

// knownListingFailure reports a message the original prints for a failed
// listing (status 1).
func knownListingFailure(stderr string) bool {
	switch stderr {
	case "No such service\n", "Memory allocation problem\n", "Resource temporarily unavailable\n":
		return true
	}
	return false
}

// process is a script running in the background.
type process struct {
	done chan vmtest.Result
	res  *vmtest.Result
}

// background starts a bash script in ns in the background.
func background(ns *vmtest.NetNS, dir, script string) *process {
	p := &process{done: make(chan vmtest.Result, 1)}
	go func() {
		r, err := ns.Exec(30*time.Minute, env, dir, "/bin/bash", "-c", script)
		if err != nil {
			r.Status, r.Stderr = -1, r.Stderr+err.Error()
		}
		p.done <- r
	}()
	return p
}

// wait waits for the script and returns how it ended.
func (p *process) wait() vmtest.Result {
	if p.res == nil {
		r := <-p.done
		p.res = &r
	}
	return *p.res
}
