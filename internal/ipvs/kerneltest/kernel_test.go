// Package kerneltest tests the IPVS client against the real kernel: every
// test runs inside the VM (vmtest.Main), in a network namespace of its own.
package kerneltest

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

func TestMain(m *testing.M) {
	if os.Getenv("KERNELTEST_UNPRIVILEGED_CHILD") == "1" {
		os.Exit(unprivilegedChild())
	}
	os.Exit(vmtest.Main(m, vmtest.WithMemory(2048)))
}

// dial returns a client on a fresh namespace.
func dial(t *testing.T) (*ipvs.Client, *vmtest.NetNS) {
	t.Helper()
	ns := vmtest.NewNetNS(t)
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ns
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// addrs lets cmp compare netip.Addr values.
var addrs = cmpopts.EquateComparable(netip.Addr{})

var (
	v4   = netip.MustParseAddr
	tcp1 = ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: v4("10.0.0.1"), Port: 80}
)

// service is a service as NewService takes it, with the defaults ipvsadm
// sends.
func service(key ipvs.ServiceKey, sched string) ipvs.Service {
	mask := uint32(0xffffffff)
	if key.Family == ipvs.INET6 {
		mask = 128
	}
	return ipvs.Service{ServiceKey: key, Scheduler: sched, Netmask: mask}
}

// reported is what the kernel reports for a service it was given: the same
// configuration with the hashed flag set.
func reported(s ipvs.Service) ipvs.Service {
	s.Flags |= ipvs.FlagHashed
	return s
}

func TestInfo(t *testing.T) {
	c, _ := dial(t)
	info, err := c.Info()
	must(t, err)
	want := ipvs.Info{Version: ipvs.Version{Major: 1, Minor: 2, Patch: 1}, ConnTableSize: 4096}
	if diff := cmp.Diff(want, info, addrs); diff != "" {
		t.Errorf("Info (-want +got):\n%s", diff)
	}
}

func TestEmptyTable(t *testing.T) {
	c, _ := dial(t)
	svcs, err := c.Services()
	if err != nil || len(svcs) != 0 {
		t.Fatalf("Services on an empty table = %v, %v; want none, nil", svcs, err)
	}
	dests, err := c.Destinations(tcp1)
	if err != nil || len(dests) != 0 {
		t.Fatalf("Destinations of a missing service = %v, %v; want none, nil", dests, err)
	}
	daemons, err := c.Daemons()
	if err != nil || len(daemons) != 0 {
		t.Fatalf("Daemons = %v, %v; want none, nil", daemons, err)
	}
}

