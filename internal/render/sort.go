package render

import (
	"encoding/binary"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// SortServices puts services (not their servers) in the order of the
// original's default listing and save output (listing.cases:
// list-many-services-sorted; services.cases: svc-ipv6-sort): glibc 2.36's
// qsort, a stable top-down merge sort, with libipvs' comparison functions,
// whose differences wrap to signed 32 bits. The order is therefore not
// numeric (fwmark 4294967295 sorts first; 192.168.0.1 before 1.1.1.1) and
// can depend on the input order. It runs in O(n log n) time, sorting the
// services' positions and then moving each service once, so that its
// scratch space is 8 bytes per service whatever a service's size.
func SortServices(services []ipvs.ServiceEntry) {
	if len(services) < 2 {
		return
	}
	order := make([]int32, len(services))
	for i := range order {
		order[i] = int32(i)
	}
	msort(order, make([]int32, len(order)), func(a, b *int32) int32 {
		return compareServices(&services[*a].Service, &services[*b].Service)
	})
	permute(services, order)
}

// permute moves s[order[i]] to s[i] for every i, in place, following each
// cycle of the permutation once; it leaves order spoilt.
func permute[T any](s []T, order []int32) {
	for start := range order {
		if order[start] < 0 {
			continue // moved with an earlier cycle
		}
		first := s[start]
		i := start
		for {
			from := int(order[i])
			order[i] = -1
			if from == start {
				s[i] = first
				break
			}
			s[i] = s[from]
			i = from
		}
	}
}

// DestinationSorter sorts the servers of one service after another in the
// original's order (libipvs' ipvs_cmp_dests under glibc's qsort, as
// SortServices), reusing its scratch space. The zero value is ready to use.
type DestinationSorter struct {
	tmp []ipvs.DestinationEntry
}

// Sort sorts dests.
func (s *DestinationSorter) Sort(dests []ipvs.DestinationEntry) {
	if len(dests) < 2 {
		return
	}
	if cap(s.tmp) < len(dests) {
		s.tmp = make([]ipvs.DestinationEntry, len(dests))
	}
	msort(dests, s.tmp[:len(dests)], compareDestinationEntries)
}

func compareDestinationEntries(a, b *ipvs.DestinationEntry) int32 {
	return compareDestinations(&a.Destination, &b.Destination)
}

// word returns the i-th big-endian 32-bit word of addr as the original's
// union nf_inet_addr holds it (an IPv4 address is word 0, the rest zero).
func word(u *[16]byte, i int) uint32 { return binary.BigEndian.Uint32(u[4*i:]) }

// compareAddrs is the address part of both libipvs comparisons: for a
// first operand of family IPv6 the four words in order, else word 0 only;
// each difference is taken modulo 2^32 and read as int32.
func compareAddrs(fam1 ipvs.Family, a1, a2 [16]byte) int32 {
	if fam1 == ipvs.INET6 {
		for i := 0; i < 4; i++ {
			if r := int32(word(&a1, i) - word(&a2, i)); r != 0 {
				return r
			}
		}
		return 0
	}
	return int32(word(&a1, 0) - word(&a2, 0))
}

// compareServices is libipvs' ipvs_cmp_services: fwmark difference
// (uint32, wrapped to int32), then family, then protocol, then address
// (compareAddrs), then port (plain differences).
func compareServices(s1, s2 *ipvs.Service) int32 {
	if r := int32(s1.FWMark - s2.FWMark); r != 0 {
		return r
	}
	f1, f2 := serviceFamily(s1), serviceFamily(s2)
	if r := int32(f1) - int32(f2); r != 0 {
		return r
	}
	if r := int32(uint16(s1.Protocol)) - int32(uint16(s2.Protocol)); r != 0 {
		return r
	}
	if r := compareAddrs(f1, unionBytes(inFamily(f1, s1.Addr)), unionBytes(inFamily(f2, s2.Addr))); r != 0 {
		return r
	}
	return int32(s1.Port) - int32(s2.Port)
}

// compareDestinations is libipvs' ipvs_cmp_dests: address by the first
// operand's family (compareAddrs), then port.
func compareDestinations(d1, d2 *ipvs.Destination) int32 {
	f1, f2 := destFamily(d1), destFamily(d2)
	if r := compareAddrs(f1, unionBytes(inFamily(f1, d1.Addr)), unionBytes(inFamily(f2, d2.Addr))); r != 0 {
		return r
	}
	return int32(d1.Port) - int32(d2.Port)
}

// msort is glibc's msort_with_tmp: split n into n/2 and the rest, sort
// both, merge taking from the left while cmp <= 0; tmp holds at least
// len(b) elements.
func msort[T any](b, tmp []T, cmp func(a, b *T) int32) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	msort(b[:n1], tmp, cmp)
	msort(b[n1:], tmp, cmp)
	i, j, k := 0, n1, 0
	for i < n1 && j < n {
		if cmp(&b[i], &b[j]) <= 0 {
			tmp[k] = b[i]
			i++
		} else {
			tmp[k] = b[j]
			j++
		}
		k++
	}
	k += copy(tmp[k:], b[i:n1])
	copy(b, tmp[:k])
}
