package commandtest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// convergeFrom is the table a director holds before converging. The
// first service carries real traffic in the tests and must survive
// untouched.
const convergeFrom = `-A -t 10.9.9.9:80 -s rr
-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 1
-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 1
-A -t 10.0.0.2:80 -s wlc
-a -t 10.0.0.2:80 -r 10.1.0.1:80 -g -w 1
-a -t 10.0.0.2:80 -r 10.1.0.2:80 -g -w 1
-a -t 10.0.0.2:80 -r 10.1.0.3:80 -g -w 1
-A -u 10.0.0.3:53 -s sh -b sh-port
-a -u 10.0.0.3:53 -r 10.1.0.5:53 -m -w 1
-A -f 7 -s wrr
-a -f 7 -r 10.1.0.1:0 -g -w 1
-a -f 7 -r 10.1.0.2:0 -g -w 2
-a -f 7 -r 10.1.0.3:0 -g -w 3
-A -t [2001:db8::1]:443 -s mh -b mh-port
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 1
`

// convergeTo keeps the first service as it is, edits the second (now
// persistent), drops the third, reorders, edits and adds servers of the
// fwmark service, sets thresholds and adds a tunnel to the IPv6 one, and
// adds a new service.
const convergeTo = `-A -t 10.9.9.9:80 -s rr
-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m -w 1
-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m -w 1
-A -t 10.0.0.2:80 -s rr -p 600
-a -t 10.0.0.2:80 -r 10.1.0.1:80 -g -w 1
-a -t 10.0.0.2:80 -r 10.1.0.2:80 -g -w 1
-a -t 10.0.0.2:80 -r 10.1.0.3:80 -g -w 1
-A -f 7 -s wrr
-a -f 7 -r 10.1.0.1:0 -g -w 1
-a -f 7 -r 10.1.0.3:0 -g -w 3
-a -f 7 -r 10.1.0.4:0 -g -w 4
-a -f 7 -r 10.1.0.2:0 -g -w 5
-A -t [2001:db8::1]:443 -s mh -b mh-port
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 1 -x 100 -y 10
-a -t [2001:db8::1]:443 -r 192.168.1.50:443 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A -u 10.0.0.4:53 -s lc
-a -u 10.0.0.4:53 -r 10.1.0.9:53 -m -w 1
`

