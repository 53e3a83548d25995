package proctable

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// kernelText was printed by Debian's 6.1.0-56-amd64 kernel in the test VM
// (cat /proc/net/ip_vs) for a table made with Debian's ipvsadm 1.31.
const kernelText = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A000002:0051 none  
TCP  0A000001:0050 rr  persistent 25000 FFFF0000
  -> 0A000006:0050      Tunnel  1      0          0         
  -> [2001:0db8:0000:0000:0000:0000:0000:0005]:0050      Tunnel  1      0          0         
  -> 0A000005:0050      Masq    2147483647 0          0         
UDP  0A000001:0035 sh ops  
SCTP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0F1C mh 
  -> [2001:0db8:0000:0000:0000:0000:0000:0002]:0F1C      Masq    0      3          7         
FWM  00000007 wlc persistent 90000 80000000
  -> [2001:0db8:0000:0000:0000:0000:0000:0009]:0000      Route   1      0          0         
FWM  00000007 lc 
FWM  00000008 lc 
  -> 0A000009:0000      Local   5      0          0         
`

func dest(addr string, port uint16, m ipvs.ForwardMethod, weight, active, inactive uint32) ipvs.DestinationEntry {
	a := netip.MustParseAddr(addr)
	f := ipvs.INET
	if a.Is6() {
		f = ipvs.INET6
	}
	return ipvs.DestinationEntry{
		Destination: ipvs.Destination{Family: f, Addr: a, Port: port, Method: m, Weight: weight},
		ActiveConns: active, InactiveConns: inactive,
	}
}

func TestRead(t *testing.T) {
	tab, err := Read(strings.NewReader(kernelText))
	if err != nil {
		t.Fatal(err)
	}
	v4 := netip.MustParseAddr
	for _, tc := range []struct {
		key   ipvs.ServiceKey
		want  []ipvs.DestinationEntry
		known bool
	}{
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: v4("10.0.0.2"), Port: 81}, []ipvs.DestinationEntry{}, true},
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: v4("10.0.0.1"), Port: 80}, []ipvs.DestinationEntry{
			dest("10.0.0.6", 80, ipvs.Tunnel, 1, 0, 0),
			dest("2001:db8::5", 80, ipvs.Tunnel, 1, 0, 0),
			dest("10.0.0.5", 80, ipvs.Masquerade, 2147483647, 0, 0),
		}, true},
		{ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.SCTP, Addr: v4("2001:db8::1"), Port: 3868}, []ipvs.DestinationEntry{
			dest("2001:db8::2", 3868, ipvs.Masquerade, 0, 3, 7),
		}, true},
		{ipvs.ServiceKey{Family: ipvs.INET, FWMark: 8}, []ipvs.DestinationEntry{dest("10.0.0.9", 0, ipvs.Local, 5, 0, 0)}, true},
		// Mark 7 is listed twice (IPv4 and IPv6): the text cannot tell
		// which is which, so the table does not claim to know either.
		{ipvs.ServiceKey{Family: ipvs.INET, FWMark: 7}, nil, false},
		{ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 7}, nil, false},
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: v4("10.9.9.9"), Port: 1}, nil, false},
		// A key matches only the address of its own family, without a
		// zone, as the text gives it.
		{ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: v4("10.0.0.1"), Port: 80}, nil, false},
		{ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: v4("10.0.0.1"), Port: 80}, nil, false},
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.SCTP, Addr: v4("2001:db8::1"), Port: 3868}, nil, false},
		{ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.SCTP, Addr: v4("2001:db8::1%eth0"), Port: 3868}, nil, false},
		{ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.SCTP, Addr: v4("2001:db8::1"), Port: 3869}, nil, false},
		{ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.UDP, Addr: v4("2001:db8::1"), Port: 3868}, nil, false},
	} {
		got, known := tab.Destinations(tc.key)
		if known != tc.known {
			t.Errorf("%+v: known = %v, want %v", tc.key, known, tc.known)
		}
		if diff := cmp.Diff(tc.want, got, cmpopts.EquateComparable(netip.Addr{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.key, diff)
		}
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	head := "IP Virtual Server version 1.2.1 (size=4096)\nProt\n  ->\n"
	for _, body := range []string{
		"  -> 0A000001:0050      Masq    1      0          0\n",
		"XYZ  0A000001:0050 rr\n",
		"TCP  0A0000:0050 rr\n",
		"TCP  0A000001:10000 rr\n",
		"TCP  0A000001:0050 rr\n  -> 0A000001:0050      Teleport 1 0 0\n",
		"TCP  0A000001:0050 rr\n  -> 0A000001:0050      Masq -1 0 0\n",
		"FWM  00000000 rr\n",
		"TCP\n",
		"TCP  0A000001:0050 rr\n  -> 0A000001:0050      Masq 1 0\n",
		"TCP  0A000001:0050 rr\n  -> 0A000001:0050      Masq 1 0 0 0\n",
	} {
		if _, err := Read(strings.NewReader(head + body)); err == nil {
			t.Errorf("Read accepted %q", body)
		}
	}
	var zero Table
	if _, ok := zero.Destinations(ipvs.ServiceKey{FWMark: 1}); ok {
		t.Error("the zero Table claims to know a service")
	}
}