func TestServiceRoundTrip(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::100")
	for _, tc := range []struct {
		name string
		svc  ipvs.Service
	}{
		{"tcp4", service(tcp1, "rr")},
		{"udp4", service(ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: v4("10.0.0.2"), Port: 53}, "wrr")},
		{"sctp4", service(ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.SCTP, Addr: v4("10.1.1.2"), Port: 3868}, "lc")},
		{"tcp6", service(ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: v6, Port: 443}, "wlc")},
		{"udp6", service(ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.UDP, Addr: v6, Port: 53}, "sed")},
		{"fwmark4", service(ipvs.ServiceKey{Family: ipvs.INET, FWMark: 100}, "nq")},
		{"fwmark6", service(ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 200}, "lblc")},
		{"fwmark-max", service(ipvs.ServiceKey{Family: ipvs.INET, FWMark: 4294967295}, "lblcr")},
		{"persistent4", func() ipvs.Service {
			s := service(tcp1, "dh")
			s.Flags, s.Timeout, s.Netmask = ipvs.FlagPersistent, 1800*time.Second, 0xffffff00
			return s
		}()},
		{"persistent6", func() ipvs.Service {
			s := service(ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: v6, Port: 0}, "fo")
			s.Flags, s.Timeout, s.Netmask = ipvs.FlagPersistent, 100*time.Second, 48
			return s
		}()},
		{"one-packet", func() ipvs.Service {
			s := service(ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: v4("10.0.0.3"), Port: 5060}, "ovf")
			s.Flags = ipvs.FlagOnePacket
			return s
		}()},
		{"sched-flags-sh", func() ipvs.Service {
			s := service(tcp1, "sh")
			s.Flags = ipvs.FlagSched1 | ipvs.FlagSched2
			return s
		}()},
		{"sched-flags-mh", func() ipvs.Service {
			s := service(tcp1, "mh")
			s.Flags = ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3
			return s
		}()},
		{"pe-sip", func() ipvs.Service {
			s := service(ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: v4("10.0.0.3"), Port: 5060}, "rr")
			s.PE, s.Flags, s.Timeout = "sip", ipvs.FlagPersistent, 360*time.Second
			return s
		}()},
		{"pe-without-persistence", func() ipvs.Service {
			s := service(ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: v4("10.0.0.3"), Port: 5060}, "rr")
			s.PE = "sip"
			return s
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := dial(t)
			must(t, c.Do(ipvs.NewServiceRequest(tc.svc)))
			want := reported(tc.svc)
			got, err := c.Service(tc.svc.ServiceKey)
			must(t, err)
			if diff := cmp.Diff(want, got.Service, addrs); diff != "" {
				t.Errorf("Service (-want +got):\n%s", diff)
			}
			all, err := c.Services()
			must(t, err)
			if len(all) != 1 {
				t.Fatalf("Services returned %d entries, want 1", len(all))
			}
			if diff := cmp.Diff(want, all[0].Service, addrs); diff != "" {
				t.Errorf("Services (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEverySchedulerLoads(t *testing.T) {
	c, _ := dial(t)
	for i, sched := range []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"} {
		key := tcp1
		key.Port = uint16(1000 + i)
		must(t, c.Do(ipvs.NewServiceRequest(service(key, sched))))
		got, err := c.Service(key)
		must(t, err)
		if got.Scheduler != sched {
			t.Errorf("scheduler %q reads back as %q", sched, got.Scheduler)
		}
	}
}

func TestUpdateAndDeleteService(t *testing.T) {
	c, _ := dial(t)
	s := service(tcp1, "rr")
	must(t, c.Do(ipvs.NewServiceRequest(s)))
	s.Scheduler, s.Flags, s.Timeout, s.Netmask = "wlc", ipvs.FlagPersistent, 600*time.Second, 0xffff0000
	must(t, c.Do(ipvs.UpdateServiceRequest(s)))
	got, err := c.Service(tcp1)
	must(t, err)
	if diff := cmp.Diff(reported(s), got.Service, addrs); diff != "" {
		t.Errorf("after UpdateService (-want +got):\n%s", diff)
	}
	must(t, c.Do(ipvs.DeleteServiceRequest(tcp1)))
	if all, err := c.Services(); err != nil || len(all) != 0 {
		t.Fatalf("after DeleteService: %v, %v", all, err)
	}
}

func TestServiceErrors(t *testing.T) {
	c, _ := dial(t)
	must(t, c.Do(ipvs.NewServiceRequest(service(tcp1, "rr"))))
	other := tcp1
	other.Port = 81
	for _, tc := range []struct {
		name  string
		err   error
		errno unix.Errno
		is    error
	}{
		{"add existing", c.Do(ipvs.NewServiceRequest(service(tcp1, "rr"))), unix.EEXIST, os.ErrExist},
		{"unknown scheduler", c.Do(ipvs.NewServiceRequest(service(other, "nosuch"))), unix.ENOENT, os.ErrNotExist},
		{"unknown pe", func() error { s := service(other, "rr"); s.PE = "nosuch"; return c.Do(ipvs.NewServiceRequest(s)) }(), unix.ENOENT, os.ErrNotExist},
		{"edit missing", c.Do(ipvs.UpdateServiceRequest(service(other, "rr"))), unix.ESRCH, nil},
		{"edit unknown scheduler", c.Do(ipvs.UpdateServiceRequest(service(tcp1, "nosuch"))), unix.ENOENT, os.ErrNotExist},
		{"delete missing", c.Do(ipvs.DeleteServiceRequest(other)), unix.ESRCH, nil},
		{"get missing", func() error { _, err := c.Service(other); return err }(), unix.ESRCH, nil},
		{"zero missing", c.Do(ipvs.ZeroRequest(other)), unix.ESRCH, nil},
		{"ipv6 netmask 129", func() error {
			s := service(ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}, "rr")
			s.Netmask = 129
			return c.Do(ipvs.NewServiceRequest(s))
		}(), unix.EINVAL, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.errno) {
				t.Fatalf("error %v, want errno %v (%d)", tc.err, tc.errno, int(tc.errno))
			}
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.is)
			}
			var e *ipvs.Error
			if !errors.As(tc.err, &e) || e.Op == "" {
				t.Errorf("error %v is not an *ipvs.Error naming its operation", tc.err)
			}
		})
	}
}

