package ipvs

import (
	"net/netip"
	"testing"
)

// benchService is a typical restore line's service: -A -t 10.0.0.1:80 -s wlc.
var benchService = Service{
	ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Addr: netip.AddrFrom4([4]byte{10, 0, 0, 1}), Port: 80},
	Scheduler:  "wlc",
	Netmask:    0xffffffff,
}

// benchDestination is a typical restore line's destination:
// -r 172.16.0.1:80 -m -w 1.
var benchDestination = Destination{
	Addr:   netip.AddrFrom4([4]byte{172, 16, 0, 1}),
	Port:   80,
	Method: Masquerade,
	Weight: 1,
}

// BenchmarkEncodeNewService measures building the NEW_SERVICE request of
// one "-A" restore line.
func BenchmarkEncodeNewService(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if r := NewServiceRequest(benchService); len(r.attrs) == 0 {
			b.Fatal("no attributes")
		}
	}
}

// BenchmarkEncodeNewDestination measures building the NEW_DEST request of
// one "-a" restore line.
func BenchmarkEncodeNewDestination(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if r := NewDestinationRequest(benchService.ServiceKey, benchDestination); len(r.attrs) == 0 {
			b.Fatal("no attributes")
		}
	}
}

// BenchmarkEncodeRestore measures encoding the 110,000 requests of a
// 10,000 x 10 restore, the work the restore floor does before sending.
func BenchmarkEncodeRestore(b *testing.B) {
	b.ReportAllocs()
	reqs := make([]Request, 0, 110000)
	for b.Loop() {
		reqs = reqs[:0]
		for i := range 10000 {
			s := benchService
			s.Addr = netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})
			reqs = append(reqs, NewServiceRequest(s))
			for j := range 10 {
				d := benchDestination
				d.Addr = netip.AddrFrom4([4]byte{172, 16, byte(i >> 4), byte(i<<4 | j)})
				reqs = append(reqs, NewDestinationRequest(s.ServiceKey, d))
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(reqs)), "ns/request")
}

// benchDestinationReply is one message of a GET_DEST dump as the kernel
// sends it (6.1): every attribute, with 32- and 64-bit counters.
func benchDestinationReply() []byte {
	var stats32, stats64 [][]byte
	for t := uint16(1); t <= 10; t++ {
		stats32 = append(stats32, attr(t, u32(uint32(t)*1000)))
		stats64 = append(stats64, attr(t, u64(uint64(t)*1000)))
	}
	return nest(cmdAttrDest,
		attr(destAttrAddr, ip16("172.16.0.1")), attr(destAttrPort, b16(80)),
		attr(destAttrFwdMethod, u32(0)), attr(destAttrWeight, u32(1)),
		attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)),
		attr(destAttrActiveConns, u32(3)), attr(destAttrInactConns, u32(4)), attr(destAttrPersistConns, u32(0)),
		nest(destAttrStats, stats32...), attr(destAttrAddrFamily, u16(2)), nest(destAttrStats64, stats64...),
		attr(destAttrTunType, u8(0)), attr(destAttrTunPort, b16(0)), attr(destAttrTunFlags, u16(0)))
}

// BenchmarkDecodeDestination measures decoding one destination of a
// dump, what -Ln --stats does for every destination.
func BenchmarkDecodeDestination(b *testing.B) {
	msg := benchDestinationReply()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeDestinationMessage(msg, INET); err != nil {
			b.Fatal(err)
		}
	}
}
