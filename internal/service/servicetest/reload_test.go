package servicetest

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// The table before and after the reload of TestReloadConverges. The first
// service carries traffic and is the same in both; the reload edits the
// second (scheduler, one more server), drops the third and adds a fourth.
const (
	kept        = "10.9.9.9:80"
	keptServer  = "10.9.0.2:80"
	keptService = "-A -t " + kept + " -s rr\n-a -t " + kept + " -r " + keptServer + " -m -w 1\n"
	beforeRules = "# before\n" + keptService +
		"-A -t 10.1.1.1:80 -s rr\n-a -t 10.1.1.1:80 -r 192.168.2.1:80 -m -w 1\n" +
		"-A -u 10.2.2.2:53 -s wlc\n-a -u 10.2.2.2:53 -r 192.168.2.9:53 -m -w 1\n"
	afterRules = "# after\n" + keptService +
		"-A -t 10.1.1.1:80 -s wlc\n-a -t 10.1.1.1:80 -r 192.168.2.1:80 -m -w 1\n-a -t 10.1.1.1:80 -r 192.168.2.2:80 -m -w 2\n" +
		"-A -t 10.3.3.3:443 -s sh -p 300\n-a -t 10.3.3.3:443 -r 192.168.2.3:443 -g -w 1\n"
)

// TestReloadConverges: reload changes only what differs between the table
// and the rules file, so a service the file keeps is never cleared: the
// connections counted through it before the reload are still counted
// after it (a clear and restore starts the service, and its server, at
// zero). The table is then exactly the file's. A rules file with a bad
// line fails the reload and leaves the table alone; a missing rules file
// reloads to an empty table.
func TestReloadConverges(t *testing.T) {
	forEach(t, func(t *testing.T, s *svc) {
		ns := vmtest.NewNetNS(t)
		s.settings(settingsFor(s.layout, false))
		s.rules(beforeRules)
		s.must(ns, "start")
		sameTable(t, ns, ruleLines(beforeRules), "after start")

		connectThrough(t, ns, kept, 3)
		before := waitCounters(t, ns, counters{3, 3, 3})

		s.rules(afterRules)
		r := s.must(ns, "reload")
		if !strings.Contains(r.Stdout, "reloaded the IPVS table from "+s.Rules+" (converged)") {
			t.Errorf("reload does not say it converged: %+v", r)
		}
		sameTable(t, ns, ruleLines(afterRules), "after reload")
		if after := keptCounters(t, ns); after != before {
			t.Errorf("reload reset the unchanged service %s: %+v, before it %+v:\n%s",
				kept, after, before, ns.Sh(t, reference+" -Ln --stats --exact"))
		}

		// A second reload of the same file changes nothing.
		s.must(ns, "reload")
		sameTable(t, ns, ruleLines(afterRules), "after the second reload")
		if after := keptCounters(t, ns); after != before {
			t.Errorf("second reload: %s has %+v, want %+v", kept, after, before)
		}

		// A bad line: the check rejects the file before anything changes.
		s.rules(keptService + "-a -t 10.8.8.8:80 -r 192.168.2.8:80 -m\n")
		r = s.run(ns, "reload")
		if r.Status == 0 || !strings.Contains(r.Stderr, s.Rules+":3: rejected: ") || strings.Contains(r.Stdout, "reloaded") {
			t.Errorf("reload of a malformed file: %+v", r)
		}
		sameTable(t, ns, ruleLines(afterRules), "after the failed reload")

		// No rules file: an empty table, as at start.
		if err := os.Remove(s.Rules); err != nil {
			t.Fatal(err)
		}
		r = s.must(ns, "reload")
		if !strings.Contains(r.Stdout, "no rules file "+s.Rules) {
			t.Errorf("reload without a rules file: %+v", r)
		}
		sameTable(t, ns, nil, "after reloading a missing rules file")
	})
}

// connectThrough opens n TCP connections from ns to the virtual service
// addr, whose real servers are on a dummy interface that answers nothing:
// each connection is scheduled (and counted) when its SYN goes out, and
// the dial gives up soon after. The traffic never leaves ns.
func connectThrough(t *testing.T, ns *vmtest.NetNS, addr string, n int) {
	t.Helper()
	host, _, _ := net.SplitHostPort(addr)
	ns.Sh(t, "ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.0.1/24 dev d0 && "+
		"ip addr add "+host+"/32 dev lo")
	for range n {
		err := ns.Do(func() error {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// counters are what the kernel counts for the kept service: the
// connections scheduled through it and through its server (statistics,
// which start at zero for a service and a server added again: what tells
// a clear and restore), and the server's current connections, active and
// inactive (which alone would not tell: the kernel keeps a deleted server
// for a while and gives it back, connections and all, when it is added
// again).
type counters struct{ service, server, current int }

// keptCounters reads the counters of the kept service with the reference
// ipvsadm ("-Ln --stats --exact" and "-Ln").
func keptCounters(t *testing.T, ns *vmtest.NetNS) counters {
	t.Helper()
	c := counters{-1, -1, -1}
	stats := ns.Sh(t, reference+" -Ln --stats --exact -t "+kept)
	for _, f := range lineFields(stats) {
		switch {
		case len(f) >= 3 && f[0] == "TCP" && f[1] == kept:
			c.service, _ = strconv.Atoi(f[2])
		case len(f) >= 3 && f[0] == "->" && f[1] == keptServer:
			c.server, _ = strconv.Atoi(f[2])
		}
	}
	list := ns.Sh(t, reference+" -Ln -t "+kept)
	for _, f := range lineFields(list) {
		if len(f) == 6 && f[0] == "->" && f[1] == keptServer {
			active, err1 := strconv.Atoi(f[4])
			inactive, err2 := strconv.Atoi(f[5])
			if err1 == nil && err2 == nil {
				c.current = active + inactive
			}
		}
	}
	if c.service < 0 || c.server < 0 || c.current < 0 {
		t.Fatalf("no counters for %s and %s in:\n%s%s", kept, keptServer, stats, list)
	}
	return c
}

// waitCounters waits until the kept service's counters are want and
// returns them. The kernel's estimator copies the per-CPU statistics for
// listings every 2 seconds, so they lag the traffic by up to that.
func waitCounters(t *testing.T, ns *vmtest.NetNS, want counters) counters {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c := keptCounters(t, ns)
		if c == want {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20s %s has %+v, want %+v:\n%s", kept, c, want, ns.Sh(t, reference+" -Ln --stats --exact"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// lineFields splits text into lines and the lines into fields.
func lineFields(text string) [][]string {
	var out [][]string
	for _, l := range strings.Split(text, "\n") {
		out = append(out, strings.Fields(l))
	}
	return out
}
