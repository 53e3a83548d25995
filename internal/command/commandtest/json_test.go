package commandtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/cli"
	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/jsonlist"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// jsonEnv is a Runner on a fresh namespace, with what the JSON tests
// look at.
type jsonEnv struct {
	r              *command.Runner
	c              *ipvs.Client
	ns             *vmtest.NetNS
	stdout, stderr *bytes.Buffer
}

// newJSONEnv returns a Runner (text output) on a fresh namespace holding
// the rules of setup, reading /proc/net/ip_vs and ip_vs_conn of that
// namespace.
func newJSONEnv(t *testing.T, setup string) *jsonEnv {
	t.Helper()
	ns := vmtest.NewNetNS(t)
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r, stdout, stderr := runner(t, &counting{Kernel: command.Kernel{Client: c}}, ns, viaTables)
	r.OpenConnections = func() (io.ReadCloser, error) {
		var f *os.File
		err := ns.Do(func() (err error) {
			f, err = os.Open("/proc/thread-self/net/ip_vs_conn")
			return err
		})
		return f, err
	}
	if setup != "" {
		if st := r.Restore(strings.NewReader(setup)); st != 0 || stderr.Len() != 0 {
			t.Fatalf("setup: status %d, stderr %q", st, stderr)
		}
	}
	return &jsonEnv{r: r, c: c, ns: ns, stdout: stdout, stderr: stderr}
}

// run runs args with or without --json and returns status, stdout and
// stderr.
func (e *jsonEnv) run(jsonOut bool, args ...string) (int, []byte, string) {
	e.stdout.Reset()
	e.stderr.Reset()
	e.r.JSON = jsonOut
	status := e.r.Main(args)
	e.r.JSON = false
	return status, append([]byte(nil), e.stdout.Bytes()...), e.stderr.String()
}

// list runs a listing with --json that must succeed and returns its
// output.
func (e *jsonEnv) list(t *testing.T, args ...string) []byte {
	t.Helper()
	status, out, errs := e.run(true, args...)
	if status != 0 || errs != "" {
		t.Fatalf("%v --json: status %d, stderr %q", args, status, errs)
	}
	return out
}

// text runs a text listing that must succeed.
func (e *jsonEnv) text(t *testing.T, args ...string) string {
	t.Helper()
	status, out, errs := e.run(false, args...)
	if status != 0 || errs != "" {
		t.Fatalf("%v: status %d, stderr %q", args, status, errs)
	}
	return string(out)
}

// decodeDoc decodes one document strictly: no unknown members, nothing
// after it, and a newline at the end.
func decodeDoc(t *testing.T, data []byte, v any) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("}\n")) {
		t.Fatalf("document does not end with a newline: %q", data)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("invalid JSON (%v):\n%s", err, data)
	}
	if dec.More() {
		t.Fatalf("more than one document:\n%s", data)
	}
}

// decodeServices decodes a services document and checks its head.
func decodeServices(t *testing.T, data []byte) jsonlist.Services {
	t.Helper()
	var doc jsonlist.Services
	decodeDoc(t, data, &doc)
	if doc.Schema != jsonlist.SchemaServices || doc.Version != 1 || doc.Error != "" || doc.Services == nil {
		t.Fatalf("document head: schema %q, version %d, error %q, services %v", doc.Schema, doc.Version, doc.Error, doc.Services)
	}
	return doc
}

// jsonKey names a service of a document like kernelKey does.
func jsonKey(s jsonlist.Service) string {
	if s.FWMark != 0 {
		return fmt.Sprintf("fwmark %d %s", s.FWMark, s.Family)
	}
	port := -1
	if s.Port != nil {
		port = int(*s.Port)
	}
	return fmt.Sprintf("%s %s", s.Protocol, joinHostPort(s.Address, port))
}

func joinHostPort(addr string, port int) string {
	if strings.Contains(addr, ":") {
		return fmt.Sprintf("[%s]:%d", addr, port)
	}
	return fmt.Sprintf("%s:%d", addr, port)
}

// kernelKey names a service as the kernel reports it.
func kernelKey(s ipvs.Service) string {
	if s.FWMark != 0 {
		return fmt.Sprintf("fwmark %d %s", s.FWMark, s.Family)
	}
	return fmt.Sprintf("%s %s", strings.ToLower(s.Protocol.String()), netip.AddrPortFrom(s.Addr, s.Port))
}

