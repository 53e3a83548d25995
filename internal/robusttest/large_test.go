package robusttest

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestLargeRestore restores a 100,000-line file (10,000 services with 9
// servers each, written in save format, a few servers tunnelling) with
// ipvsadm -R and checks that every rule is in the table: our -Sn holds
// exactly the lines of the file, and equals the reference's -Sn byte for
// byte (which reads the table its own way, a dump per service).
func TestLargeRestore(t *testing.T) {
	const services, dests = 10000, 9
	s := vmtest.Seed(t)
	g := gen{r: rand.New(rand.NewPCG(s, 1<<32)), tunnel: 0.01}
	rs := newRuleSet()
	for i := 0; i < services; i++ {
		g.addServiceWithDests(rs, dests)
	}
	file := saveFile(rs.services)
	want := sortedLines(file)
	if len(want) != services*(dests+1) {
		t.Fatalf("generated %d lines, want %d", len(want), services*(dests+1))
	}

	ns := vmtest.NewNetNS(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules"), file)
	start := time.Now()
	mustRun(t, ns, dir, 20*time.Minute, ours+" -R <rules")
	restored := time.Now()
	save := mustRun(t, ns, dir, 10*time.Minute, ours+" -Sn")
	saved := time.Now()
	ref := mustRun(t, ns, dir, 20*time.Minute, reference+" -Sn")
	t.Logf("%d lines: our restore %s, our -Sn %s, the reference's -Sn %s",
		len(want), restored.Sub(start).Round(time.Millisecond), saved.Sub(restored).Round(time.Millisecond),
		time.Since(saved).Round(time.Millisecond))

	if got := sortedLines(save); !slices.Equal(want, got) {
		t.Errorf("rules lost or changed (seed %d): %s", s, lineDiff(want, got, 20))
	}
	if save != ref {
		t.Errorf("our -Sn differs from the reference's: %s", lineDiff(sortedLines(ref), sortedLines(save), 20))
	}
}
