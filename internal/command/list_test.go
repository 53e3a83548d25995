package command

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/jsonlist"
	"github.com/ipvsadm-go/ipvsadm/internal/names"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"golang.org/x/sys/unix"
)

// markBackend holds an IPv4 and an IPv6 service with the same firewall
// mark, each with one server, and counts destination dumps.
type markBackend struct {
	Backend
	dumps int
}

func (markBackend) Services() ([]ipvs.ServiceEntry, error) {
	return []ipvs.ServiceEntry{
		{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, FWMark: 24}, Scheduler: "lc", Netmask: 0xffffffff}},
		{Service: ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 24}, Scheduler: "lc", Netmask: 128}},
	}, nil
}

func (b *markBackend) Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	b.dumps++
	d := ipvs.Destination{Family: ipvs.INET, Addr: netip.MustParseAddr("172.17.0.1"), Port: 80, Method: ipvs.Masquerade, Weight: 1}
	if key.Family == ipvs.INET6 {
		d = ipvs.Destination{Family: ipvs.INET6, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80, Method: ipvs.Route, Weight: 2}
	}
	return []ipvs.DestinationEntry{{Destination: d}}, nil
}

// missedMarkText is /proc/net/ip_vs as a read racing with changes in another
// namespace can give it for markBackend's table: the IPv6 service with mark
// 24 skipped, so the mark appears once. (Lines as the 6.1 kernel prints
// them; see internal/proctable's test for a captured text.)
const missedMarkText = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
FWM  00000018 lc 
  -> AC110001:0050      Masq    1      0          0         
