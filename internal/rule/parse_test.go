package rule

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// The expected messages and statuses below were produced by the real
// Debian 12 ipvsadm 1.31 binary; the differential corpus (testdata/diff,
// popt.cases and errors.cases) checks them against it in the VM.

// fakeResolver stands in for /etc/hosts and /etc/services.
type fakeResolver struct{}

var fakeHosts = map[string]netip.Addr{
	"localhost":      netip.MustParseAddr("127.0.0.1"),
	"web1":           netip.MustParseAddr("10.9.9.9"),
	"v6only.example": netip.MustParseAddr("2001:db8::99"),
}

var fakePorts = map[string]uint16{
	"http/tcp": 80, "www/tcp": 80, "ssh/tcp": 22, "http-alt/tcp": 8080,
	"https/tcp": 443, "http/udp": 80, "domain/udp": 53, "diameter/sctp": 3868,
}

func (fakeResolver) LookupHost(name string) (netip.Addr, error) {
	if a, ok := fakeHosts[name]; ok {
		return a, nil
	}
	return netip.Addr{}, errors.New("not found")
}

func (fakeResolver) LookupPort(name, proto string) (uint16, error) {
	if p, ok := fakePorts[name+"/"+proto]; ok {
		return p, nil
	}
	return 0, errors.New("not found")
}

var cmpOpts = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

func parse(args []string, posix bool) (*Command, error) {
	return Parse("ipvsadm", args, Options{Resolver: fakeResolver{}, PosixlyCorrect: posix})
}

// f splits a command line on blanks.
func f(s string) []string { return strings.Fields(s) }

var (
	v4 = netip.MustParseAddr
)

func tcp(addr string, port uint16) ipvs.ServiceKey {
	a := netip.MustParseAddr(addr)
	fam := ipvs.INET
	if a.Is6() {
		fam = ipvs.INET6
	}
	return ipvs.ServiceKey{Family: fam, Protocol: ipvs.TCP, Addr: a, Port: port}
}

func withProto(k ipvs.ServiceKey, p ipvs.Protocol) ipvs.ServiceKey { k.Protocol = p; return k }

func addSvc(k ipvs.ServiceKey, mod func(*ipvs.Service)) *Command {
	c := &Command{Kind: AddService, HasService: true}
	c.Service = ipvs.Service{ServiceKey: k, Scheduler: "wlc", Netmask: 0xffffffff}
	if k.Family == ipvs.INET6 {
		c.Service.Netmask = 128
	}
	if mod != nil {
		mod(&c.Service)
	}
	return c
}

func server(kind Kind, k ipvs.ServiceKey, addr string, port uint16, mod func(*ipvs.Destination)) *Command {
	c := &Command{Kind: kind, HasService: true, HasServer: true}
	c.Service = ipvs.Service{ServiceKey: k, Netmask: 0xffffffff}
	if k.Family == ipvs.INET6 {
		c.Service.Netmask = 128
	}
	a := netip.MustParseAddr(addr)
	fam := ipvs.INET
	if a.Is6() {
		fam = ipvs.INET6
	}
	c.Server = ipvs.Destination{Family: fam, Addr: a, Port: port, Method: ipvs.Route, Weight: 1}
	if mod != nil {
		mod(&c.Server)
	}
	return c
}

func persistent(t int) func(*ipvs.Service) {
	return func(s *ipvs.Service) {
		s.Flags |= ipvs.FlagPersistent
		s.Timeout = time.Duration(t) * time.Second
	}
}

type okCase struct {
	name  string
	args  []string
	posix bool
	want  *Command
}