func TestDestinationRoundTrip(t *testing.T) {
	dest := func(addr string, port uint16, m ipvs.ForwardMethod) ipvs.Destination {
		a := netip.MustParseAddr(addr)
		f := ipvs.INET
		if a.Is6() {
			f = ipvs.INET6
		}
		return ipvs.Destination{Family: f, Addr: a, Port: port, Method: m, Weight: 1}
	}
	for _, tc := range []struct {
		name string
		svc  ipvs.Service
		dest ipvs.Destination
	}{
		{"masq", service(tcp1, "rr"), dest("10.0.0.28", 8080, ipvs.Masquerade)},
		{"route", service(tcp1, "rr"), dest("10.0.0.29", 80, ipvs.Route)},
		{"weight-max-thresholds", service(tcp1, "wrr"), func() ipvs.Destination {
			d := dest("10.0.0.30", 80, ipvs.Masquerade)
			d.Weight, d.UpperThreshold, d.LowerThreshold = 2147483647, 1000, 10
			return d
		}()},
		{"weight-zero", service(tcp1, "wrr"), func() ipvs.Destination {
			d := dest("10.0.0.30", 80, ipvs.Route)
			d.Weight = 0
			return d
		}()},
		{"tunnel-ipip", service(tcp1, "rr"), dest("10.0.0.31", 80, ipvs.Tunnel)},
		{"tunnel-gue", service(tcp1, "rr"), func() ipvs.Destination {
			d := dest("10.0.0.32", 80, ipvs.Tunnel)
			d.TunnelType, d.TunnelPort, d.TunnelFlags = ipvs.TunnelGUE, 6080, ipvs.TunnelRemoteChecksum
			return d
		}()},
		{"tunnel-gre", service(tcp1, "rr"), func() ipvs.Destination {
			d := dest("10.0.0.33", 80, ipvs.Tunnel)
			d.TunnelType, d.TunnelFlags = ipvs.TunnelGRE, ipvs.TunnelChecksum
			return d
		}()},
		{"ipv6", service(ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("2001:db8::100"), Port: 443}, "rr"),
			dest("2001:db8::10", 8443, ipvs.Masquerade)},
		{"mixed-family-tunnel", service(tcp1, "rr"), dest("2001:db8::11", 80, ipvs.Tunnel)},
		{"fwmark", service(ipvs.ServiceKey{Family: ipvs.INET, FWMark: 7}, "rr"), dest("10.0.0.34", 0, ipvs.Route)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := dial(t)
			must(t, c.Do(ipvs.NewServiceRequest(tc.svc)))
			must(t, c.Do(ipvs.NewDestinationRequest(tc.svc.ServiceKey, tc.dest)))
			got, err := c.Destinations(tc.svc.ServiceKey)
			must(t, err)
			if len(got) != 1 {
				t.Fatalf("Destinations returned %d entries, want 1", len(got))
			}
			if diff := cmp.Diff(tc.dest, got[0].Destination, addrs); diff != "" {
				t.Errorf("Destination (-want +got):\n%s", diff)
			}
			upd := tc.dest
			upd.Weight, upd.UpperThreshold, upd.LowerThreshold = 7, 50, 5
			must(t, c.Do(ipvs.UpdateDestinationRequest(tc.svc.ServiceKey, upd)))
			got, err = c.Destinations(tc.svc.ServiceKey)
			must(t, err)
			if diff := cmp.Diff(upd, got[0].Destination, addrs); diff != "" {
				t.Errorf("after UpdateDestination (-want +got):\n%s", diff)
			}
			must(t, c.Do(ipvs.DeleteDestinationRequest(tc.svc.ServiceKey, upd)))
			if got, err := c.Destinations(tc.svc.ServiceKey); err != nil || len(got) != 0 {
				t.Errorf("after DeleteDestination: %v, %v", got, err)
			}
		})
	}
}