// textOrder is the order of services and their servers in a text
// listing (-Ln), as "key" and "key -> addr:port" lines.
func textOrder(t *testing.T, listing string) []string {
	t.Helper()
	var order []string
	svc := ""
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) < 2, f[0] == "IP", f[0] == "Prot", f[1] == "RemoteAddress:Port":
		case f[0] == "->":
			order = append(order, svc+" -> "+f[1])
		case f[0] == "FWM":
			fam := "inet"
			if len(f) > 2 && f[2] == "IPv6" {
				fam = "inet6"
			}
			svc = fmt.Sprintf("fwmark %s %s", f[1], fam)
			order = append(order, svc)
		default:
			svc = strings.ToLower(f[0]) + " " + f[1]
			order = append(order, svc)
		}
	}
	return order
}

// jsonOrder is textOrder for a document.
func jsonOrder(doc jsonlist.Services) []string {
	var order []string
	for _, s := range doc.Services {
		k := jsonKey(s)
		order = append(order, k)
		for _, d := range s.Destinations {
			order = append(order, k+" -> "+joinHostPort(d.Address, int(d.Port)))
		}
	}
	return order
}

// configRules is a table without traffic: every kind of service and
// destination a listing shows.
const configRules = `-A -t 10.0.0.1:80 -s wlc
-a -t 10.0.0.1:80 -r 10.0.1.2:8080 -m -w 0
-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 3 -x 100 -y 10
-a -t 10.0.0.1:80 -r 10.0.2.1 -i --tun-type gue --tun-port 6080 --tun-csum
-a -t 10.0.0.1:80 -r 10.0.2.2 -i --tun-type gre --tun-csum
-a -t 10.0.0.1:80 -r 10.0.2.3 -i
-a -t 10.0.0.1:80 -r 10.0.2.4 -i --tun-type gue --tun-port 6081 --tun-remcsum
-A -u 10.0.0.2:53 -s rr -o
-a -u 10.0.0.2:53 -r 10.0.1.3 -g
-A -t [2001:db8::1]:443 -s sh -b sh-fallback,sh-port -p 600 -M 64
-a -t [2001:db8::1]:443 -r [2001:db8::11]:443 -m
-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -g -w 2
-A -f 7 -s lc -p 300 -M 255.255.255.0
-a -f 7 -r 10.0.3.1 -g
-A -f 8 -6 -s rr
-a -f 8 -6 -r 2001:db8::20 -g
-A -t 10.0.0.3 -s rr -p
-a -t 10.0.0.3 -r 10.0.1.4 -g
-A -u 10.0.0.9:5060 -p 100 --pe sip
-A --sctp-service 10.0.0.4:9 -s mh -b mh-port
`

// configWant is what a listing of configRules must hold, by service key,
// destinations sorted by address and port (the order is checked against
// the text listing separately).
func configWant() map[string]jsonlist.Service {
	p := func(v uint16) *uint16 { return &v }
	n := func(v int) *int { return &v }
	dest := func(fam, addr string, port uint16, fwd string, weight uint32) jsonlist.Destination {
		return jsonlist.Destination{Family: fam, Address: addr, Port: port, Forward: fwd, Weight: weight}
	}
	gue := dest("inet", "10.0.2.1", 80, "tunnel", 1)
	gue.Tunnel = &jsonlist.Tunnel{Type: "gue", Port: 6080, Flags: []string{"csum"}}
	gre := dest("inet", "10.0.2.2", 80, "tunnel", 1)
	gre.Tunnel = &jsonlist.Tunnel{Type: "gre", Flags: []string{"csum"}}
	remcsum := dest("inet", "10.0.2.4", 80, "tunnel", 1)
	remcsum.Tunnel = &jsonlist.Tunnel{Type: "gue", Port: 6081, Flags: []string{"remcsum"}}
	ipip6 := dest("inet6", "2001:db8::30", 80, "tunnel", 1)
	ipip6.Tunnel = &jsonlist.Tunnel{Type: "ipip", Flags: []string{}}
	ipip := dest("inet", "10.0.2.3", 80, "tunnel", 1)
	ipip.Tunnel = &jsonlist.Tunnel{Type: "ipip", Flags: []string{}}
	thresholds := dest("inet", "10.0.1.1", 80, "masq", 3)
	thresholds.Thresholds = jsonlist.Thresholds{Upper: 100, Lower: 10}
	services := []jsonlist.Service{
		{Family: "inet", Protocol: "tcp", Address: "10.0.0.1", Port: p(80), Scheduler: "wlc", Flags: []string{},
			Destinations: []jsonlist.Destination{thresholds, dest("inet", "10.0.1.2", 8080, "masq", 0), gue, gre, ipip, remcsum, ipip6}},
		{Family: "inet", Protocol: "udp", Address: "10.0.0.2", Port: p(53), Scheduler: "rr", Flags: []string{"one-packet"}, OnePacket: true,
			Destinations: []jsonlist.Destination{dest("inet", "10.0.1.3", 53, "route", 1)}},
		{Family: "inet6", Protocol: "tcp", Address: "2001:db8::1", Port: p(443), Scheduler: "sh",
			Flags:        []string{"persistent", "sh-fallback", "sh-port"},
			Persistence:  &jsonlist.Persistence{Timeout: 600, Netmask: "ffff:ffff:ffff:ffff::", PrefixLength: n(64)},
			Destinations: []jsonlist.Destination{dest("inet6", "2001:db8::10", 443, "route", 2), dest("inet6", "2001:db8::11", 443, "masq", 1)}},
		{Family: "inet", FWMark: 7, Scheduler: "lc", Flags: []string{"persistent"},
			Persistence:  &jsonlist.Persistence{Timeout: 300, Netmask: "255.255.255.0", PrefixLength: n(24)},
			Destinations: []jsonlist.Destination{dest("inet", "10.0.3.1", 0, "route", 1)}},
		{Family: "inet6", FWMark: 8, Scheduler: "rr", Flags: []string{},
			Destinations: []jsonlist.Destination{dest("inet6", "2001:db8::20", 0, "route", 1)}},
		{Family: "inet", Protocol: "tcp", Address: "10.0.0.3", Port: p(0), Scheduler: "rr", Flags: []string{"persistent"},
			Persistence:  &jsonlist.Persistence{Timeout: 360, Netmask: "255.255.255.255", PrefixLength: n(32)},
			Destinations: []jsonlist.Destination{dest("inet", "10.0.1.4", 0, "route", 1)}},
		{Family: "inet", Protocol: "udp", Address: "10.0.0.9", Port: p(5060), Scheduler: "wlc", Flags: []string{"persistent"}, PE: "sip",
			Persistence:  &jsonlist.Persistence{Timeout: 100, Netmask: "255.255.255.255", PrefixLength: n(32)},
			Destinations: []jsonlist.Destination{}},
		{Family: "inet", Protocol: "sctp", Address: "10.0.0.4", Port: p(9), Scheduler: "mh", Flags: []string{"mh-port"},
			Destinations: []jsonlist.Destination{}},
	}
	m := map[string]jsonlist.Service{}
	for _, s := range services {
		m[jsonKey(s)] = s
	}
	return m
}

