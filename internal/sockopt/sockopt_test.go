package sockopt

import (
	"net/netip"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// The kernel-facing behaviour is tested in the VM, against netlink dumps
// of random tables (internal/command/commandtest: TestSockoptEqualsDumps,
// TestSockoptNoticesChanges, TestSockoptCounters, TestListingPathsAgree).

// TestKeyOf checks which services the interface can be asked about, and
// that a firewall mark is asked by the mark alone.
func TestKeyOf(t *testing.T) {
	for _, tc := range []struct {
		k    ipvs.ServiceKey
		want key
		ok   bool
	}{
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.UDP, Addr: netip.MustParseAddr("10.1.2.3"), Port: 53},
			key{proto: uint16(ipvs.UDP), addr: 0x0a010203, port: 53}, true},
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, FWMark: 7}, key{fwmark: 7}, true},
		{ipvs.ServiceKey{Family: ipvs.INET6, FWMark: 7}, key{}, false},
		{ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}, key{}, false},
		{ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("2001:db8::1"), Port: 80}, key{}, false},
	} {
		got, ok := keyOf(tc.k)
		if got != tc.want || ok != tc.ok {
			t.Errorf("keyOf(%+v) = %+v, %v; want %+v, %v", tc.k, got, ok, tc.want, tc.ok)
		}
	}
}

// TestNilTable checks that a table that could not be opened answers for
// no service and closes without fault.
func TestNilTable(t *testing.T) {
	var table *Table
	dst := make([]ipvs.DestinationEntry, 1)
	k := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	if got, ok := table.AppendDestinations(dst, k); ok || len(got) != 1 {
		t.Errorf("a nil table answered: %v, %v", got, ok)
	}
	if err := table.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}