func TestDestinationErrors(t *testing.T) {
	c, _ := dial(t)
	must(t, c.Do(ipvs.NewServiceRequest(service(tcp1, "rr"))))
	d := ipvs.Destination{Family: ipvs.INET, Addr: v4("10.0.0.28"), Port: 80, Method: ipvs.Masquerade, Weight: 1}
	must(t, c.Do(ipvs.NewDestinationRequest(tcp1, d)))
	missingSvc := tcp1
	missingSvc.Port = 81
	other := d
	other.Addr = v4("10.0.0.29")
	for _, tc := range []struct {
		name  string
		err   error
		errno unix.Errno
	}{
		{"add existing", c.Do(ipvs.NewDestinationRequest(tcp1, d)), unix.EEXIST},
		{"add to missing service", c.Do(ipvs.NewDestinationRequest(missingSvc, other)), unix.ESRCH},
		{"edit missing", c.Do(ipvs.UpdateDestinationRequest(tcp1, other)), unix.ENOENT},
		{"delete missing", c.Do(ipvs.DeleteDestinationRequest(tcp1, other)), unix.ENOENT},
		{"delete on missing service", c.Do(ipvs.DeleteDestinationRequest(missingSvc, d)), unix.ESRCH},
		{"lower above upper threshold", func() error {
			o := other
			o.LowerThreshold, o.UpperThreshold = 10, 5
			return c.Do(ipvs.NewDestinationRequest(tcp1, o))
		}(), unix.ERANGE},
		{"weight above int32", func() error { o := other; o.Weight = 1 << 31; return c.Do(ipvs.NewDestinationRequest(tcp1, o)) }(), unix.ERANGE},
		{"not unicast", func() error { o := other; o.Addr = v4("224.0.0.1"); return c.Do(ipvs.NewDestinationRequest(tcp1, o)) }(), unix.EINVAL},
		{"mixed family without tunnel", func() error {
			o := other
			o.Family, o.Addr = ipvs.INET6, netip.MustParseAddr("2001:db8::1")
			return c.Do(ipvs.NewDestinationRequest(tcp1, o))
		}(), unix.EINVAL},
		{"gue without port", func() error {
			o := other
			o.Method, o.TunnelType = ipvs.Tunnel, ipvs.TunnelGUE
			return c.Do(ipvs.NewDestinationRequest(tcp1, o))
		}(), unix.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.errno) {
				t.Fatalf("error %v, want errno %v (%d)", tc.err, tc.errno, int(tc.errno))
			}
		})
	}
	if !errors.Is(c.Do(ipvs.NewDestinationRequest(tcp1, d)), os.ErrExist) {
		t.Error("an existing destination does not match os.ErrExist")
	}
	if !errors.Is(c.Do(ipvs.DeleteDestinationRequest(tcp1, other)), os.ErrNotExist) {
		t.Error("a missing destination does not match os.ErrNotExist")
	}
}

func TestTimeouts(t *testing.T) {
	c, _ := dial(t)
	got, err := c.Timeouts()
	must(t, err)
	want := ipvs.Timeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 300 * time.Second}
	if diff := cmp.Diff(want, got, addrs); diff != "" {
		t.Errorf("default timeouts (-want +got):\n%s", diff)
	}
	must(t, c.Do(ipvs.SetTimeoutsRequest(ipvs.Timeouts{TCP: 100 * time.Second, TCPFin: 20 * time.Second, UDP: 30 * time.Second})))
	must(t, c.Do(ipvs.SetTimeoutsRequest(ipvs.Timeouts{TCP: 0, TCPFin: 0, UDP: 45 * time.Second}))) // 0 leaves a value unchanged
	got, err = c.Timeouts()
	must(t, err)
	want = ipvs.Timeouts{TCP: 100 * time.Second, TCPFin: 20 * time.Second, UDP: 45 * time.Second}
	if diff := cmp.Diff(want, got, addrs); diff != "" {
		t.Errorf("timeouts after SetTimeouts (-want +got):\n%s", diff)
	}
}

