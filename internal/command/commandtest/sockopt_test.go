package commandtest

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/bench"
	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestSockoptEqualsDumps proves that the socket-option interface gives
// each IPv4 service's destinations exactly as its netlink dump does
// (every field it has: all but the tunnel settings and the statistics),
// and declines, rather than answering short, for every service it cannot
// answer for in full: the IPv6 ones, and IPv4 ones with a destination of
// the other family (which the kernel leaves out of its answer); both when
// each service is asked for in turn and after ReadAll.
func TestSockoptEqualsDumps(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	randomTable(t, c, rand.New(rand.NewPCG(300, 11)), 300, 6)
	for _, readAll := range []bool{false, true} {
		t.Run(readAllName(readAll), func(t *testing.T) { checkSockoptEqualsDumps(t, c, ns, readAll) })
	}
}

// readAllName names a subtest by whether the table was read with ReadAll.
func readAllName(readAll bool) string {
	if readAll {
		return "ReadAll"
	}
	return "one by one"
}

// checkSockoptEqualsDumps is TestSockoptEqualsDumps with one way of
// reading the table.
func checkSockoptEqualsDumps(t *testing.T, c *ipvs.Client, ns *vmtest.NetNS, readAll bool) {
	table, err := openSockopt(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer table.Close()
	if readAll {
		table.ReadAll()
	}
	services, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	var answered, mixed int
	for _, s := range services {
		want, err := c.Destinations(s.ServiceKey)
		if err != nil {
			t.Fatal(err)
		}
		hasOther := slices.ContainsFunc(want, func(d ipvs.DestinationEntry) bool { return d.Family != s.Family })
		got, ok := table.AppendDestinations(nil, s.ServiceKey)
		switch {
		case s.Family != ipvs.INET || hasOther:
			if hasOther && s.Family == ipvs.INET {
				mixed++
			}
			if ok {
				t.Errorf("%v (family %v, a destination of the other family: %v): answered %v", s.ServiceKey, s.Family, hasOther, got)
			}
			continue
		case !ok:
			t.Errorf("%v: not answered", s.ServiceKey)
			continue
		}
		answered++
		for i := range want {
			want[i].Stats = ipvs.Stats{}
			want[i].TunnelType, want[i].TunnelPort, want[i].TunnelFlags = 0, 0, 0
		}
		if !slices.Equal(got, want) {
			t.Errorf("%v:\n got %+v\nwant %+v", s.ServiceKey, got, want)
		}
	}
	if answered < len(services)/3 || mixed == 0 {
		t.Fatalf("of %d services, %d answered and %d IPv4 ones with a destination of the other family: the table proves too little",
			len(services), answered, mixed)
	}
}

// TestSockoptNoticesChanges proves that a service whose destinations were
// added or deleted after the table was opened, or that is gone, is declined
// rather than answered from the wrong count, whether it is asked for
// afterwards or read by ReadAll afterwards; and that after ReadAll the
// answers are ReadAll's, whatever changes later.
func TestSockoptNoticesChanges(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	dest := func(last byte) ipvs.Destination {
		return ipvs.Destination{Family: ipvs.INET, Addr: netip.AddrFrom4([4]byte{172, 16, 0, last}), Port: 80, Weight: 1}
	}
	for _, req := range []ipvs.Request{
		ipvs.NewServiceRequest(ipvs.Service{ServiceKey: key, Scheduler: "rr", Netmask: 0xffffffff}),
		ipvs.NewDestinationRequest(key, dest(1)),
		ipvs.NewDestinationRequest(key, dest(2)),
	} {
		if err := c.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	answers := func() bool {
		t.Helper()
		table, err := openSockopt(ns)
		if err != nil {
			t.Fatal(err)
		}
		defer table.Close()
		_, ok := table.AppendDestinations(nil, key)
		return ok
	}
	if !answers() {
		t.Fatal("an unchanged service is not answered")
	}
	for _, change := range []struct {
		name string
		req  ipvs.Request
	}{
		{"a destination added", ipvs.NewDestinationRequest(key, dest(3))},
		{"a destination deleted", ipvs.DeleteDestinationRequest(key, dest(1))},
		{"the service deleted", ipvs.DeleteServiceRequest(key)},
	} {
		table, err := openSockopt(ns)
		if err != nil {
			t.Fatal(err)
		}
		readAll, err := openSockopt(ns)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Do(change.req); err != nil {
			t.Fatal(err)
		}
		readAll.ReadAll()
		if d, ok := table.AppendDestinations(nil, key); ok {
			t.Errorf("%s after the table was read: answered %v", change.name, d)
		}
		if d, ok := readAll.AppendDestinations(nil, key); ok {
			t.Errorf("%s after the table was read, before ReadAll: answered %v", change.name, d)
		}
		table.Close()
		readAll.Close()
		if change.name != "the service deleted" && !answers() {
			t.Errorf("%s: a table read afterwards does not answer", change.name)
		}
	}

	// ReadAll's answers stand: the service gone, its socket closed.
	if err := c.Do(ipvs.NewServiceRequest(ipvs.Service{ServiceKey: key, Scheduler: "rr", Netmask: 0xffffffff})); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ipvs.NewDestinationRequest(key, dest(9))); err != nil {
		t.Fatal(err)
	}
	table, err := openSockopt(ns)
	if err != nil {
		t.Fatal(err)
	}
	table.ReadAll()
	if err := c.Do(ipvs.DeleteServiceRequest(key)); err != nil {
		t.Fatal(err)
	}
	table.Close()
	if d, ok := table.AppendDestinations(nil, key); !ok || len(d) != 1 || d[0].Addr != dest(9).Addr {
		t.Errorf("after ReadAll, the service deleted and the socket closed: answered %v, %v; want the one destination read", d, ok)
	}
}

// TestListingReadsProcOnlyForOtherFamilies proves which source a plain
// listing takes each service's destinations from: an IPv4 table is read
// without /proc, dumping only the service with a destination of the other
// family (and, for a save, the ones with tunnel settings to show); one
// IPv6 service makes it read /proc once, which then answers for the
// mixed service too.
func TestListingReadsProcOnlyForOtherFamilies(t *testing.T) {
	r, _, _, ns := newRunnerIn(t, `-A -t 10.9.9.9:80 -s rr
-a -t 10.9.9.9:80 -r [2001:db8::5]:80 -i -w 3
-a -t 10.9.9.9:80 -r 10.1.1.1:80 -m -w 3
-A -t 10.9.9.10:80 -s rr
-a -t 10.9.9.10:80 -r 10.1.1.2:80 -i -w 2 --tun-type gue --tun-port 6000
-A -f 7 -s wlc -p 30 --pe sip
-a -f 7 -r 10.1.1.3:0 -g -w 1
-A -u 10.9.9.8:53 -s sh -b sh-port -o
-a -u 10.9.9.8:53 -r 10.1.1.3:53 -g -w 0
`)
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	check := func(args []string, dumps, procReads int) {
		t.Helper()
		by := &counting{Kernel: command.Kernel{Client: c}}
		tables, stdout, stderr := runner(t, by, ns, viaTables)
		if st := tables.Main(args); st != 0 || stderr.Len() != 0 {
			t.Fatalf("%v: status %d, stderr %q", args, st, stderr)
		}
		if stdout.Len() == 0 {
			t.Fatalf("%v: nothing listed", args)
		}
		if by.dumps != dumps || by.procReads != procReads {
			t.Errorf("%v: %d dumps and %d reads of /proc, want %d and %d", args, by.dumps, by.procReads, dumps, procReads)
		}
	}
	check([]string{"-Ln"}, 1, 0)
	check([]string{"-Sn"}, 2, 0)
	if st := r.Main([]string{"-A", "-t", "[2001:db8::1]:80"}); st != 0 {
		t.Fatalf("adding an IPv6 service: status %d", st)
	}
	check([]string{"-Ln"}, 0, 1)
}

// TestSockoptCounters proves that the socket-option interface gives the
// connection counters of a destination as its dump does, on a table with
// real connections: a persistent service whose clients (raw packets inside
// the namespace, bench.MakeConnections) make active connections and a
// persistence template.
func TestSockoptCounters(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	ns.Sh(t, "ip addr add 10.0.0.1/32 dev lo && ip link set lo up")
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	key := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	reqs := []ipvs.Request{ipvs.NewServiceRequest(ipvs.Service{ServiceKey: key, Scheduler: "rr", Netmask: 0xffffffff,
		Flags: ipvs.FlagPersistent, Timeout: 300 * time.Second})}
	for last := byte(1); last <= 2; last++ {
		reqs = append(reqs, ipvs.NewDestinationRequest(key, ipvs.Destination{Family: ipvs.INET,
			Addr: netip.AddrFrom4([4]byte{172, 16, 0, last}), Port: 80, Weight: 1}))
	}
	for _, req := range reqs {
		if err := c.Do(req); err != nil {
			t.Fatal(err)
		}
	}
	if err := bench.MakeConnections(ns, netip.MustParseAddrPort("10.0.0.1:80"), 40); err != nil {
		t.Fatal(err)
	}
	want, err := c.Destinations(key)
	if err != nil {
		t.Fatal(err)
	}
	var active, persistent uint32
	for i := range want {
		want[i].Stats = ipvs.Stats{}
		active += want[i].ActiveConns
		persistent += want[i].PersistentConns
	}
	if active == 0 || persistent == 0 {
		t.Fatalf("the connections made no counts to compare: %+v", want)
	}
	for _, readAll := range []bool{false, true} {
		table, err := openSockopt(ns)
		if err != nil {
			t.Fatal(err)
		}
		if readAll {
			table.ReadAll()
		}
		got, ok := table.AppendDestinations(nil, key)
		table.Close()
		if !ok {
			t.Fatalf("%s: not answered", readAllName(readAll))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", readAllName(readAll), got, want)
		}
	}
}