`

// TestProcTableSharedMarkUsesDumps: when the service dump shows a mark
// used by both families, the listing and the save take those services'
// servers from dumps, even if /proc listed the mark only once.
func TestProcTableSharedMarkUsesDumps(t *testing.T) {
	for _, args := range [][]string{{"-Ln"}, {"-Sn"}} {
		b := &markBackend{}
		var stdout, stderr bytes.Buffer
		r := &Runner{Backend: b, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm",
			OpenTable: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(missedMarkText)), nil }}
		if st := r.Main(args); st != 0 || stderr.Len() != 0 {
			t.Fatalf("%v: status %d, stderr %q", args, st, stderr.String())
		}
		out := stdout.String()
		if !strings.Contains(out, "2001:db8::1") {
			t.Errorf("%v: the IPv6 service lost its server:\n%s", args, out)
		}
		if n := strings.Count(out, "172.17.0.1"); n != 1 {
			t.Errorf("%v: the IPv4 server listed %d times, want once:\n%s", args, n, out)
		}
		if b.dumps != 2 {
			t.Errorf("%v: %d destination dumps, want 2 (both services of the shared mark)", args, b.dumps)
		}
	}
}

// service is a virtual service as the kernel reports one added with
// "-A <proto> <addr:port>" (or "-A -f <mark>" for proto 0) and nothing
// else: wlc, not persistent.
func service(proto ipvs.Protocol, addrPort string, mark uint32) render.Service {
	s := ipvs.Service{Scheduler: "wlc", Flags: ipvs.FlagHashed, Netmask: 0xffffffff}
	if mark != 0 {
		s.Family, s.FWMark = ipvs.INET, mark
		return render.Service{ServiceEntry: ipvs.ServiceEntry{Service: s}}
	}
	ap := netip.MustParseAddrPort(addrPort)
	s.Family, s.Protocol, s.Addr, s.Port = ipvs.INET, proto, ap.Addr(), ap.Port()
	if ap.Addr().Is6() {
		s.Family, s.Netmask = ipvs.INET6, 128
	}
	return render.Service{ServiceEntry: ipvs.ServiceEntry{Service: s}}
}

func tcpService(addrPort string) render.Service { return service(ipvs.TCP, addrPort, 0) }

// persistent makes s persistent for timeout seconds with mask.
func persistent(s render.Service, timeout int, mask uint32) render.Service {
	s.Flags |= ipvs.FlagPersistent
	s.Timeout, s.Netmask = time.Duration(timeout)*time.Second, mask
	return s
}

// server is a real server as the kernel reports it.
func server(addrPort string, m ipvs.ForwardMethod, weight uint32) ipvs.DestinationEntry {
	ap := netip.MustParseAddrPort(addrPort)
	fam := ipvs.INET
	if ap.Addr().Is6() {
		fam = ipvs.INET6
	}
	return ipvs.DestinationEntry{Destination: ipvs.Destination{Family: fam, Addr: ap.Addr(), Port: ap.Port(), Method: m, Weight: weight}}
}

// tunnelServer is a tunnelling real server.
func tunnelServer(addrPort string, t ipvs.TunnelType, port uint16, f ipvs.TunnelFlags) ipvs.DestinationEntry {
	d := server(addrPort, ipvs.Tunnel, 1)
	d.TunnelType, d.TunnelPort, d.TunnelFlags = t, port, f
	return d
}

// TestListing runs listings of whole tables through the listing code of
// production (the dumps, the sorting and the lines of each service). Every
// expected text is output of the real ipvsadm 1.31 (Debian 12), with the
// same table; the case numbers are those of the listing corpus
// (testdata/diff), which checks the same formats against it in the VM.
func TestListing(t *testing.T) {
	const (
		version      = "IP Virtual Server version 1.2.1 (size=4096)\n"
		titleDefault = "Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
		titleTun = "Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
	)
	lines := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	dir := t.TempDir()
	hosts, services := filepath.Join(dir, "hosts"), filepath.Join(dir, "services")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(services, []byte("ssh 22/tcp\nhttp 80/tcp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	localhost := names.New(hosts, services, nil)
	with := func(s render.Service, ds ...ipvs.DestinationEntry) render.Service {
		s.Destinations = ds
		return s
	}
	sched := func(s render.Service, name string, flags ipvs.ServiceFlags) render.Service {
		s.Scheduler, s.Flags = name, s.Flags|flags
		return s
	}
	tests := []struct {
		name     string
		args     []string
		services []render.Service
		names    Names
		want     string
	}{
		{
			name: "empty table",
			args: []string{"-Ln"},
			want: version + titleDefault,
		},
		{
			name: "case 1: -Ln",
			args: []string{"-Ln"},
			services: []render.Service{with(tcpService("10.0.0.1:80"),
				server("192.168.0.2:8080", ipvs.Masquerade, 3),
				server("192.168.0.1:80", ipvs.Route, 1))},
			want: version + titleDefault + lines(
				"TCP  10.0.0.1:80 wlc",
				"  -> 192.168.0.1:80               Route   1      0          0         ",
				"  -> 192.168.0.2:8080             Masq    3      0          0         "),
		},
		{
			name: "case 3: persistence and port 0",
			args: []string{"-Ln"},
			services: []render.Service{
				persistent(service(ipvs.UDP, "10.0.0.1:53", 0), 60, 0xffffff00),
				persistent(tcpService("10.0.0.1:443"), 360, 0xffffffff),
				persistent(tcpService("10.0.0.1:0"), 360, 0xffffffff),
			},
			want: version + titleDefault + lines(
				"TCP  10.0.0.1:0 wlc persistent 360",
				"TCP  10.0.0.1:443 wlc persistent 360",
				"UDP  10.0.0.1:53 wlc persistent 60 mask 255.255.255.0"),
		},
		{
			name: "case 9: sort order",
			args: []string{"-Ln"},
			services: []render.Service{
				tcpService("1.1.1.1:80"), tcpService("10.0.0.1:80"), tcpService("192.168.0.1:80"),
				service(0, "", 4294967295), service(0, "", 1), service(ipvs.UDP, "1.1.1.1:80", 0), tcpService("[::1]:80"),
			},
			want: version + titleDefault + lines(
				"FWM  -1 wlc",
				"TCP  192.168.0.1:80 wlc",
				"TCP  1.1.1.1:80 wlc",
				"TCP  10.0.0.1:80 wlc",
				"UDP  1.1.1.1:80 wlc",
				"TCP  [::1]:80 wlc",
				"FWM  1 wlc"),
		},
		{
			name: "case 10: scheduler flags",
			args: []string{"-Ln"},
			services: []render.Service{
				sched(tcpService("1.2.3.4:2"), "sh", ipvs.FlagSched1),
				sched(tcpService("1.2.3.4:3"), "sh", ipvs.FlagSched3),
				sched(tcpService("1.2.3.4:4"), "mh", ipvs.FlagSched2|ipvs.FlagSched1),
				sched(tcpService("1.2.3.4:5"), "wlc", ipvs.FlagSched2|ipvs.FlagSched1),
			},
			want: version + titleDefault + lines(
				"TCP  1.2.3.4:2 sh (sh-fallback)",
				"TCP  1.2.3.4:3 sh ()",
				"TCP  1.2.3.4:4 mh (mh-fallback,mh-port)",
				"TCP  1.2.3.4:5 wlc (flag-1,flag-2)"),
		},
		{
			name: "case 11: --tun-info",
			args: []string{"-Ln", "--tun-info"},
			services: []render.Service{with(tcpService("10.0.0.1:80"),
				tunnelServer("192.168.0.1:80", ipvs.TunnelIPIP, 0, 0),
				tunnelServer("192.168.0.2:80", ipvs.TunnelGRE, 0, ipvs.TunnelNoChecksum),
				tunnelServer("192.168.0.3:80", ipvs.TunnelGRE, 0, ipvs.TunnelChecksum),
				tunnelServer("192.168.0.4:80", ipvs.TunnelGUE, 6080, ipvs.TunnelNoChecksum),
				tunnelServer("192.168.0.5:80", ipvs.TunnelGUE, 6081, ipvs.TunnelRemoteChecksum),
				server("192.168.0.6:80", ipvs.Masquerade, 1))},
			want: version + titleTun + lines(
				"TCP  10.0.0.1:80 wlc",
				"  -> 192.168.0.1:80               Tunnel  ipip          1      0          0         ",
				"  -> 192.168.0.2:80               Tunnel  gre:-c        1      0          0         ",
				"  -> 192.168.0.3:80               Tunnel  gre:+c        1      0          0         ",
				"  -> 192.168.0.4:80               Tunnel  gue:6080:-c   1      0          0         ",
				"  -> 192.168.0.5:80               Tunnel  gue:6081:r+c  1      0          0         ",
				"  -> 192.168.0.6:80               Masq    n/a           1      0          0         "),
		},
		{
			name: "case 13: IPv6 and mixed-family tunnel server",
			args: []string{"-Ln"},
			services: []render.Service{
				with(persistent(func() render.Service {
					s := service(0, "", 7)
					s.Family = ipvs.INET6
					return s
				}(), 360, 64), server("[2001:db8::12]:0", ipvs.Route, 1)),
				with(persistent(tcpService("[2001:db8::100]:443"), 100, 48),
					server("[2001:db8::10]:8443", ipvs.Masquerade, 7),
					server("192.168.1.50:443", ipvs.Tunnel, 1)),
			},
			want: version + titleDefault + lines(
				"TCP  [2001:db8::100]:443 wlc persistent 100 mask 48",
				"  -> 192.168.1.50:443             Tunnel  1      0          0         ",
				"  -> [2001:db8::10]:8443          Masq    7      0          0         ",
				"FWM  7 IPv6 wlc persistent 360 mask 64",
				"  -> [2001:db8::12]:0             Route   1      0          0         "),
		},
		{
			name: "case 14: one service, no version line; fwmark server ports stay numeric",
			args: []string{"-L", "-f", "100"},
			services: []render.Service{
				tcpService("127.0.0.1:22"),
				with(persistent(sched(service(0, "", 100), "lc", 0), 1800, 0xffffff00),
					server("192.168.1.30:0", ipvs.Route, 1))},
			names: localhost,
			want: titleDefault + lines(
				"FWM  100 lc persistent 1800 mask 255.255.255.0",
				"  -> 192.168.1.30:0               Route   1      0          0         "),
		},
		{
			name: "case 22, 29: ops; pe only when persistent",
			args: []string{"-Ln"},
			services: []render.Service{
				func() render.Service {
					s := sched(service(ipvs.UDP, "10.1.1.3:5060", 0), "rr", ipvs.FlagOnePacket)
					s.PE = "sip"
					return s
				}(),
				persistent(sched(service(ipvs.UDP, "10.1.1.4:53", 0), "wrr", 0), 360, 0xffffffff),
				sched(service(0, "", 1), "wlc", ipvs.FlagOnePacket),
			},
			want: version + titleDefault + lines(
				"UDP  10.1.1.3:5060 rr ops",
				"UDP  10.1.1.4:53 wrr persistent 360",
				"FWM  1 wlc ops"),
		},
		{
			name: "case 23, 25, 26: weight 2^31-1, FWM -1, 8.0.0.1",
			args: []string{"-Ln"},
			services: []render.Service{
				with(tcpService("8.0.0.1:80"), server("10.0.0.2:80", ipvs.Route, 2147483647)),
				service(0, "", 4294967295),
			},
			want: version + titleDefault + lines(
				"FWM  -1 wlc",
				"TCP  8.0.0.1:80 wlc",
				"  -> 10.0.0.2:80                  Route   2147483647 0          0         "),
		},
		{
			name:     "case 27: names",
			args:     []string{"-L"},
			services: []render.Service{tcpService("127.0.0.1:22")},
			names:    localhost,
			want:     version + titleDefault + "TCP  localhost:ssh wlc\n",
		},
		{
			name:     "-n beats the name service",
			args:     []string{"-Ln"},
			services: []render.Service{tcpService("127.0.0.1:22")},
			names:    localhost,
			want:     version + titleDefault + "TCP  127.0.0.1:22 wlc\n",
		},
		{
			name: "case 28: masks",
			args: []string{"-Ln"},
			services: []render.Service{
				persistent(tcpService("1.2.3.5:80"), 360, 16),
				persistent(tcpService("[::1]:82"), 360, 64),
				persistent(tcpService("[::1]:80"), 360, 128),
			},
			want: version + titleDefault + lines(
				"TCP  1.2.3.5:80 wlc persistent 360 mask 0.0.0.16",
				"TCP  [::1]:80 wlc persistent 360",
				"TCP  [::1]:82 wlc persistent 360 mask 64"),
		},
		{
			name: "--nosort keeps kernel order",
			args: []string{"-Ln", "--nosort"},
			services: []render.Service{
				tcpService("10.0.0.2:80"),
				with(tcpService("10.0.0.1:80"), server("10.1.0.2:80", ipvs.Route, 1), server("10.1.0.1:80", ipvs.Route, 1)),
			},
			want: version + titleDefault + lines(
				"TCP  10.0.0.2:80 wlc",
				"TCP  10.0.0.1:80 wlc",
				"  -> 10.1.0.2:80                  Route   1      0          0         ",
				"  -> 10.1.0.1:80                  Route   1      0          0         "),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			r := &Runner{Backend: fakeKernelHolding(tt.services), Names: tt.names, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm",
				Info: ipvs.Info{Version: ipvs.Version{Major: 1, Minor: 2, Patch: 1}, ConnTableSize: 4096}}
			if st := r.Main(tt.args); st != 0 || stderr.Len() != 0 {
				t.Fatalf("%v: status %d, stderr %q", tt.args, st, stderr.String())
			}
			if diff := cmp.Diff(tt.want, stdout.String()); diff != "" {
				t.Errorf("%v (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// vanishedBackend lists services whose servers cannot be read: each was
// deleted between the service dump and its own destination dump.
type vanishedBackend struct{ *fakeKernel }

func (vanishedBackend) Destinations(ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	return nil, unix.ESRCH
}

// TestListingServersFail: when a service's servers cannot be read, every
// listing prints the same message and exits 1; the JSON listing of all
// services ends its document with that message as its "error" member, and
// that of one service prints nothing (package jsonlist documents both).
func TestListingServersFail(t *testing.T) {
	b := vanishedBackend{fakeKernelHolding([]render.Service{tcpService("10.0.0.1:80")})}
	run := func(json bool, args ...string) (status int, stdout, stderr string) {
		var out, errs bytes.Buffer
		r := &Runner{Backend: b, Stdout: &out, Stderr: &errs, Prog: "ipvsadm", JSON: json}
		return r.Main(args), out.String(), errs.String()
	}
	const msg = "No such service\n"
	for _, args := range [][]string{{"-Ln"}, {"-Sn"}, {"-Ln", "-t", "10.0.0.1:80"}} {
		if st, _, errs := run(false, args...); st != 1 || errs != msg {
			t.Errorf("%v: status %d, stderr %q; want 1, %q", args, st, errs, msg)
		}
	}
	st, out, errs := run(true, "-Ln")
	var doc jsonlist.Services
	if err := json.Unmarshal([]byte(out), &doc); err != nil || st != 1 || errs != msg || doc.Error+"\n" != msg || len(doc.Services) != 0 {
		t.Errorf("--json -Ln: status %d, stderr %q, document %+v (%v):\n%s", st, errs, doc, err, out)
	}
	if st, out, errs := run(true, "-Ln", "-t", "10.0.0.1:80"); st != 1 || errs != msg || out != "" {
		t.Errorf("--json -Ln -t: status %d, stderr %q, stdout %q; want 1, %q and nothing", st, errs, out, msg)
	}
}