func TestDaemons(t *testing.T) {
	c, ns := dial(t)
	ns.Sh(t, "ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.0.1/24 dev d0")
	master := ipvs.Daemon{State: ipvs.Master, Interface: "d0", SyncID: 5}
	must(t, c.Do(ipvs.StartDaemonRequest(master)))
	backup := ipvs.Daemon{State: ipvs.Backup, Interface: "d0", SyncID: 6, MaxLen: 1400,
		Group: netip.MustParseAddr("239.1.2.3"), Port: 9000, TTL: 3}
	must(t, c.Do(ipvs.StartDaemonRequest(backup)))
	got, err := c.Daemons()
	must(t, err)
	want := []ipvs.Daemon{
		{State: ipvs.Master, Interface: "d0", SyncID: 5, MaxLen: 1472, Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1},
		{State: ipvs.Backup, Interface: "d0", SyncID: 6, MaxLen: 1400, Group: netip.MustParseAddr("239.1.2.3"), Port: 9000, TTL: 3},
	}
	if diff := cmp.Diff(want, got, addrs); diff != "" {
		t.Errorf("Daemons (-want +got):\n%s", diff)
	}
	if err := c.Do(ipvs.StartDaemonRequest(master)); !errors.Is(err, unix.EEXIST) {
		t.Errorf("starting a running master: %v, want EEXIST", err)
	}
	if err := c.Do(ipvs.StartDaemonRequest(ipvs.Daemon{State: ipvs.Master, Interface: "nosuch0"})); err == nil {
		t.Error("starting on a missing interface succeeded")
	}
	must(t, c.Do(ipvs.StopDaemonRequest(ipvs.Daemon{State: ipvs.Master})))
	must(t, c.Do(ipvs.StopDaemonRequest(ipvs.Daemon{State: ipvs.Backup})))
	if err := c.Do(ipvs.StopDaemonRequest(ipvs.Daemon{State: ipvs.Master})); !errors.Is(err, unix.ESRCH) {
		t.Errorf("stopping a stopped master: %v, want ESRCH", err)
	}
	if got, err := c.Daemons(); err != nil || len(got) != 0 {
		t.Errorf("Daemons after stop: %v, %v", got, err)
	}
	// IPv6 multicast group.
	v6 := ipvs.Daemon{State: ipvs.Master, Interface: "d0", SyncID: 1, Group: netip.MustParseAddr("ff02::81")}
	ns.Sh(t, "ip -6 addr add 2001:db8:9::1/64 dev d0")
	must(t, c.Do(ipvs.StartDaemonRequest(v6)))
	got, err = c.Daemons()
	must(t, err)
	if len(got) != 1 || got[0].Group != v6.Group {
		t.Errorf("IPv6 group daemon reads back as %+v", got)
	}
}