func TestParseOK(t *testing.T) {
	fw := func(mark uint32, fam ipvs.Family) ipvs.ServiceKey { return ipvs.ServiceKey{Family: fam, FWMark: mark} }
	cases := []okCase{
		{"no arguments lists", nil, false, &Command{Kind: List}},
		{"list", f("-L"), false, &Command{Kind: List}},
		{"list lowercase", f("-l"), false, &Command{Kind: List}},
		{"list long", f("--list"), false, &Command{Kind: List}},
		{"cluster -Ln", f("-Ln"), false, &Command{Kind: List, List: ListOptions{Numeric: true}}},
		{"cluster -Lnc", f("-Lnc"), false, &Command{Kind: List, List: ListOptions{Numeric: true, Connection: true}}},
		{"cluster -LnX", f("-LnX"), false, &Command{Kind: List, List: ListOptions{Numeric: true, Exact: true}}},
		{"list syncid accepted", f("-L --syncid 5"), false, &Command{Kind: List}},
		{"list sort repeated", f("-L --sort --sort"), false, &Command{Kind: List}},
		{"flush sort", f("-C --sort"), false, &Command{Kind: Flush}},
		{"list options", f("-L --stats --rate --thresholds --persistent-conn --tun-info --nosort --exact -n"), false,
			&Command{Kind: List, List: ListOptions{Numeric: true, Stats: true, Rate: true, Thresholds: true, PersistentConn: true, TunInfo: true, NoSort: true, Exact: true}}},
		{"list conn persistent-conn allowed", f("-L -c --persistent-conn"), false, &Command{Kind: List, List: ListOptions{Connection: true, PersistentConn: true}}},
		{"list timeout", f("-L --timeout"), false, &Command{Kind: List, List: ListOptions{Timeout: true}}},
		{"list daemon", f("-L --daemon"), false, &Command{Kind: List, List: ListOptions{Daemon: true}}},
		{"list service", f("-Ln -f 100"), false, &Command{Kind: List, HasService: true, List: ListOptions{Numeric: true},
			Service: ipvs.Service{ServiceKey: fw(100, ipvs.INET), Netmask: 0xffffffff}}},
		{"list fwmark ipv6", f("-Ln -f 100 -6"), false, &Command{Kind: List, HasService: true, List: ListOptions{Numeric: true},
			Service: ipvs.Service{ServiceKey: fw(100, ipvs.INET6), Netmask: 128}}},
		{"save", f("-S"), false, &Command{Kind: Save}},
		{"save numeric", f("-Sn"), false, &Command{Kind: Save, List: ListOptions{Numeric: true}}},
		{"restore", f("-R"), false, &Command{Kind: Restore}},
		{"zero all", f("-Z"), false, &Command{Kind: Zero}},
		{"zero service", f("-Z -t 0.0.0.0:0"), false, &Command{Kind: Zero, HasService: true,
			Service: ipvs.Service{ServiceKey: tcp("0.0.0.0", 0), Netmask: 0xffffffff}}},
		{"help", f("-h"), false, &Command{Kind: Help}},
		{"help long", f("--help"), false, &Command{Kind: Help}},
		{"help then version", f("-hv"), false, &Command{Kind: Help}},
		{"version then help", f("-vh"), false, &Command{Kind: Version}},
		{"version ignores rest", f("-v --bogus"), false, &Command{Kind: Version}},
		{"version", f("--version"), false, &Command{Kind: Version}},

		{"add default scheduler", f("-A -t 10.0.0.1:80"), false, addSvc(tcp("10.0.0.1", 80), nil)},
		{"add long options", f("--add-service --tcp-service 10.0.0.1:80 --scheduler rr"), false,
			addSvc(tcp("10.0.0.1", 80), func(s *ipvs.Service) { s.Scheduler = "rr" })},
		{"long option with =", f("-A --tcp-service=10.0.0.1:80"), false, addSvc(tcp("10.0.0.1", 80), nil)},
		{"edit default scheduler", f("-E -t 10.0.0.1:80"), false, func() *Command {
			c := addSvc(tcp("10.0.0.1", 80), nil)
			c.Kind = EditService
			return c
		}()},
		{"empty scheduler is wlc", []string{"-A", "-t", "10.0.0.1:80", "-s", ""}, false, addSvc(tcp("10.0.0.1", 80), nil)},
		{"scheduler truncated to 15", f("-A -t 10.0.0.1:80 -s 1234567890123456789"), false,
			addSvc(tcp("10.0.0.1", 80), func(s *ipvs.Service) { s.Scheduler = "123456789012345" })},
		{"pe truncated to 16", f("-A -t 10.0.0.1:80 --pe 1234567890123456789"), false,
			addSvc(tcp("10.0.0.1", 80), func(s *ipvs.Service) { s.PE = "1234567890123456" })},
		{"cluster with attached value", f("-At10.0.0.1:80"), false, addSvc(tcp("10.0.0.1", 80), nil)},
		{"-p default 360", f("-A -t 10.0.0.1:443 -p"), false, addSvc(tcp("10.0.0.1", 443), persistent(360))},
		{"-p port 0", f("-A -t 10.0.0.1 -p"), false, addSvc(tcp("10.0.0.1", 0), persistent(360))},
		{"-p value and mask", f("-A -u 10.0.0.1:53 -p 60 -M 255.255.255.0"), false,
			addSvc(withProto(tcp("10.0.0.1", 53), ipvs.UDP), func(s *ipvs.Service) {
				persistent(60)(s)
				s.Netmask = 0xffffff00
			})},
		{"-p does not take a dash word", f("-A -t 10.0.0.1:80 -p -s rr"), false,
			addSvc(tcp("10.0.0.1", 80), func(s *ipvs.Service) { persistent(360)(s); s.Scheduler = "rr" })},
		{"-p attached", f("-A -t 10.0.0.1:80 -p300"), false, addSvc(tcp("10.0.0.1", 80), persistent(300))},
		{"-p= attached", f("-A -t 10.0.0.1:80 -p=300"), false, addSvc(tcp("10.0.0.1", 80), persistent(300))},
		{"--persistent=", f("-A -t 10.0.0.1:80 --persistent=300"), false, addSvc(tcp("10.0.0.1", 80), persistent(300))},
		{"--persistent next word", f("-A -t 10.0.0.1:80 --persistent 300"), false, addSvc(tcp("10.0.0.1", 80), persistent(300))},
		{"full service", f("-A -t 10.1.1.1:80 -s rr -p 100 -M 255.255.0.0 --pe sip -b flag-1"), false,
			addSvc(tcp("10.1.1.1", 80), func(s *ipvs.Service) {
				persistent(100)(s)
				s.Scheduler, s.PE, s.Netmask = "rr", "sip", 0xffff0000
				s.Flags |= ipvs.FlagSched1
			})},
		{"-M without -p", f("-A -t 1.2.3.4:80 -M 255.255.0.0"), false,
			addSvc(tcp("1.2.3.4", 80), func(s *ipvs.Service) { s.Netmask = 0xffff0000 })},
		{"-M 16 is 0.0.0.16", f("-A -t 1.2.3.5:80 -p -M 16"), false,
			addSvc(tcp("1.2.3.5", 80), func(s *ipvs.Service) { persistent(360)(s); s.Netmask = 16 })},
		{"-M host name", f("-A -t 1.2.3.5:80 -p -M localhost"), false,
			addSvc(tcp("1.2.3.5", 80), func(s *ipvs.Service) { persistent(360)(s); s.Netmask = 0x7f000001 })},
		{"-M ipv6 atoi", f("-A -t [::1]:82 -p -M 64abc"), false,
			addSvc(tcp("::1", 82), func(s *ipvs.Service) { persistent(360)(s); s.Netmask = 64 })},
		{"-M ipv6 atoi wraps at 32 bits", f("-A -t [::1]:82 -p -M 4294967360"), false,
			addSvc(tcp("::1", 82), func(s *ipvs.Service) { persistent(360)(s); s.Netmask = 64 })},
		{"-M before ipv6 service is reset", f("-A -M 64 -t [::1]:80 -p"), false, addSvc(tcp("::1", 80), persistent(360))},
		{"-M before ipv4 service kept", f("-A -M 255.0.0.0 -t 1.1.1.1:80"), false,
			addSvc(tcp("1.1.1.1", 80), func(s *ipvs.Service) { s.Netmask = 0xff000000 })},
		{"ipv6 service", f("-A -t [2001:db8::100]:443 -s wlc -p 100 -M 48"), false,
			addSvc(tcp("2001:db8::100", 443), func(s *ipvs.Service) { persistent(100)(s); s.Netmask = 48 })},
		{"fwmark ipv6", f("-A -f 7 -6 -p -M 64"), false,
			addSvc(fw(7, ipvs.INET6), func(s *ipvs.Service) { persistent(360)(s); s.Netmask = 64 })},
		{"fwmark repeated -6", f("-A -f 5 -6 -6"), false, addSvc(fw(5, ipvs.INET6), nil)},
		{"fwmark -6 resets mask", f("-A -f 5 -M 1.2.3.4 -6"), false, addSvc(fw(5, ipvs.INET6), nil)},
		{"fwmark max", f("-A -f 4294967295"), false, addSvc(fw(4294967295, ipvs.INET), nil)},
		{"fwmark 2^31", f("-A -f 2147483648 -6"), false, addSvc(fw(2147483648, ipvs.INET6), nil)},
		{"fwmark strtol forms", f("-A -f +010"), false, addSvc(fw(10, ipvs.INET), nil)},
		{"fwmark one-packet", f("-A -f 1 -o"), false, addSvc(fw(1, ipvs.INET), func(s *ipvs.Service) { s.Flags |= ipvs.FlagOnePacket })},
		{"udp one-packet", f("-A -u 1.2.3.4:53 -o"), false,
			addSvc(withProto(tcp("1.2.3.4", 53), ipvs.UDP), func(s *ipvs.Service) { s.Flags |= ipvs.FlagOnePacket })},
		{"sctp", f("-A --sctp-service 10.1.1.2:diameter -s mh -b mh-fallback,mh-port"), false,
			addSvc(withProto(tcp("10.1.1.2", 3868), ipvs.SCTP), func(s *ipvs.Service) {
				s.Scheduler = "mh"
				s.Flags |= ipvs.FlagSched1 | ipvs.FlagSched2
			})},
		{"pe without -p", f("-A -u 10.1.1.3:5060 -s rr --pe sip -o"), false,
			addSvc(withProto(tcp("10.1.1.3", 5060), ipvs.UDP), func(s *ipvs.Service) {
				s.Scheduler, s.PE = "rr", "sip"
				s.Flags |= ipvs.FlagOnePacket
			})},
		{"sched flag before scheduler", f("-A -t 1.2.3.4:2 -b flag-1 -s sh"), false,
			addSvc(tcp("1.2.3.4", 2), func(s *ipvs.Service) { s.Scheduler = "sh"; s.Flags |= ipvs.FlagSched1 })},
		{"sched flag-3 with sh", f("-A -t 1.2.3.4:3 -s sh -b flag-3"), false,
			addSvc(tcp("1.2.3.4", 3), func(s *ipvs.Service) { s.Scheduler = "sh"; s.Flags |= ipvs.FlagSched3 })},
		{"sched flags empty items", f("-A -t 1.2.3.4:5 -b flag-2,,flag-1"), false,
			addSvc(tcp("1.2.3.4", 5), func(s *ipvs.Service) { s.Flags |= ipvs.FlagSched1 | ipvs.FlagSched2 })},
		{"sched flags empty argument ignored", []string{"-A", "-t", "1.2.3.4:5", "-b", ""}, false, addSvc(tcp("1.2.3.4", 5), nil)},

		// Address forms (2.6).
		{"inet_aton octal", f("-A -t 010.0.0.1:80"), false, addSvc(tcp("8.0.0.1", 80), nil)},
		{"inet_aton two parts", f("-A -t 10.1:80"), false, addSvc(tcp("10.0.0.1", 80), nil)},
		{"inet_aton hex and port name", f("-A -t 0x7f000001:http"), false, addSvc(tcp("127.0.0.1", 80), nil)},
		{"inet_aton hex", f("-A -t 0x7f000001:80"), false, addSvc(tcp("127.0.0.1", 80), nil)},
		{"inet_aton one part", f("-A -t 16909060:80"), false, addSvc(tcp("1.2.3.4", 80), nil)},
		{"port with plus", f("-A -t 1.2.3.4:+81"), false, addSvc(tcp("1.2.3.4", 81), nil)},
		{"port with blank", []string{"-A", "-t", "1.2.3.4: 82"}, false, addSvc(tcp("1.2.3.4", 82), nil)},
		{"text after blank ignored", []string{"-A", "-t", "1.2.3.4 junk:83"}, false, addSvc(tcp("1.2.3.4", 83), nil)},
		{"host names", f("-A -t localhost:ssh"), false, addSvc(tcp("127.0.0.1", 22), nil)},
		{"bracket ipv4 drops port", f("-A -t [10.0.0.1]:80 -p"), false, addSvc(tcp("10.0.0.1", 0), persistent(360))},
		{"bracket name with port inside", f("-A -t [web1:81]:80"), false, addSvc(tcp("10.9.9.9", 81), nil)},
		{"bracket ipv6 port 0", f("-A -t [2001:db8::1]:0 -p"), false, addSvc(tcp("2001:db8::1", 0), persistent(360))},
		{"bare ipv6 takes the colon", f("-A -t ::1:80 -p"), false, addSvc(tcp("::1:80", 0), persistent(360))},
		{"ipv4-mapped ipv6", f("-A -t [::ffff:1.2.3.4]:80"), false, addSvc(tcp("::ffff:1.2.3.4", 80), nil)},
		{"udp name", f("-A -u 10.0.0.1:domain"), false, addSvc(withProto(tcp("10.0.0.1", 53), ipvs.UDP), nil)},

		// Servers (2.7).
		{"server default route weight 1 port copied", f("-a -t 10.0.0.1:80 -r 192.168.0.1"), false,
			server(AddServer, tcp("10.0.0.1", 80), "192.168.0.1", 80, nil)},
		{"route overwrites port", f("-a -t 10.0.0.1:80 -r 192.168.0.1:8080"), false,
			server(AddServer, tcp("10.0.0.1", 80), "192.168.0.1", 80, nil)},
		{"tunnel overwrites port", f("-a -t 10.0.0.1:80 -r 192.168.0.2:8080 -i"), false,
			server(AddServer, tcp("10.0.0.1", 80), "192.168.0.2", 80, func(d *ipvs.Destination) { d.Method = ipvs.Tunnel })},
		{"masq keeps port", f("-a -t 10.0.0.1:80 -r 192.168.0.2:8080 -m -w 3"), false,
			server(AddServer, tcp("10.0.0.1", 80), "192.168.0.2", 8080, func(d *ipvs.Destination) { d.Method = ipvs.Masquerade; d.Weight = 3 })},
		{"masq copies port", f("-a -t 10.0.0.1:80 -r 192.168.0.3 -m"), false,
			server(AddServer, tcp("10.0.0.1", 80), "192.168.0.3", 80, func(d *ipvs.Destination) { d.Method = ipvs.Masquerade })},
		{"-r before -t gets port 0", f("-a -r 10.0.0.4 -m -t 10.0.0.1:80"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.4", 0, func(d *ipvs.Destination) { d.Method = ipvs.Masquerade })},
		{"delete keeps typed port", f("-d -t 10.0.0.1:80 -r 192.168.0.1:8080"), false,
			server(DeleteServer, tcp("10.0.0.1", 80), "192.168.0.1", 8080, nil)},
		{"delete copies port", f("-d -t 10.0.0.1:80 -r 192.168.0.1"), false,
			server(DeleteServer, tcp("10.0.0.1", 80), "192.168.0.1", 80, nil)},
		{"edit is full replacement", f("-e -t 1.2.3.4:80 -r 10.0.0.1"), false,
			server(EditServer, tcp("1.2.3.4", 80), "10.0.0.1", 80, nil)},
		{"fwmark keeps typed port", f("-a -f 100 -r 192.168.1.30:99"), false,
			server(AddServer, ipvs.ServiceKey{Family: ipvs.INET, FWMark: 100}, "192.168.1.30", 99, nil)},
		{"fwmark server port 0", f("-a -f 100 -r 192.168.1.30"), false,
			server(AddServer, ipvs.ServiceKey{Family: ipvs.INET, FWMark: 100}, "192.168.1.30", 0, nil)},
		{"fwmark server port name is tcp", f("-a -f 100 -r 192.168.1.30:http -m"), false,
			server(AddServer, ipvs.ServiceKey{Family: ipvs.INET, FWMark: 100}, "192.168.1.30", 80, func(d *ipvs.Destination) { d.Method = ipvs.Masquerade })},
		{"fwmark ipv6 server", f("-a -f 7 -6 -r 2001:db8::12"), false, func() *Command {
			c := server(AddServer, ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 7}, "2001:db8::12", 0, nil)
			c.Service.Netmask = 128
			return c
		}()},
		{"ipv6 service ipv4 tunnel server", f("-a -t [2001:db8::100]:443 -r 192.168.1.50 -i"), false,
			server(AddServer, tcp("2001:db8::100", 443), "192.168.1.50", 443, func(d *ipvs.Destination) { d.Method = ipvs.Tunnel })},
		{"ipv6 masq server", f("-a -t [2001:db8::100]:443 -r [2001:db8::10]:8443 -m -w 7"), false,
			server(AddServer, tcp("2001:db8::100", 443), "2001:db8::10", 8443, func(d *ipvs.Destination) { d.Method = ipvs.Masquerade; d.Weight = 7 })},
		{"cluster -mw7", f("-a -t 10.0.0.1:80 -r10.0.0.2 -mw7"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.Method = ipvs.Masquerade; d.Weight = 7 })},
		{"-w=5", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -w=5"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.Weight = 5 })},
		{"weight max", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 2147483647"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.Weight = 2147483647 })},
		{"weight octal-looking is decimal", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -w 010"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.Weight = 10 })},
		{"weight -0", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -w -0"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.Weight = 0 })},
		{"weight leading blank", []string{"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-w", " 5"}, false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.Weight = 5 })},
		{"thresholds", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -x 20 -y 5"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) { d.UpperThreshold, d.LowerThreshold = 20, 5 })},
		{"tunnel gre", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gre --tun-csum"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) {
				d.Method, d.TunnelType, d.TunnelFlags = ipvs.Tunnel, ipvs.TunnelGRE, ipvs.TunnelChecksum
			})},
		{"tunnel gue", f("-a -t 10.0.0.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6081 --tun-remcsum"), false,
			server(AddServer, tcp("10.0.0.1", 80), "10.0.0.2", 80, func(d *ipvs.Destination) {
				d.Method, d.TunnelType, d.TunnelPort, d.TunnelFlags = ipvs.Tunnel, ipvs.TunnelGUE, 6081, ipvs.TunnelRemoteChecksum
			})},

		// --set and daemons.
		{"set", f("--set 0 60 0"), false, &Command{Kind: SetTimeouts, Timeouts: ipvs.Timeouts{TCPFin: 60 * time.Second}}},
		{"set leftovers before", f("5 6 7 --set"), false, &Command{Kind: SetTimeouts, Timeouts: ipvs.Timeouts{TCP: 5 * time.Second, TCPFin: 6 * time.Second, UDP: 7 * time.Second}}},
		{"set sort", f("--set 1 2 3 --sort"), false, &Command{Kind: SetTimeouts, Timeouts: ipvs.Timeouts{TCP: time.Second, TCPFin: 2 * time.Second, UDP: 3 * time.Second}}},
		{"start daemon default", f("--start-daemon master"), false, &Command{Kind: StartDaemon, Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "eth0"}}},
		{"start daemon =", f("--start-daemon=backup"), false, &Command{Kind: StartDaemon, Daemon: ipvs.Daemon{State: ipvs.Backup, Interface: "eth0"}}},
		{"start daemon empty interface", []string{"--start-daemon", "master", "--mcast-interface", ""}, false, &Command{Kind: StartDaemon, Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "eth0"}}},
		{"start daemon all", f("--start-daemon backup --mcast-interface lo --syncid 7 --sync-maxlen 1400 --mcast-group 239.1.1.1 --mcast-port 9000 --mcast-ttl 2"), false,
			&Command{Kind: StartDaemon, Daemon: ipvs.Daemon{State: ipvs.Backup, Interface: "lo", SyncID: 7, MaxLen: 1400, Group: v4("239.1.1.1"), Port: 9000, TTL: 2}}},
		{"start daemon ipv6 group", f("--start-daemon master --mcast-group ff02::1 --mcast-interface 1234567890123456789"), false,
			&Command{Kind: StartDaemon, Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "123456789012345", Group: v4("ff02::1")}}},
		{"stop daemon", f("--stop-daemon master --syncid 3"), false, &Command{Kind: StopDaemon, Daemon: ipvs.Daemon{State: ipvs.Master, SyncID: 3}}},

		// popt details.
		{"value expansion !#:+", f("-A -t 1.2.3.4:!#:+ 80"), false, addSvc(tcp("1.2.3.4", 80), nil)},
		{"value expansion at the end stays", f("-A -t 1.2.3.4:80 -s rr!#:+"), false,
			addSvc(tcp("1.2.3.4", 80), func(s *ipvs.Service) { s.Scheduler = "rr!#:+" })},
		{"NUL ends an argument", []string{"-A", "-t", "1.2.3.4:80\x00junk"}, false, addSvc(tcp("1.2.3.4", 80), nil)},
		{"posix leftovers after options ok", f("-L -n"), true, &Command{Kind: List, List: ListOptions{Numeric: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parse(tc.args, tc.posix)
			if err != nil {
				t.Fatalf("Parse(%q) failed: %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, got, cmpOpts); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

type errCase struct {
	args   []string
	posix  bool
	text   string
	status int
}

func TestParseErrors(t *testing.T) {
	const try = "Try `ipvsadm -h' or 'ipvsadm --help' for more information."
	e2 := func(args []string, text string) errCase { return errCase{args: args, text: text, status: 2} }
	e255 := func(args []string, text string) errCase { return errCase{args: args, text: text, status: 255} }
	cases := []errCase{
		// 2.1 rule 1: the first option must be a command.
		e255(f("-nL"), try),
		e255(f("-s rr -A -t 1.2.3.4:80"), try),
		e255(f("--add"), try),
		e255([]string{""}, try),
		e255(f("-V"), try),
		e255(f("-X"), try),
		e255(f("--help=1"), try),
		e255(f("--add --tcp-service 1.2.3.4:80"), try),
		e255(f("-t"), try),
		e255(f("--start-daemon"), try),
		e255(f("--bogus"), try),
		e255(f("foo"), try),
		e255(f("--"), try),
		e255(f("-- -L"), try),
		e255(f("--list-l"), try),
		{args: f("foo -L"), posix: true, text: try, status: 255},
		// rule 3: a later command letter.
		e2(f("-L -A"), "invalid option `-A'"),
		e2(f("--set 1 2 3 --set 4 5 6"), "invalid option `--set'"),
		e2(f("-L -h"), "invalid option `-h'"),
		e2(f("-L -v"), "invalid option `-v'"),
		e2(f("-LA"), "invalid option `-LA'"),
		e2(f("-L -nA"), "invalid option `-nA'"),
		e2(f("-L --start-daemon master"), "invalid option `master'"),
		e2(f("-L -R"), "invalid option `-R'"),
		// rule 7: popt errors after the command.
		e255(f("-L --bogus"), "--bogus: unknown option"),
		e255(f("-L --bogus=1"), "--bogus=1: unknown option"),
		e255(f("-Lz"), "-Lz: unknown option"),
		e255(f("-Lnz"), "-Lnz: unknown option"),
		e255(f("-Ln1"), "-Ln1: unknown option"),
		e255(f("-L --list-l"), "--list-l: unknown option"),
		e255(f("-L --add"), "--add: unknown option"),
		e255(f("-A -p -1 -t 1.2.3.4:80"), "-1: unknown option"),
		e255(f("-A -t"), "-t: missing argument"),
		e255(f("-At"), "-At: missing argument"),
		e255(f("-A --tcp-service"), "--tcp-service: missing argument"),
		e255(f("-A -t 1.2.3.4:80 --sched-flags"), "--sched-flags: missing argument"),
		e255(f("-L --stop-daemon"), "--stop-daemon: missing argument"),
		e255(f("-L --numeric=1"), "--numeric=1: option does not take an argument"),
		e255(f("-L -n=1"), "-n=1: option does not take an argument"),
		e255(f("-Ln="), "-Ln=: option does not take an argument"),
		e255(f("-L -n -n=1"), "-n=1: option does not take an argument"),
		// rule 8: leftovers.
		e2(f("-L -"), "unexpected argument -"),
		e2([]string{"-L", ""}, "unexpected argument "),
		e2(f("-A -t 1.2.3.4:80 -- -s rr"), "unexpected argument -s"),
		e2(f("foo -L"), "unexpected argument foo"),
		e2(f("-L foo bar"), "unexpected argument foo"),
		// rule 9: POSIXLY_CORRECT.
		{args: f("--set 10 20 30 -n"), posix: true, text: "unexpected argument -n", status: 2},
		e2(f("--set 10 20 30 -n"), "Illegal 'numeric' option with the 'set' command"),
		// rule 10: order.
		e2(f("-A -t 1.2.3.4:80 -w abc -w 5"), "illegal weight specified"),
		e2(f("-A -t 1.2.3.4:80 -w 5 -w abc"), "multiple 'weight' options specified"),
		e2(f("-A -t 1.2.3.4:80 -6"), "-6 used before -f\n"),
		e2(f("-A -6 -f 5"), "-6 used before -f\n"),
		e2(f("-a -r 10.0.0.4:http -t 10.0.0.1:80"), "illegal real server address[:port] specified"),
		// rule 11: repeats.
		e2(f("-L -n -n"), "multiple 'numeric' options specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -m -g"), "multiple 'forwarding-method' options specified"),
		e2(f("-a -t 1.2.3.4:80 -u 1.2.3.4:80 -r 10.0.0.1"), "multiple 'service-address' options specified"),
		e2(f("-A -f 1 -t 1.2.3.4:80"), "multiple 'service-address' options specified"),
		e2(f("-A -t 1.2.3.4:80 -b flag-1 -b flag-2"), "multiple 'sched-flags' options specified"),
		// 2.2 daemons.
		e2(f("--start-daemon primary"), "illegal start-daemon parameter specified"),
		e2(f("--start-daemon -x"), "illegal start-daemon parameter specified"),
		e2(f("--stop-daemon primary"), "illegal start_daemon specified"),
		// 2.3 values.
		e2(f("-A -t 1.2.3.4:80 -p rr"), "invalid timeout value `rr' specified"),
		e2(f("-A -t 1.2.3.4:80 -p="), "invalid timeout value `' specified"),
		e2(f("-A -t 1.2.3.4:80 --persistent="), "invalid timeout value `' specified"),
		e2([]string{"-A", "-t", "1.2.3.4:80", "-p", ""}, "invalid timeout value `' specified"),
		e2(f("-A -t 1.2.3.4:80 -p 0"), "invalid timeout value `0' specified"),
		e2(f("-A -t 1.2.3.4:80 -p 2678401"), "invalid timeout value `2678401' specified"),
		e2(f("-A -f 0"), "invalid fwmark value `0' specified"),
		e2(f("-A -f -1"), "invalid fwmark value `-1' specified"),
		e2(f("-A -f 4294967296"), "invalid fwmark value `4294967296' specified"),
		e2(f("-A -f -2147483648"), "invalid fwmark value `-2147483648' specified"),
		e2(f("-A -f 0x10"), "invalid fwmark value `0x10' specified"),
		e2(f("-A -f -0"), "invalid fwmark value `-0' specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -w 2147483648"), "illegal weight specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -w -1"), "illegal weight specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -w 0x10"), "illegal weight specified"),
		e2([]string{"-a", "-t", "1.2.3.4:80", "-r", "10.0.0.1", "-w", "5 "}, "illegal weight specified"),
		e2([]string{"-a", "-t", "1.2.3.4:80", "-r", "10.0.0.1", "-w", ""}, "illegal weight specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -w 99999999999999999999"), "illegal weight specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -x 2147483648"), "illegal u_threshold specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -y abc"), "illegal l_threshold specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type vxlan"), "illegal tunnel type specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-port 65536"), "illegal tunnel port specified"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-port 0"), "illegal tunnel port specified"),
		e2(f("--start-daemon master --syncid 256"), "illegal syncid specified"),
		e2(f("--start-daemon master --sync-maxlen 65508"), "illegal sync-maxlen specified"),
		e2(f("--start-daemon master --sync-maxlen 0"), "illegal sync-maxlen specified"),
		e2(f("--start-daemon master --mcast-port 0"), "illegal mcast-port specified"),
		e2(f("--start-daemon master --mcast-ttl 256"), "illegal mcast-ttl specified"),
		e2(f("--start-daemon master --mcast-group 10.0.0.1"), "invalid IPv4 mcast-group `10.0.0.1'"),
		e2(f("--start-daemon master --mcast-group 224.0.0.01"), "invalid IPv4 mcast-group `224.0.0.01'"),
		e2(f("--start-daemon master --mcast-group 2001:db8::1"), "invalid IPv6 mcast-group `2001:db8::1'"),
		// 2.6 addresses.
		e2(f("-A -t 12345"), "illegal virtual server address[:port] specified"),
		e2([]string{"-A", "-t", ""}, "illegal virtual server address[:port] specified"),
		e2(f("-A -t [2001:db8::1]"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t [2001:db8::1]x80"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t [2001:db8::1"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t 1.2.3.4:"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t 1.2.3.4:65536"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t 1.2.3.4:-1"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t 1.2.3.4:80x"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t 1.2.3.256:80"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t 09.1.1.1:80"), "illegal virtual server address[:port] specified"),
		e2(f(`-A -t "1.1.1.2:80"`), "illegal virtual server address[:port] specified"),
		e2(f("-A -u 10.0.0.1:http-alt"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t v6only.example:80"), "illegal virtual server address[:port] specified"),
		e2(f("-A -t nosuchhost:80"), "illegal virtual server address[:port] specified"),
		e2(f("-a -t [2001:db8::100]:443 -r [2001:db8::11] -m"), "illegal real server address[:port] specified"),
		// 2.7, 2.11 servers and tunnels.
		e2(f("-a -t [2001:db8::100]:443 -r 192.168.1.51 -m"), "Different address family is allowed only for tunneling servers"),
		e2(f("-a -f 1 -r 2001:db8::1"), "Different address family is allowed only for tunneling servers"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 --tun-type gre"), "Tunnel options conflict with forward method"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -m --tun-csum"), "Tunnel options conflict with forward method"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue"), "You need to supply the 'tun-port' option for the 'gue' tunnel type"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gre --tun-port 1"), "Illegal 'tun-port' option with the 'gre' tunnel type"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gre --tun-remcsum"), "Illegal 'tun-remcsum' option with the 'gre' tunnel type"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue --tun-port 6080 --tun-csum --tun-nocsum"),
			"The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-type gue --tun-port 6080 --tun-remcsum --tun-csum"),
			"The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-csum"), "Illegal 'tun-csum' option with the 'ipip' tunnel type"),
		e2(f("-a -t 1.2.3.4:80 -r 10.0.0.1 -i --tun-port 5"), "Illegal 'tun-port' option with the 'ipip' tunnel type"),
		// 2.8 netmask.
		e2(f("-A -t [::1]:81 -p -M 255.255.255.0"), "illegal ipv6 netmask specified"),
		e2(f("-A -t [::1]:81 -p -M abc"), "illegal ipv6 netmask specified"),
		e2(f("-A -t [::1]:81 -p -M 129"), "illegal ipv6 netmask specified"),
		e2(f("-A -t 1.2.3.4:81 -p -M nosuchhost"), "illegal virtual server persistent mask specified"),
		// 2.9 scheduler flags.
		e2(f("-A -t 1.2.3.4:1 -b sh-port"), "incompatible scheduler flag `sh-port'"),
		e2(f("-A -t 1.2.3.4:1 -s sh -b sh-port,mh-port"), "incompatible scheduler flag `mh-port'"),
		e2(f("-A -t 1.2.3.4:6 -b foo"), "invalid scheduler flag `foo'"),
		e2(f("-A -t 1.2.3.4:6 -b flag-1,foo,sh-port"), "invalid scheduler flag `foo'"),
		e2(f("-L -b foo"), "invalid scheduler flag `foo'"),
		e2(f("-A -t 1.2.3.4:0 -b foo"), "invalid scheduler flag `foo'"),
		e2(f("-A -t 1.2.3.4:6 -b ,"), "invalid scheduler flag `,'"), // the original crashes
		e2(f("-A -t 1.2.3.4:6 -b ,,,"), "invalid scheduler flag `,,,'"),
		// 2.4 table walk.
		e2(f("-A"), "You need to supply the 'service-address' option for the 'add-service' command"),
		e2(f("-a -w 5"), "You need to supply the 'service-address' option for the 'add-server' command"),
		e2(f("-a -n"), "Illegal 'numeric' option with the 'add-server' command"),
		e2(f("-a -t 1.2.3.4:80"), "You need to supply the 'real-server' option for the 'add-server' command"),
		e2(f("-d -t 1.2.3.4:80 -r 10.0.0.1 -w 2"), "Illegal 'weight' option with the 'delete-server' command"),
		e2(f("-C -n"), "Illegal 'numeric' option with the 'flush' command"),
		e2(f("-S -t 1.2.3.4:80"), "Illegal 'service-address' option with the 'save' command"),
		e2(f("-S --nosort"), "Illegal 'nosort' option with the 'save' command"),
		e2(f("-A -t 1.2.3.4:80 -w 5"), "Illegal 'weight' option with the 'add-service' command"),
		e2(f("-D -t 1.2.3.4:80 -s rr"), "Illegal 'scheduler' option with the 'delete-service' command"),
		e2(f("-R -n"), "Illegal 'numeric' option with the 'restore' command"),
		e2(f("-Z -n"), "Illegal 'numeric' option with the 'zero' command"),
		e2(f("--stop-daemon backup --mcast-interface lo"), "Illegal 'mcast-interface' option with the 'stop-daemon' command"),
		e2(f("--start-daemon master -n"), "Illegal 'numeric' option with the 'start-daemon' command"),
		e2(f("-L -c --timeout"), "The option 'timeout' conflicts with the 'connection' option in the 'list' command"),
		e2(f("-L -t 1.2.3.4:80 -c"), "The option 'service-address' conflicts with the 'connection' option in the 'list' command"),
		e2(f("-L --timeout --daemon"), "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"),
		e2(f("-L -c --stats"), "options conflicts in the list command"),
		e2(f("-L --daemon --persistent-conn"), "options conflicts in the list command"),
		e2(f("-L --timeout --rate"), "options conflicts in the list command"),
		e2(f("-L -s rr"), "Illegal 'scheduler' option with the 'list' command"),
		// 2.12 service checks.
		e2(f("-A -t 10.0.0.1"), "Zero port specified for non-persistent service"),
		e2(f("-A -t 10.0.0.1:0"), "Zero port specified for non-persistent service"),
		e2(f("-A -t [10.0.0.1]:80"), "Zero port specified for non-persistent service"),
		e2(f("-A -t 2001:db8::1:80"), "Zero port specified for non-persistent service"),
		e2(f("-E -t 10.0.0.1"), "Zero port specified for non-persistent service"),
		e2(f("-A -t 1.2.3.4:80 -o"), "One-Packet Scheduling is only for UDP virtual services"),
		e2(f("-A --sctp-service 1.2.3.4:80 -o"), "One-Packet Scheduling is only for UDP virtual services"),
		// 2.14 --set.
		e2(f("--set 2678401 0 0"), "invalid timeout value `2678401' specified"),
		e2(f("--set 1 x 3"), "invalid timeout value `x' specified"),
		e2(f("--set 1 2"), "--set option requires 3 timeout values"),
		e2(f("--set"), "--set option requires 3 timeout values"),
		e2(f("--set 1 2 3 4"), "unexpected argument 4"),
		e255(f("--set 1 2 -1"), "-1: unknown option"),
		// 2.15 order: -b before the table, table before the port checks.
		e2(f("-A -b foo -w 1"), "invalid scheduler flag `foo'"),
		e2(f("-A -t 1.2.3.4:0 -w 1"), "Illegal 'weight' option with the 'add-service' command"),
		e2(f("-a -t 1.2.3.4:80 -r 2001:db8::1 --tun-type gre"), "Different address family is allowed only for tunneling servers"),
		e2(f("--set 1 2 3 foo -b bar"), "unexpected argument foo"),
		// 4.2 restore lines.
		e255(f("# saved"), try),
		e2(f("-A -t 1.1.1.1:80 # comment"), "unexpected argument #"),
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.args), func(t *testing.T) {
			got, err := parse(tc.args, tc.posix)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tc.args, got, tc.text)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T is not *Error", tc.args, err)
			}
			if e.Text != tc.text || e.ExitStatus() != tc.status {
				t.Errorf("Parse(%q) = %q (status %d), want %q (status %d)", tc.args, e.Text, e.ExitStatus(), tc.text, tc.status)
			}
			wantClass := Fail
			switch {
			case tc.text == try:
				wantClass = TryHelp
			case tc.status == 255:
				wantClass = OptionError
			}
			if e.Class != wantClass {
				t.Errorf("Parse(%q) class = %v, want %v", tc.args, e.Class, wantClass)
			}
		})
	}
}