// byKey indexes a document's services, destinations sorted by address
// and port.
func byKey(t *testing.T, doc jsonlist.Services) map[string]jsonlist.Service {
	t.Helper()
	m := map[string]jsonlist.Service{}
	for _, s := range doc.Services {
		k := jsonKey(s)
		if _, dup := m[k]; dup {
			t.Errorf("service %s listed twice", k)
		}
		s.Destinations = slices.Clone(s.Destinations) // keeps nil (JSON null) apart from empty
		sort.Slice(s.Destinations, func(i, j int) bool {
			a, b := s.Destinations[i], s.Destinations[j]
			if a.Address != b.Address {
				return a.Address < b.Address
			}
			return a.Port < b.Port
		})
		m[k] = s
	}
	return m
}

// withStats adds zero stats and rates objects, as asked, to every
// service and destination of want.
func withStats(want map[string]jsonlist.Service, inc jsonlist.Include) map[string]jsonlist.Service {
	out := map[string]jsonlist.Service{}
	for k, s := range want {
		s.Destinations = append([]jsonlist.Destination{}, s.Destinations...)
		if inc.Stats {
			s.Stats = &jsonlist.Stats{}
		}
		if inc.Rates {
			s.Rates = &jsonlist.Rates{}
		}
		for i := range s.Destinations {
			s.Destinations[i].Stats, s.Destinations[i].Rates = s.Stats, s.Rates
		}
		out[k] = s
	}
	return out
}

