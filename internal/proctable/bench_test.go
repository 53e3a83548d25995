package proctable

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// BenchmarkRead reads the text of 1,000 services with 10 destinations
// each, as the kernel writes it, and looks every service up once.
func BenchmarkRead(b *testing.B) {
	var text strings.Builder
	text.WriteString("IP Virtual Server version 1.2.1 (size=4096)\n" +
		"Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n")
	for s := 0; s < 1000; s++ {
		fmt.Fprintf(&text, "TCP  0A%02X%04X:0050 wlc\n", s>>16, s&0xffff)
		for d := 0; d < 10; d++ {
			fmt.Fprintf(&text, "  -> AC10%02X%02X:0050      Masq    %d      0          0\n", s&0xff, d, d+1)
		}
	}
	in := text.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var dests []ipvs.DestinationEntry
	for b.Loop() {
		t, err := Read(strings.NewReader(in))
		if err != nil {
			b.Fatal(err)
		}
		for s := 0; s < 1000; s++ {
			key := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Port: 80,
				Addr: netip.AddrFrom4([4]byte{10, byte(s >> 16), byte(s >> 8), byte(s)})}
			var ok bool
			if dests, ok = t.AppendDestinations(dests[:0], key); !ok || len(dests) != 10 {
				b.Fatalf("service %d: %d destinations, known %v", s, len(dests), ok)
			}
		}
	}
}
