package render

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// compareServices is libipvs' ipvs_cmp_services on two services.
func compareServices(s1, s2 *ipvs.Service) int32 {
	k1, k2 := serviceKey(s1), serviceKey(s2)
	return compareKeys(&k1, &k2)
}

// compareDestinations is libipvs' ipvs_cmp_dests on two servers.
func compareDestinations(d1, d2 *ipvs.Destination) int32 {
	k1, k2 := destinationKey(d1), destinationKey(d2)
	return compareKeys(&k1, &k2)
}

// mergeSortValues is the sort as libipvs runs it: glibc's msort_with_tmp
// on the values themselves (split in n/2 and the rest, sort both, merge
// taking from the left while cmp <= 0), reading both operands afresh at
// each comparison.
func mergeSortValues[T any](s []T, cmp func(a, b *T) int32) {
	n := len(s)
	if n <= 1 {
		return
	}
	n1 := n / 2
	mergeSortValues(s[:n1], cmp)
	mergeSortValues(s[n1:], cmp)
	merged := make([]T, 0, n)
	i, j := 0, n1
	for i < n1 && j < n {
		if cmp(&s[i], &s[j]) <= 0 {
			merged = append(merged, s[i])
			i++
		} else {
			merged = append(merged, s[j])
			j++
		}
	}
	merged = append(merged, s[i:n1]...)
	copy(s, merged)
}

// randomAddr picks from a few addresses, so that ties are common, that mix
// IPv4 and IPv6, addresses whose comparison wraps (192.168.0.1 against
// 1.1.1.1, 8000:: against fe80::) and an IPv6 address whose word 0 equals
// an IPv4 one (a00:1:: against 10.0.0.1).
func randomAddr(r *rand.Rand) netip.Addr {
	addrs := [...]string{"10.0.0.1", "10.0.0.2", "1.1.1.1", "192.168.0.1", "0.0.0.0",
		"::1", "a00:1::5", "8000::1", "fe80::1", "2001:db8::1"}
	return netip.MustParseAddr(addrs[r.IntN(len(addrs))])
}

// randomFamily is addr's own family mostly, else the other one or 0 (a
// family that does not match the address, as the kernel can report).
func randomFamily(r *rand.Rand, addr netip.Addr) ipvs.Family {
	switch r.IntN(8) {
	case 0:
		return 0
	case 1:
		if addr.Is4() {
			return ipvs.INET6
		}
		return ipvs.INET
	}
	if addr.Is4() {
		return ipvs.INET
	}
	return ipvs.INET6
}

func TestSortServicesEqualsValueSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	marks := [...]uint32{0, 0, 0, 1, 2, 0x80000001, 0xffffffff}
	protos := [...]ipvs.Protocol{ipvs.TCP, ipvs.UDP, ipvs.SCTP}
	for round := range 2000 {
		in := make([]ipvs.ServiceEntry, r.IntN(40))
		for i := range in {
			a := randomAddr(r)
			s := &in[i].Service
			s.FWMark = marks[r.IntN(len(marks))]
			s.Family = randomFamily(r, a)
			if s.FWMark == 0 {
				s.Protocol, s.Addr, s.Port = protos[r.IntN(len(protos))], a, uint16(r.IntN(3))*40000
			}
			s.Netmask = uint32(i) // tells equal keys apart
		}
		want := append([]ipvs.ServiceEntry(nil), in...)
		mergeSortValues(want, func(a, b *ipvs.ServiceEntry) int32 { return compareServices(&a.Service, &b.Service) })
		got := append([]ipvs.ServiceEntry(nil), in...)
		SortServices(got)
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Fatalf("round %d (-value sort +SortServices):\n%s", round, diff)
		}
	}
}

func TestDestinationSorterEqualsValueSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sorter DestinationSorter // reused, as a listing does
	for round := range 2000 {
		in := make([]ipvs.DestinationEntry, r.IntN(40))
		for i := range in {
			a := randomAddr(r)
			d := &in[i]
			d.Family, d.Addr, d.Port = randomFamily(r, a), a, uint16(r.IntN(3))*40000
			d.Weight = uint32(i) // tells equal keys apart
		}
		want := append([]ipvs.DestinationEntry(nil), in...)
		mergeSortValues(want, func(a, b *ipvs.DestinationEntry) int32 { return compareDestinations(&a.Destination, &b.Destination) })
		got := append([]ipvs.DestinationEntry(nil), in...)
		sorter.Sort(got)
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Fatalf("round %d (-value sort +DestinationSorter):\n%s", round, diff)
		}
	}
}