// TestStatsAndZero sends real traffic through a NAT service inside the
// namespace (a local client connecting to the virtual address) and checks
// the counters the kernel reports, then zeroes them.
func TestStatsAndZero(t *testing.T) {
	c, ns := dial(t)
	ns.Sh(t, "ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.0.1/24 dev d0 && ip addr add 10.9.9.9/32 dev lo")
	key := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: v4("10.9.9.9"), Port: 80}
	must(t, c.Do(ipvs.NewServiceRequest(service(key, "rr"))))
	d := ipvs.Destination{Family: ipvs.INET, Addr: v4("10.9.0.2"), Port: 80, Method: ipvs.Masquerade, Weight: 1}
	must(t, c.Do(ipvs.NewDestinationRequest(key, d)))
	ns.Sh(t, "for i in 1 2 3; do timeout 2 nc 10.9.9.9 80 </dev/null; done; true")

	// Each connection attempt is one SYN to an unreachable real server;
	// under emulation an attempt may not get its SYN out before the
	// timeout, so compare the counters with each other.
	svcs, err := c.Services()
	must(t, err)
	if len(svcs) != 1 {
		t.Fatalf("Services: %+v", svcs)
	}
	st := svcs[0].Stats
	if st.Connections == 0 || st.PacketsIn < st.Connections || st.BytesIn < 40*st.Connections {
		t.Fatalf("service stats after connecting: %+v", st)
	}
	dests, err := c.Destinations(key)
	must(t, err)
	if len(dests) != 1 || dests[0].Stats.Connections != st.Connections ||
		uint64(dests[0].ActiveConns+dests[0].InactiveConns) != st.Connections {
		t.Fatalf("destination after %d connections: %+v", st.Connections, dests)
	}
	must(t, c.Do(ipvs.ZeroRequest(key)))
	svcs, err = c.Services()
	must(t, err)
	if svcs[0].Stats.Connections != 0 || svcs[0].Stats.PacketsIn != 0 {
		t.Errorf("service stats after Zero: %+v", svcs[0].Stats)
	}
	must(t, c.Do(ipvs.ZeroAllRequest()))
}

func TestFlush(t *testing.T) {
	c, _ := dial(t)
	for port := uint16(1); port <= 5; port++ {
		k := tcp1
		k.Port = port
		must(t, c.Do(ipvs.NewServiceRequest(service(k, "rr"))))
		must(t, c.Do(ipvs.NewDestinationRequest(k, ipvs.Destination{Addr: v4("10.0.0.28"), Port: port, Method: ipvs.Route, Weight: 1})))
	}
	must(t, c.Do(ipvs.FlushRequest()))
	if svcs, err := c.Services(); err != nil || len(svcs) != 0 {
		t.Errorf("after Flush: %v, %v", svcs, err)
	}
}

// TestLargeTable lists 10,000 services with 2 destinations each: the
// multi-part dumps must be read completely, nothing lost or duplicated.
func TestLargeTable(t *testing.T) {
	c, _ := dial(t)
	const n = 10000
	for i := 0; i < n; i++ {
		k := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP,
			Addr: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), Port: 80}
		must(t, c.Do(ipvs.NewServiceRequest(service(k, "rr"))))
		for j := 0; j < 2; j++ {
			must(t, c.Do(ipvs.NewDestinationRequest(k, ipvs.Destination{Addr: netip.AddrFrom4([4]byte{10, 2, byte(i >> 8), byte(i)}),
				Port: uint16(8000 + j), Method: ipvs.Masquerade, Weight: uint32(j + 1)})))
		}
	}
	svcs, err := c.Services()
	must(t, err)
	if len(svcs) != n {
		t.Fatalf("Services returned %d entries, want %d", len(svcs), n)
	}
	seen := map[ipvs.ServiceKey]bool{}
	dests := 0
	for _, s := range svcs {
		if seen[s.ServiceKey] {
			t.Fatalf("service %v listed twice", s.ServiceKey)
		}
		seen[s.ServiceKey] = true
		ds, err := c.Destinations(s.ServiceKey)
		must(t, err)
		if len(ds) != 2 || ds[0].Port == ds[1].Port {
			t.Fatalf("service %v has destinations %+v", s.ServiceKey, ds)
		}
		dests += len(ds)
	}
	if dests != 2*n {
		t.Errorf("%d destinations in all, want %d", dests, 2*n)
	}
}

// TestPermissionDenied runs this test binary again as an unprivileged user
// (unprivilegedChild): the kernel refuses IPVS commands without
// CAP_NET_ADMIN, and the error must match os.ErrPermission.
func TestPermissionDenied(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "KERNELTEST_UNPRIVILEGED_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := func() ([]byte, error) {
		var b strings.Builder
		cmd.Stdout, cmd.Stderr = &b, &b
		err := ns.Run(cmd)
		return []byte(b.String()), err
	}()
	if err != nil || !strings.Contains(string(out), "child: EPERM as expected") {
		t.Fatalf("unprivileged child: %v\n%s", err, out)
	}
}