func TestErrorContract(t *testing.T) {
	_, err := parse(f("-A -6 -f 5"), false)
	e := err.(*Error)
	if got, want := e.Stderr(), "-6 used before -f\n\n"; got != want {
		t.Errorf("Stderr() = %q, want %q (extra empty line)", got, want)
	}
	_, err = parse(f("-L -A"), false)
	if e := err.(*Error); e.Stderr() != "invalid option `-A'\n" || !e.StopsRestore() || e.ExitStatus() != 2 {
		t.Errorf("fail error: %q stops=%v status=%d", e.Stderr(), e.StopsRestore(), e.ExitStatus())
	}
	_, err = parse(f("-A -t"), false)
	if e := err.(*Error); e.StopsRestore() || e.ExitStatus() != 255 {
		t.Errorf("popt error: stops=%v status=%d, want false 255", e.StopsRestore(), e.ExitStatus())
	}
	_, err = Parse("/opt/x/lvsadm", f("-X"), Options{})
	if e := err.(*Error); e.Text != "Try `/opt/x/lvsadm -h' or '/opt/x/lvsadm --help' for more information." || !e.StopsRestore() || e.ExitStatus() != 255 {
		t.Errorf("try error: %q stops=%v status=%d", e.Text, e.StopsRestore(), e.ExitStatus())
	}
}