// snapshot is everything the kernel holds of a table except counters:
// services sorted, each service's servers in the kernel's order.
func snapshot(t *testing.T, c *ipvs.Client) string {
	t.Helper()
	svcs, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range svcs {
		dests, err := c.Destinations(s.ServiceKey)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%+v", s.Service)
		for _, d := range dests {
			line += fmt.Sprintf("\n  %+v", d.Destination)
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// restored returns a client on a fresh namespace holding rules, restored
// the plain way, a Runner on it and the namespace.
func restored(t *testing.T, rules string) (*ipvs.Client, *command.Runner, *vmtest.NetNS) {
	t.Helper()
	r, _, _, ns := newRunnerIn(t, rules)
	return r.Backend.(*counting).Client, r, ns
}

var v4 = netip.MustParseAddr

// converge runs -R --converge (or --dry-run) of input on r and returns the
// status, stdout and stderr.
func converge(r *command.Runner, input string, dryRun bool) (int, string, string) {
	var stdout, stderr strings.Builder
	r.Stdout, r.Stderr = &stdout, &stderr
	r.RestoreOptions = command.RestoreOptions{Converge: true, DryRun: dryRun, Verbose: true}
	st := r.Restore(strings.NewReader(input))
	r.RestoreOptions = command.RestoreOptions{}
	return st, stdout.String(), stderr.String()
}

// traffic opens connections to 10.9.9.9:80 inside ns, through the first
// service of convergeFrom, and returns that service's counters.
func traffic(t *testing.T, c *ipvs.Client, ns *vmtest.NetNS) (ipvs.Stats, []ipvs.DestinationEntry) {
	t.Helper()
	script := "ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.0.1/24 dev d0 && ip addr add 10.9.9.9/32 dev lo && " +
		"for i in 1 2 3 4; do timeout 2 nc 10.9.9.9 80 </dev/null; done; true"
	ns.Sh(t, script)
	return counters(t, c)
}

func counters(t *testing.T, c *ipvs.Client) (ipvs.Stats, []ipvs.DestinationEntry) {
	t.Helper()
	key := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: v4("10.9.9.9"), Port: 80}
	s, err := c.Service(key)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Destinations(key)
	if err != nil {
		t.Fatal(err)
	}
	return s.Stats, d
}

// TestConverge turns one table into another: the result is what a plain
// restore of the target gives (services, settings, thresholds and each
// service's server order), the untouched service keeps its counters and
// connections, and converging again changes nothing.
func TestConverge(t *testing.T) {
	wantClient, _, _ := restored(t, convergeTo)
	want := snapshot(t, wantClient)

	c, r, ns := restored(t, convergeFrom)
	before, beforeDests := traffic(t, c, ns)
	if before.Connections == 0 {
		t.Fatalf("no traffic went through the kept service: %+v", before)
	}
	st, stdout, stderr := converge(r, convergeTo, false)
	wantReport := "ipvsadm: converge: 9 changes made for 5 services: services 1 added, 1 edited, 1 deleted; servers 4 added, 1 edited, 1 deleted; 0 refused\n"
	if st != 0 || stdout != "" || stderr != wantReport {
		t.Fatalf("converge: status %d, stdout %q, stderr %q", st, stdout, stderr)
	}
	if diff := cmp.Diff(want, snapshot(t, c)); diff != "" {
		t.Errorf("table after converging (-plain restore +converged):\n%s", diff)
	}
	after, afterDests := counters(t, c)
	if after.Connections != before.Connections || after.PacketsIn < before.PacketsIn {
		t.Errorf("the untouched service's counters changed: before %+v, after %+v", before, after)
	}
	for i := range beforeDests {
		b, a := beforeDests[i], afterDests[i]
		if a.Stats.Connections != b.Stats.Connections || a.ActiveConns+a.InactiveConns != b.ActiveConns+b.InactiveConns {
			t.Errorf("server %v: before %+v, after %+v", b.Addr, b, a)
		}
	}

	// Converging to the same table again plans and changes nothing.
	st, stdout, stderr = converge(r, convergeTo, true)
	if st != 0 || stdout != "" || !strings.Contains(stderr, ": 0 changes planned for 5 services") {
		t.Errorf("dry run onto the same table: status %d, stdout %q, stderr %q", st, stdout, stderr)
	}
	st, _, stderr = converge(r, convergeTo, false)
	if st != 0 || !strings.Contains(stderr, ": 0 changes made for 5 services") {
		t.Errorf("converging onto the same table: status %d, stderr %q", st, stderr)
	}
	if again, _ := counters(t, c); again.Connections != before.Connections {
		t.Errorf("counters after the second converge: %+v", again)
	}
}

// TestConvergeDryRun checks that a dry run changes nothing and prints
// command lines that, restored the plain way, make the same table.
func TestConvergeDryRun(t *testing.T) {
	wantClient, _, _ := restored(t, convergeTo)
	c, r, _ := restored(t, convergeFrom)
	start := snapshot(t, c)
	st, plan, stderr := converge(r, convergeTo, true)
	if st != 0 || !strings.HasSuffix(stderr, "(dry run: nothing changed)\n") {
		t.Fatalf("dry run: status %d, stderr %q", st, stderr)
	}
	if got := snapshot(t, c); got != start {
		t.Fatalf("the dry run changed the table")
	}
	for _, want := range []string{"-D -u 10.0.0.3:53\n", "-E -t 10.0.0.2:80 -s rr -p 600\n", "-d -f 7 -r 10.1.0.2:0\n",
		"-e -t [2001:db8::1]:443 -r [2001:db8::10]:443 -m -w 1 -x 100 -y 10\n"} {
		if !strings.Contains(plan, want) {
			t.Errorf("the plan lacks %q:\n%s", want, plan)
		}
	}
	var out strings.Builder
	r.Stdout, r.Stderr = &out, &out
	if st := r.Restore(strings.NewReader(plan)); st != 0 || out.Len() != 0 {
		t.Fatalf("restoring the plan: status %d: %s", st, out.String())
	}
	if diff := cmp.Diff(snapshot(t, wantClient), snapshot(t, c)); diff != "" {
		t.Errorf("table after restoring the dry run's plan (-want +got):\n%s", diff)
	}
}

// TestConvergeRandomTables converges random tables into the saves of
// other random tables (overlapping keys, other settings, other server
// orders) and compares with a plain restore of the same save.
func TestConvergeRandomTables(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		target, tr, _ := restored(t, "")
		randomTable(t, target, rand.New(rand.NewPCG(seed, 100)), 60, 5)
		var file strings.Builder
		tr.Stdout = &file
		if st := tr.Main([]string{"-Sn"}); st != 0 {
			t.Fatalf("-Sn: %d", st)
		}
		plain, _, _ := restored(t, file.String())
		c, r, _ := restored(t, "")
		randomTable(t, c, rand.New(rand.NewPCG(seed, 200)), 60, 5)
		st, _, stderr := converge(r, file.String(), false)
		if st != 0 || !strings.Contains(stderr, "; 0 refused") {
			t.Fatalf("seed %d: status %d, stderr %q", seed, st, stderr)
		}
		if diff := cmp.Diff(snapshot(t, plain), snapshot(t, c)); diff != "" {
			t.Errorf("seed %d: converged table differs from the plain restore (-want +got):\n%s", seed, diff)
		}
		if st, _, stderr := converge(r, file.String(), true); st != 0 || !strings.Contains(stderr, ": 0 changes planned") {
			t.Errorf("seed %d: converging again: status %d, %q", seed, st, stderr)
		}
	}
}

// TestConvergeKernelRefusal checks that a change the kernel refuses is
// reported with its command line, the other changes are made, the summary
// counts only those made and says how many were refused, and the status is
// 1; and that bad input changes nothing.
func TestConvergeKernelRefusal(t *testing.T) {
	c, r, _ := restored(t, "-A -t 10.0.0.1:80 -s rr\n")
	st, _, stderr := converge(r, "-A -t 10.0.0.9:80 -s nosuch\n-A -t 10.0.0.8:80 -s rr\n", false)
	want := "ipvsadm: -A -t 10.0.0.9:80 -s nosuch: Scheduler or persistence engine not found\n" +
		"ipvsadm: converge: 2 changes made for 2 services: services 1 added, 0 edited, 1 deleted; servers 0 added, 0 edited, 0 deleted; 1 refused\n"
	if st != 1 || stderr != want {
		t.Errorf("status %d, stderr:\n%s\nwant:\n%s", st, stderr, want)
	}
	svcs, err := c.Services()
	if err != nil || len(svcs) != 1 || svcs[0].Port != 80 || svcs[0].Addr != v4("10.0.0.8") {
		t.Errorf("table after a partly refused converge: %+v %v", svcs, err)
	}

	before := snapshot(t, c)
	st, _, stderr = converge(r, "-A -t 10.0.0.5:80\n-a -t 10.0.0.6:80 -r 10.1.0.1\n", false)
	if st != 1 || !strings.HasPrefix(stderr, "line 2: Service not defined\n") || snapshot(t, c) != before {
		t.Errorf("bad input: status %d, stderr %q, table changed: %v", st, stderr, snapshot(t, c) != before)
	}
}

// TestConvergeFWMarksAbove2to31 converges tables with firewall marks of
// 2^31 and above, which the kernel holds as unsigned numbers: our save of
// such a table converges onto it with nothing to change, and the plan from
// an empty table, restored the plain way, makes the same table. One change
// is counted in the singular.
func TestConvergeFWMarksAbove2to31(t *testing.T) {
	const rules = "-A -f 2147483648 -s rr\n-a -f 2147483648 -r 10.1.0.1:0 -g -w 1\n-A -f 4294967295 -6 -s wlc\n"
	c, r, _ := restored(t, rules)
	var file strings.Builder
	r.Stdout = &file
	if st := r.Main([]string{"-Sn"}); st != 0 {
		t.Fatalf("-Sn: %d", st)
	}
	if want := "-A -f 2147483648 -s rr\n-a -f 2147483648 -r 10.1.0.1:0 -g -w 1\n-A -f 4294967295 -6 -s wlc\n"; file.String() != want {
		t.Errorf("-Sn:\n%s\nwant:\n%s", file.String(), want)
	}
	st, stdout, stderr := converge(r, file.String(), false)
	if want := "ipvsadm: converge: 0 changes made for 2 services: services 0 added, 0 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n"; st != 0 || stdout != "" || stderr != want {
		t.Errorf("converging onto the saved table: status %d, stdout %q, stderr %q", st, stdout, stderr)
	}
	edited := strings.Replace(file.String(), "-A -f 4294967295 -6 -s wlc", "-A -f 4294967295 -6 -s sh", 1)
	st, _, stderr = converge(r, edited, false)
	if want := "ipvsadm: converge: 1 change made for 2 services: services 0 added, 1 edited, 0 deleted; servers 0 added, 0 edited, 0 deleted; 0 refused\n"; st != 0 || stderr != want {
		t.Errorf("converging one edit: status %d, stderr %q", st, stderr)
	}

	e, er, _ := restored(t, "")
	st, plan, stderr := converge(er, edited, true)
	if want := "ipvsadm: converge: 3 changes planned for 2 services: services 2 added, 0 edited, 0 deleted; servers 1 added, 0 edited, 0 deleted (dry run: nothing changed)\n"; st != 0 || stderr != want {
		t.Errorf("dry run from an empty table: status %d, stderr %q", st, stderr)
	}
	var out strings.Builder
	er.Stdout, er.Stderr = &out, &out
	if st := er.Restore(strings.NewReader(plan)); st != 0 || out.Len() != 0 {
		t.Fatalf("restoring the plan %q: status %d: %s", plan, st, out.String())
	}
	if diff := cmp.Diff(snapshot(t, c), snapshot(t, e)); diff != "" {
		t.Errorf("table after restoring the dry run's plan (-want +got):\n%s", diff)
	}
}