// unprivilegedChild is TestPermissionDenied's child, running as nobody.
func unprivilegedChild() int {
	c, err := ipvs.Dial(nil)
	if err != nil {
		fmt.Printf("Dial as an unprivileged user: %v (the family lookup needs no privilege)\n", err)
		return 1
	}
	defer c.Close()
	if _, err := c.Info(); !errors.Is(err, os.ErrPermission) || !errors.Is(err, unix.EPERM) {
		fmt.Printf("Info as an unprivileged user: %v, want EPERM\n", err)
		return 1
	}
	if err := c.Do(ipvs.NewServiceRequest(service(tcp1, "rr"))); !errors.Is(err, unix.EPERM) {
		fmt.Printf("NewService as an unprivileged user: %v, want EPERM\n", err)
		return 1
	}
	fmt.Println("child: EPERM as expected")
	return 0
}

// TestBatch sends many requests per sendmsg with acks only at the end of
// each window: every kernel error must come back on its own request.
func TestBatch(t *testing.T) {
	c, _ := dial(t)
	var reqs []ipvs.Request
	failing := map[int]unix.Errno{}
	for i := 0; i < 300; i++ {
		k := tcp1
		k.Port = uint16(i / 3)
		switch i % 3 {
		case 0:
			reqs = append(reqs, ipvs.NewServiceRequest(service(k, "rr")))
		case 1:
			reqs = append(reqs, ipvs.NewDestinationRequest(k, ipvs.Destination{Addr: v4("10.0.0.28"), Method: ipvs.Masquerade, Port: 80, Weight: 1}))
		case 2:
			if i%30 == 2 { // a duplicate service
				reqs = append(reqs, ipvs.NewServiceRequest(service(k, "rr")))
				failing[i] = unix.EEXIST
			} else if i%30 == 17 { // a destination on a missing service
				m := k
				m.Port += 1000
				reqs = append(reqs, ipvs.NewDestinationRequest(m, ipvs.Destination{Addr: v4("10.0.0.28"), Method: ipvs.Route, Weight: 1}))
				failing[i] = unix.ESRCH
			} else {
				reqs = append(reqs, ipvs.NewDestinationRequest(k, ipvs.Destination{Addr: v4("10.0.0.29"), Method: ipvs.Masquerade, Port: 80, Weight: 2}))
			}
		}
	}
	errs := c.Batch(reqs)
	if len(errs) != len(reqs) {
		t.Fatalf("Batch returned %d errors for %d requests", len(errs), len(reqs))
	}
	for i, err := range errs {
		want, bad := failing[i]
		switch {
		case bad && !errors.Is(err, want):
			t.Errorf("request %d: error %v, want %v", i, err, want)
		case !bad && err != nil:
			t.Errorf("request %d: unexpected error %v", i, err)
		}
	}
	svcs, err := c.Services()
	must(t, err)
	if len(svcs) != 100 {
		t.Fatalf("%d services after the batch, want 100", len(svcs))
	}
	total := 0
	for _, s := range svcs {
		ds, err := c.Destinations(s.ServiceKey)
		must(t, err)
		total += len(ds)
	}
	if want := 200 - len(failing); total != want {
		t.Errorf("%d destinations after the batch, want %d", total, want)
	}
}