func TestUsage(t *testing.T) {
	u := Usage("ipvsadm")
	if len(u) != 4645 {
		t.Errorf("len(Usage(\"ipvsadm\")) = %d, want 4645", len(u))
	}
	if !strings.HasPrefix(u, VersionLine+"Usage:\n  ipvsadm -A|E virtual-service") {
		t.Errorf("Usage starts %q", u[:120])
	}
	if !strings.Contains(u, "comma-separated)\nDaemon Options:\n") {
		t.Error("Usage: no blank line expected before Daemon Options")
	}
	if got := Usage("/usr/sbin/ipvsadm"); len(got) != 4645+13*len("/usr/sbin/") || !strings.Contains(got, "  /usr/sbin/ipvsadm -h\n\n") {
		t.Errorf("Usage(/usr/sbin/ipvsadm) has the wrong program name substitution")
	}
	if VersionLine != "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n" {
		t.Errorf("VersionLine = %q", VersionLine)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{AddService: "add-service", Flush: "flush", SetTimeouts: "set", StopDaemon: "stop-daemon", Help: "help", 0: "none"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

func TestPflagHoldsValues(t *testing.T) {
	// The FlagSet is the option table: every option is a flag, looked up by
	// its long or short name, whose value hands what it is set to to the
	// parser.
	p := &parser{}
	fs := newFlagSet(&binding{p})
	if fs.Lookup("tcp-service") == nil || fs.ShorthandLookup("t") != fs.Lookup("tcp-service") {
		t.Fatal("tcp-service not defined as -t/--tcp-service")
	}
	if err := fs.Set("weight", "7"); err != nil || p.dest.Weight != 7 {
		t.Errorf("Set weight: err=%v weight=%d", err, p.dest.Weight)
	}
	p.options = 0 // forget -w, to see the value check
	err := fs.Set("weight", "x")
	var e *Error
	if !errors.As(err, &e) || e.Text != "illegal weight specified" {
		t.Errorf("Set weight x: %v", err)
	}
	if n := len(optTable); n != 58 {
		t.Errorf("option table has %d entries", n)
	}
}

// TestObeysRow: the quick test of a command's row agrees with the walk
// that finds its first violation, for every command and many option sets
// (every single option, every pair, and random sets).
func TestObeysRow(t *testing.T) {
	var sets []uint64
	for i := range numOpts {
		for j := range numOpts {
			sets = append(sets, 1<<i|1<<j)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		sets = append(sets, rnd.Uint64()&(1<<numOpts-1)&rnd.Uint64()&rnd.Uint64()) // sparse, like real lines
	}
	sets = append(sets, 0, 1<<numOpts-1)
	for k, row := range commandOptions {
		if row == "" {
			continue
		}
		for _, set := range sets {
			p := &parser{cmd: Kind(k), options: set}
			if obeys, err := p.obeysRow(), p.rowViolation(); obeys != (err == nil) {
				t.Fatalf("%v with options %#x: obeysRow %v, rowViolation %v", Kind(k), set, obeys, err)
			}
		}
	}
}

// TestCommandSharesNoArgument: the strings a Command keeps are copies, not
// parts of the arguments (whose memory a restore's Reader shares between
// lines), with one Parser line after line as with Parse.
func TestCommandSharesNoArgument(t *testing.T) {
	text := "-A -t 1.1.1.1:80 -s wlc --pe sip -p|--start-daemon master --mcast-interface eth1|-E -t 1.1.1.1:80 -s wlc"
	within := func(s string) bool {
		start := uintptr(unsafe.Pointer(unsafe.StringData(text)))
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return s != "" && p >= start && p < start+uintptr(len(text))
	}
	var ps Parser
	for _, line := range strings.Split(text, "|") {
		for _, c := range []func() (*Command, error){
			func() (*Command, error) { return ps.Parse("ipvsadm", strings.Fields(line), Options{}) },
			func() (*Command, error) { return Parse("ipvsadm", strings.Fields(line), Options{}) },
		} {
			c, err := c()
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			for _, s := range []string{c.Service.Scheduler, c.Service.PE, c.Daemon.Interface} {
				if within(s) {
					t.Errorf("%s: the Command keeps %q of the arguments", line, s)
				}
			}
		}
	}
}