// checkKernel compares a document with the kernel's table read just
// before (k1) and just after (k2) it: the same services and
// destinations, the same configuration, connection counts and counters
// between the two reads.
func checkKernel(t *testing.T, doc jsonlist.Services, k1, k2 kernelTable, inc jsonlist.Include) {
	t.Helper()
	got := byKey(t, doc)
	if len(got) != len(k1.services) {
		t.Errorf("document has %d services, the kernel %d", len(got), len(k1.services))
	}
	for key, ks := range k1.services {
		s, found := got[key]
		if !found {
			t.Errorf("kernel service %s missing from the document", key)
			continue
		}
		ks2 := k2.services[key]
		if s.Scheduler != ks.Scheduler || s.PE != ks.PE || s.OnePacket != (ks.Flags&ipvs.FlagOnePacket != 0) ||
			(s.Persistence != nil) != (ks.Flags&ipvs.FlagPersistent != 0) ||
			(s.Persistence != nil && s.Persistence.Timeout != uint32(ks.Timeout/time.Second)) {
			t.Errorf("%s: document %+v, kernel %+v", key, s, ks.Service)
		}
		if inc.Stats != (s.Stats != nil) || inc.Rates != (s.Rates != nil) {
			t.Errorf("%s: stats %v, rates %v with %+v", key, s.Stats, s.Rates, inc)
		}
		if s.Stats != nil {
			checkCounters(t, key, *s.Stats, ks.Stats, ks2.Stats)
		}
		kd := k1.dests[key]
		if len(kd) != len(s.Destinations) {
			t.Errorf("%s: %d destinations, the kernel has %d", key, len(s.Destinations), len(kd))
			continue
		}
		for _, d := range s.Destinations {
			dk := joinHostPort(d.Address, int(d.Port))
			de, found := kd[dk]
			if !found {
				t.Errorf("%s: destination %s not in the kernel", key, dk)
				continue
			}
			de2 := k2.dests[key][dk]
			if d.Weight != de.Weight || d.Thresholds.Upper != de.UpperThreshold || d.Thresholds.Lower != de.LowerThreshold ||
				(d.Tunnel != nil) != (de.Method == ipvs.Tunnel) ||
				(d.Tunnel != nil && (d.Tunnel.Type != de.TunnelType.String() || d.Tunnel.Port != de.TunnelPort)) ||
				d.Family != de.Family.String() {
				t.Errorf("%s -> %s: document %+v, kernel %+v", key, dk, d, de.Destination)
			}
			between := func(name string, v, a, b uint32) {
				if v < min(a, b) || v > max(a, b) {
					t.Errorf("%s -> %s: %s %d, the kernel had %d then %d", key, dk, name, v, a, b)
				}
			}
			between("active_conns", d.ActiveConns, de.ActiveConns, de2.ActiveConns)
			between("inactive_conns", d.InactiveConns, de.InactiveConns, de2.InactiveConns)
			between("persistent_conns", d.PersistentConns, de.PersistentConns, de2.PersistentConns)
			if d.Stats != nil {
				checkCounters(t, key+" -> "+dk, *d.Stats, de.Stats, de2.Stats)
			}
		}
	}
}

// checkCounters checks that every counter lies between the kernel's two
// reads (counters only grow).
func checkCounters(t *testing.T, what string, got jsonlist.Stats, before, after ipvs.Stats) {
	t.Helper()
	g := [5]uint64{got.Conns, got.InPkts, got.OutPkts, got.InBytes, got.OutBytes}
	b := [5]uint64{before.Connections, before.PacketsIn, before.PacketsOut, before.BytesIn, before.BytesOut}
	a := [5]uint64{after.Connections, after.PacketsIn, after.PacketsOut, after.BytesIn, after.BytesOut}
	for i := range g {
		if g[i] < b[i] || g[i] > a[i] {
			t.Errorf("%s: counters %+v, the kernel had %+v then %+v", what, got, before, after)
			return
		}
	}
}

// kernelTable is the kernel's table by service key and destination
// address:port.
type kernelTable struct {
	services map[string]ipvs.ServiceEntry
	dests    map[string]map[string]ipvs.DestinationEntry
}

func readKernel(t *testing.T, c *ipvs.Client) kernelTable {
	t.Helper()
	entries, err := c.Services()
	if err != nil {
		t.Fatal(err)
	}
	k := kernelTable{services: map[string]ipvs.ServiceEntry{}, dests: map[string]map[string]ipvs.DestinationEntry{}}
	for _, e := range entries {
		key := kernelKey(e.Service)
		k.services[key] = e
		ds, err := c.Destinations(e.ServiceKey)
		if err != nil {
			t.Fatal(err)
		}
		k.dests[key] = map[string]ipvs.DestinationEntry{}
		for _, d := range ds {
			k.dests[key][netip.AddrPortFrom(d.Addr, d.Port).String()] = d
		}
	}
	return k
}