// TestReceiveBufferOverflow gives a socket the smallest receive buffer the
// kernel allows and sends windows of failing requests: the kernel carries
// out every request but drops the error replies that no longer fit, and
// the receive fails with ENOBUFS. Batch must report the requests whose
// replies were read with their verdicts and every later request of the
// window as lost (ENOBUFS), never as a success; the client must stay in
// step; and dumps, which the kernel makes only while there is room, must
// still come back complete.
func TestReceiveBufferOverflow(t *testing.T) {
	c, ns := dial(t)
	tiny, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD(), ReceiveBufferSize: 1})
	must(t, err)
	defer tiny.Close()
	key := func(set byte, i int) ipvs.ServiceKey {
		return ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.AddrFrom4([4]byte{10, set, byte(i >> 8), byte(i)}), Port: 80}
	}
	const n = 64

	// Every request fails: deletes of services that do not exist.
	var reqs []ipvs.Request
	for i := 0; i < n; i++ {
		reqs = append(reqs, ipvs.DeleteServiceRequest(key(9, i)))
	}
	known, lost := tally(t, "deletes", tiny.Batch(reqs), func(int) unix.Errno { return unix.ESRCH })
	t.Logf("%d failing deletes in one window: %d error replies read, %d reported lost", n, known, lost)
	if lost == 0 {
		t.Fatalf("no reply was lost with the smallest receive buffer: the test provokes nothing")
	}

	// Successes among failures: new services, each followed by a
	// duplicate of a service that exists.
	var dups []ipvs.Request
	for i := 0; i < n/2; i++ {
		dups = append(dups, ipvs.NewServiceRequest(service(key(1, i), "rr")))
	}
	for i, err := range c.Batch(dups) {
		if err != nil {
			t.Fatalf("setup %d: %v", i, err)
		}
	}
	reqs = reqs[:0]
	for i := 0; i < n/2; i++ {
		reqs = append(reqs, ipvs.NewServiceRequest(service(key(2, i), "wlc")), ipvs.NewServiceRequest(service(key(1, i), "rr")))
	}
	known, lost = tally(t, "mixed", tiny.Batch(reqs), func(i int) unix.Errno {
		if i%2 == 1 {
			return unix.EEXIST
		}
		return 0
	})
	t.Logf("%d new services and duplicates in one window: %d verdicts known, %d reported lost", n, known, lost)

	// The kernel carried out every request, lost replies or not, and the
	// client is in step: its next answers are its own.
	_, err = tiny.Info()
	must(t, err)
	svcs, err := tiny.Services()
	must(t, err)
	if len(svcs) != n {
		t.Errorf("%d services after the batches, want %d (every new service added)", len(svcs), n)
	}

	// Dumps do not overflow: a large table reads completely.
	reqs = reqs[:0]
	for i := 0; i < 2000; i++ {
		k := key(3, i)
		reqs = append(reqs, ipvs.NewServiceRequest(service(k, "rr")),
			ipvs.NewDestinationRequest(k, ipvs.Destination{Addr: v4("10.0.0.28"), Port: 80, Method: ipvs.Masquerade, Weight: 1}))
	}
	for i, err := range c.Batch(reqs) {
		if err != nil {
			t.Fatalf("large table %d: %v", i, err)
		}
	}
	svcs, err = tiny.Services()
	must(t, err)
	if len(svcs) != n+2000 {
		t.Errorf("a dump through the smallest buffer listed %d services, want %d", len(svcs), n+2000)
	}
	dests, err := tiny.Destinations(key(3, 1999))
	must(t, err)
	if len(dests) != 1 {
		t.Errorf("destinations: %+v", dests)
	}
}

// tally checks Batch's errors when replies may be lost: want(i) is the
// errno request i gets from the kernel (0: success). The verdicts must be
// right up to the first request reported lost, and every later request
// must be reported lost too (the kernel drops every reply after the
// first it cannot queue). It returns how many were known and how many lost.
func tally(t *testing.T, what string, errs []error, want func(int) unix.Errno) (known, lost int) {
	t.Helper()
	for i, err := range errs {
		if lost > 0 || errors.Is(err, unix.ENOBUFS) {
			lost++
			if !errors.Is(err, unix.ENOBUFS) || !strings.Contains(err.Error(), "replies were lost") {
				t.Errorf("%s: request %d, after a lost one: %v; want it reported lost", what, i, err)
			}
			continue
		}
		known++
		switch w := want(i); {
		case w == 0 && err != nil:
			t.Errorf("%s: request %d: %v, want success", what, i, err)
		case w != 0 && !errors.Is(err, w):
			t.Errorf("%s: request %d: %v, want %v", what, i, err, w)
		}
	}
	return known, lost
}
