package command

import (
	"bytes"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
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