// TestJSONServices lists a table with every kind of service and
// destination in each listing mode and checks the documents against the
// configuration, the kernel, and the order of the text listing.
func TestJSONServices(t *testing.T) {
	e := newJSONEnv(t, configRules)
	// An IPv6 tunnelling server behind an IPv4 service, which the
	// command line cannot ask for.
	tcp80 := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	if err := e.c.Do(ipvs.NewDestinationRequest(tcp80, ipvs.Destination{Family: ipvs.INET6, Addr: netip.MustParseAddr("2001:db8::30"),
		Port: 80, Method: ipvs.Tunnel, Weight: 1})); err != nil {
		t.Fatal(err)
	}
	want := configWant()
	k := readKernel(t, e.c)
	plain := e.list(t, "-L")
	for _, args := range [][]string{
		{"-L"}, {"-Ln"}, {"-l"}, {"-L", "--thresholds"}, {"-L", "--persistent-conn"}, {"-L", "--tun-info"},
		{"-Ln", "--exact"}, {"-L", "--stats"}, {"-L", "--rate"}, {"-Ln", "--stats", "--rate"}, {"-Ln", "--nosort"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out := e.list(t, args...)
			doc := decodeServices(t, out)
			inc := jsonlist.Include{Stats: hasArg(args, "--stats"), Rates: hasArg(args, "--rate")}
			if diff := cmp.Diff(withStats(want, inc), byKey(t, doc)); diff != "" {
				t.Errorf("document (-want +got):\n%s", diff)
			}
			checkKernel(t, doc, k, k, inc)
			if doc.IPVS.Version != e.r.Info.Version.String() || doc.IPVS.ConnTableSize != e.r.Info.ConnTableSize {
				t.Errorf("ipvs %+v, kernel %+v", doc.IPVS, e.r.Info)
			}
			textArgs := []string{"-Ln"}
			if hasArg(args, "--nosort") {
				textArgs = append(textArgs, "--nosort")
			}
			if diff := cmp.Diff(textOrder(t, e.text(t, textArgs...)), jsonOrder(doc)); diff != "" {
				t.Errorf("order differs from %v (-text +json):\n%s", textArgs, diff)
			}
			// Without --stats and --rate, options change nothing.
			if !inc.Stats && !inc.Rates && !hasArg(args, "--nosort") && !bytes.Equal(out, plain) {
				t.Errorf("%v differs from -L:\n%s\n-L:\n%s", args, out, plain)
			}
		})
	}
	if t.Failed() {
		t.Logf("-L --json:\n%s", plain)
	}

	// One service: the same object as in the whole listing.
	all := byKey(t, decodeServices(t, plain))
	for _, args := range [][]string{
		{"-L", "-t", "10.0.0.1:80"}, {"-Ln", "-t", "[2001:db8::1]:443"}, {"-L", "-f", "7"}, {"-L", "-f", "8", "-6"},
		{"-l", "-u", "10.0.0.9:5060"}, {"-L", "--sctp-service", "10.0.0.4:9"}, {"-L", "-t", "10.0.0.3:0"},
	} {
		doc := decodeServices(t, e.list(t, args...))
		if len(doc.Services) != 1 {
			t.Errorf("%v: %d services", args, len(doc.Services))
			continue
		}
		got := byKey(t, doc)
		for k, s := range got {
			if diff := cmp.Diff(all[k], s); diff != "" {
				t.Errorf("%v: service %s differs from the whole listing's (-all +one):\n%s", args, k, diff)
			}
		}
	}

	// A missing service: the text listing's message and status, nothing
	// on standard output.
	for _, args := range [][]string{{"-L", "-t", "10.0.0.99:80"}, {"-Ln", "-f", "99", "--stats"}} {
		status, out, errs := e.run(true, args...)
		tstatus, tout, terrs := e.run(false, args...)
		if status != 1 || errs != "No such service\n" || len(out) != 0 || status != tstatus || errs != terrs {
			t.Errorf("%v --json: status %d, stdout %q, stderr %q; text: status %d, stdout %q, stderr %q", args, status, out, errs, tstatus, tout, terrs)
		}
	}

	// Through the real command line, in the namespace given by --netns.
	var stdout, stderr bytes.Buffer
	st := cli.Main(cli.Env{Args: []string{"ipvsadm", "--netns", fmt.Sprintf("/proc/self/fd/%d", e.ns.FD()), "-Ln", "--json"},
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	if st != 0 || stderr.Len() != 0 || !bytes.Equal(stdout.Bytes(), plain) {
		t.Errorf("ipvsadm --netns ... -Ln --json: status %d, stderr %q, stdout differs from the Runner's:\n%s", st, stderr.String(), stdout.String())
	}
}

func hasArg(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

// TestJSONTraffic sends real traffic through NAT services (IPv4 and
// IPv6) inside the namespace, then checks the counters of --stats and
// --rate and the connection table of -Lc against the kernel and the
// text listing.
func TestJSONTraffic(t *testing.T) {
	e := newJSONEnv(t, `-A -t 10.9.9.9:80 -s rr
-a -t 10.9.9.9:80 -r 10.9.0.2:80 -m
-a -t 10.9.9.9:80 -r 10.9.0.3:80 -m
-A -t [2001:db8:99::9]:80 -s rr
-a -t [2001:db8:99::9]:80 -r [2001:db8:9::2]:80 -m
`)
	e.ns.Sh(t, "ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.0.1/24 dev d0 && ip addr add 10.9.9.9/32 dev lo && "+
		"ip -6 addr add 2001:db8:9::1/64 dev d0 && ip -6 addr add 2001:db8:99::9/128 dev lo")
	// Each attempt is a SYN to a real server behind a dummy interface:
	// connections, packets and bytes in, nothing back.
	e.ns.Sh(t, "for i in 1 2 3 4; do timeout 2 nc 10.9.9.9 80 </dev/null; done; "+
		"for i in 1 2; do timeout 2 nc 2001:db8:99::9 80 </dev/null; done; true")

	// -Lc first, before the connections expire.
	connText := e.text(t, "-Lnc")
	connJSON := e.list(t, "-Lc")
	var conns jsonlist.Connections
	decodeDoc(t, connJSON, &conns)
	if conns.Schema != jsonlist.SchemaConnections || conns.Version != 1 || conns.Error != "" {
		t.Fatalf("connections document head: %+v", conns)
	}
	rows := strings.Split(strings.TrimSuffix(connText, "\n"), "\n")[2:]
	if len(conns.Connections) != len(rows) || len(rows) == 0 {
		t.Fatalf("-Lc --json has %d connections, -Lnc %d rows:\n%s\n%s", len(conns.Connections), len(rows), connText, connJSON)
	}
	v6 := 0
	for i, c := range conns.Connections {
		f := strings.Fields(rows[i])
		mmss := strings.Split(f[1], ":")
		m, _ := strconv.Atoi(mmss[0])
		s, _ := strconv.Atoi(mmss[1])
		if strings.ToUpper(c.Protocol) != f[0] || c.State != f[2] ||
			joinHostPort(c.ClientAddress, int(c.ClientPort)) != f[3] ||
			joinHostPort(c.VirtualAddress, int(c.VirtualPort)) != f[4] ||
			joinHostPort(c.DestinationAddress, int(c.DestinationPort)) != f[5] ||
			int(c.Expires) > 60*m+s || int(c.Expires) < 60*m+s-10 {
			t.Errorf("connection %d: %+v, text row %q", i, c, rows[i])
		}
		if !strings.HasSuffix(f[4], ":80") || c.Protocol != "tcp" {
			t.Errorf("connection %d to %s:%d, not to a virtual service", i, c.VirtualAddress, c.VirtualPort)
		}
		if strings.Contains(c.VirtualAddress, ":") {
			v6++
		}
	}
	if v6 == 0 {
		t.Errorf("no IPv6 connection listed:\n%s", connJSON)
	}
	// The same through the real command line (the namespace's own
	// /proc/net/ip_vs_conn, opened from inside it).
	var stdout, stderr bytes.Buffer
	st := cli.Main(cli.Env{Args: []string{"ipvsadm", "--json", "--netns", fmt.Sprintf("/proc/self/fd/%d", e.ns.FD()), "-Lnc"},
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	var viaCLI jsonlist.Connections
	decodeDoc(t, stdout.Bytes(), &viaCLI)
	if st != 0 || stderr.Len() != 0 || len(viaCLI.Connections) != len(conns.Connections) {
		t.Errorf("ipvsadm --json --netns ... -Lnc: status %d, stderr %q, %d connections", st, stderr.String(), len(viaCLI.Connections))
	}

	for _, args := range [][]string{{"-L", "--stats"}, {"-Ln", "--rate"}, {"-Ln", "--stats", "--rate", "--exact"}} {
		k1 := readKernel(t, e.c)
		out := e.list(t, args...)
		k2 := readKernel(t, e.c)
		doc := decodeServices(t, out)
		inc := jsonlist.Include{Stats: hasArg(args, "--stats"), Rates: hasArg(args, "--rate")}
		checkKernel(t, doc, k1, k2, inc)
		if inc.Stats {
			for _, s := range doc.Services {
				if st := s.Stats; st.Conns == 0 || st.InPkts < st.Conns || st.InBytes < 40*st.Conns {
					t.Errorf("%v: %s after traffic: %+v", args, jsonKey(s), *st)
				}
			}
		}
		if t.Failed() {
			t.Logf("%v --json:\n%s", args, out)
		}
	}
	t.Logf("-Ln --stats --json after traffic:\n%s", e.list(t, "-Ln", "--stats"))
	t.Logf("-Lnc --json after traffic:\n%s", connJSON)

	// Zeroed counters are zero in the document too.
	if st, _, errs := e.run(false, "-Z"); st != 0 || errs != "" {
		t.Fatalf("-Z: status %d, stderr %q", st, errs)
	}
	for _, s := range decodeServices(t, e.list(t, "-Ln", "--stats")).Services {
		if *s.Stats != (jsonlist.Stats{}) {
			t.Errorf("%s after -Z: %+v", jsonKey(s), *s.Stats)
		}
	}
}

// TestJSONTimeoutAndDaemon lists --timeout and --daemon.
func TestJSONTimeoutAndDaemon(t *testing.T) {
	e := newJSONEnv(t, "")
	var td jsonlist.TimeoutDocument
	decodeDoc(t, e.list(t, "-L", "--timeout"), &td)
	if want := (jsonlist.TimeoutDocument{Schema: jsonlist.SchemaTimeout, Version: 1, Timeout: jsonlist.Timeout{TCP: 900, TCPFin: 120, UDP: 300}}); td != want {
		t.Errorf("default timeouts: %+v, want %+v", td, want)
	}
	if st, _, errs := e.run(false, "--set", "100", "20", "30"); st != 0 || errs != "" {
		t.Fatalf("--set: status %d, stderr %q", st, errs)
	}
	decodeDoc(t, e.list(t, "-L", "--timeout", "-n"), &td)
	kt, err := e.c.Timeouts()
	if err != nil {
		t.Fatal(err)
	}
	if td.Timeout != (jsonlist.Timeout{TCP: 100, TCPFin: 20, UDP: 30}) || kt.TCP != 100*time.Second {
		t.Errorf("timeouts after --set: %+v, kernel %+v", td.Timeout, kt)
	}

	var dd jsonlist.Daemons
	decodeDoc(t, e.list(t, "-L", "--daemon"), &dd)
	if dd.Schema != jsonlist.SchemaDaemons || dd.Version != 1 || dd.Daemons == nil || len(dd.Daemons) != 0 {
		t.Errorf("no daemons: %+v", dd)
	}
	e.ns.Sh(t, "ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.0.1/24 dev d0")
	for _, args := range [][]string{
		{"--start-daemon", "master", "--mcast-interface", "d0", "--syncid", "5"},
		{"--start-daemon", "backup", "--mcast-interface", "d0", "--syncid", "6", "--sync-maxlen", "1400",
			"--mcast-group", "239.1.2.3", "--mcast-port", "9000", "--mcast-ttl", "3"},
	} {
		if st, _, errs := e.run(false, args...); st != 0 || errs != "" {
			t.Fatalf("%v: status %d, stderr %q", args, st, errs)
		}
	}
	out := e.list(t, "-L", "--daemon")
	decodeDoc(t, out, &dd)
	want := []jsonlist.Daemon{
		{State: "master", Interface: "d0", SyncID: 5, MaxLen: 1472, Group: "224.0.0.81", Port: 8848, TTL: 1},
		{State: "backup", Interface: "d0", SyncID: 6, MaxLen: 1400, Group: "239.1.2.3", Port: 9000, TTL: 3},
	}
	if diff := cmp.Diff(want, dd.Daemons); diff != "" {
		t.Errorf("daemons (-want +got):\n%s", diff)
	}
	kd, err := e.c.Daemons()
	if err != nil || len(kd) != len(dd.Daemons) || kd[0].Group.String() != dd.Daemons[0].Group {
		t.Errorf("kernel daemons %+v (%v), document %+v", kd, err, dd.Daemons)
	}
	t.Logf("-L --daemon --json:\n%s", out)
}

// TestJSONEmpty lists an empty table: valid documents with empty arrays.
func TestJSONEmpty(t *testing.T) {
	e := newJSONEnv(t, "")
	out := e.list(t, "-Ln")
	decodeServices(t, out)
	if !bytes.Contains(out, []byte(`"services": []`)) {
		t.Errorf("empty table:\n%s", out)
	}
	out = e.list(t, "-Lnc")
	var conns jsonlist.Connections
	decodeDoc(t, out, &conns)
	if conns.Connections == nil || len(conns.Connections) != 0 || !bytes.Contains(out, []byte(`"connections": []`)) {
		t.Errorf("empty connection table:\n%s", out)
	}
	for _, args := range [][]string{{"-L", "--stats"}, {"-L", "--rate", "--nosort"}} {
		if doc := decodeServices(t, e.list(t, args...)); len(doc.Services) != 0 {
			t.Errorf("%v: %+v", args, doc)
		}
	}
	// --json is for listings only.
	if st, out, errs := e.run(true, "-A", "-t", "10.0.0.1:80"); st != 2 || len(out) != 0 || !strings.Contains(errs, "--json applies only to listings") {
		t.Errorf("-A --json: status %d, stdout %q, stderr %q", st, out, errs)
	}
}

// failingDests fails the destination dump of the n-th service asked for,
// as when a service is deleted while the listing runs.
type failingDests struct {
	command.Kernel
	n int
}

func (f *failingDests) Destinations(k ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	if f.n--; f.n == 0 {
		return nil, unix.ESRCH
	}
	return f.Client.Destinations(k)
}

// TestJSONErrors checks failures: before any output nothing is written;
// after the document began it still ends as valid JSON, with "error".
// Statuses and messages are the text listing's.
func TestJSONErrors(t *testing.T) {
	e := newJSONEnv(t, "-A -t 10.0.0.1:80\n-A -t 10.0.0.2:80\n-a -t 10.0.0.2:80 -r 10.0.1.1 -m\n-A -t 10.0.0.3:80\n")

	e.r.Backend = &failingDests{Kernel: command.Kernel{Client: e.c}, n: 2}
	status, out, errs := e.run(true, "-Ln")
	var doc jsonlist.Services
	decodeDoc(t, out, &doc)
	if status != 1 || errs != "No such service\n" || doc.Error != "No such service" || len(doc.Services) != 1 || jsonKey(doc.Services[0]) != "tcp 10.0.0.1:80" {
		t.Errorf("a service lost during the listing: status %d, stderr %q, document %+v", status, errs, doc)
	}
	e.r.Backend = &failingDests{Kernel: command.Kernel{Client: e.c}, n: 1}
	status, out, errs = e.run(true, "-Ln", "-t", "10.0.0.2:80")
	if status != 1 || errs != "No such service\n" || len(out) != 0 {
		t.Errorf("one service lost during the listing: status %d, stdout %q, stderr %q", status, out, errs)
	}
	e.r.Backend = command.Kernel{Client: e.c}

	proc := func(text string, err error) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), err }
	}
	const header = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
	const row = "TCP 0A090001 C350 0A09000A 0050 0A090002 0050 ESTABLISHED     899\n"
	for _, tt := range []struct {
		name   string
		open   func() (io.ReadCloser, error)
		stderr string
		error  string // the document's error member; "" for no output at all
		rows   int
	}{
		{"unreadable", proc("", os.ErrNotExist), "cannot open file /proc/net/ip_vs_conn\n", "", 0},
		{"empty", proc("", nil), "unexpected input from /proc/net/ip_vs_conn\n", "", 0},
		{"blank line", proc(header+row+"  \n"+row, nil), "", "blank line in /proc/net/ip_vs_conn", 1},
	} {
		e.r.OpenConnections = tt.open
		status, out, errs := e.run(true, "-Lc")
		tstatus, _, terrs := e.run(false, "-Lc")
		if status != 1 || tstatus != 1 || errs != tt.stderr || terrs != tt.stderr {
			t.Errorf("%s: status %d (text %d), stderr %q (text %q), want 1 and %q", tt.name, status, tstatus, errs, terrs, tt.stderr)
		}
		if tt.error == "" {
			if len(out) != 0 {
				t.Errorf("%s: output %q", tt.name, out)
			}
			continue
		}
		var conns jsonlist.Connections
		decodeDoc(t, out, &conns)
		if conns.Error != tt.error || len(conns.Connections) != tt.rows {
			t.Errorf("%s: document %+v", tt.name, conns)
		}
	}
}

// bigCounters reports the kernel's table with counters beyond 32 bits.
type bigCounters struct{ command.Kernel }

var bigStats = ipvs.Stats{Connections: 1 << 40, PacketsIn: 1<<40 + 1, PacketsOut: 5_000_000_000, BytesIn: 1<<64 - 1, BytesOut: 1 << 63,
	CPS: 1 << 33, PPSIn: 1 << 34, PPSOut: 1 << 35, BPSIn: 1 << 53, BPSOut: 1<<53 + 1}

func (b bigCounters) Services() ([]ipvs.ServiceEntry, error) {
	s, err := b.Client.Services()
	for i := range s {
		s[i].Stats = bigStats
	}
	return s, err
}

func (b bigCounters) Destinations(k ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	d, err := b.Client.Destinations(k)
	for i := range d {
		d[i].Stats = bigStats
	}
	return d, err
}

// TestJSONCounters64 checks that 64-bit counters reach the document in
// full through the command layer.
func TestJSONCounters64(t *testing.T) {
	e := newJSONEnv(t, "-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.1.1 -m\n")
	e.r.Backend = bigCounters{command.Kernel{Client: e.c}}
	out := e.list(t, "-Ln", "--stats", "--rate")
	doc := decodeServices(t, out)
	wantStats := jsonlist.Stats{Conns: 1 << 40, InPkts: 1<<40 + 1, OutPkts: 5_000_000_000, InBytes: 1<<64 - 1, OutBytes: 1 << 63}
	wantRates := jsonlist.Rates{CPS: 1 << 33, InPPS: 1 << 34, OutPPS: 1 << 35, InBPS: 1 << 53, OutBPS: 1<<53 + 1}
	s := doc.Services[0]
	if *s.Stats != wantStats || *s.Rates != wantRates || *s.Destinations[0].Stats != wantStats || *s.Destinations[0].Rates != wantRates {
		t.Errorf("counters:\n%s", out)
	}
	if !bytes.Contains(out, []byte(`"in_bytes": 18446744073709551615`)) {
		t.Errorf("2^64-1 not printed in full:\n%s", out)
	}
}
