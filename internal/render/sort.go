package render

import (
	"encoding/binary"
	"net/netip"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// SortServices puts services (not their servers) in the order of the
// original's default listing and save output (listing.cases:
// list-many-services-sorted; services.cases: svc-ipv6-sort): glibc 2.36's
// qsort, a stable top-down merge sort, with libipvs' comparison functions,
// whose differences wrap to signed 32 bits. The order is therefore not
// numeric (fwmark 4294967295 sorts first; 192.168.0.1 before 1.1.1.1) and
// can depend on the input order. It runs in O(n log n) time, sorting the
// services' positions by what the comparison reads of each service (read
// once) and then moving each service once, so that its scratch space is
// 36 bytes per service whatever a service's size.
func SortServices(services []ipvs.ServiceEntry) {
	sortByKey(services, &scratch{}, func(s *ipvs.ServiceEntry) sortKey { return serviceKey(&s.Service) })
}

// DestinationSorter sorts the servers of one service after another in the
// original's order (libipvs' ipvs_cmp_dests under glibc's qsort, the same
// way as SortServices), reusing its scratch space. The zero value is ready
// to use.
type DestinationSorter struct{ scratch scratch }

// Sort sorts dests.
func (ds *DestinationSorter) Sort(dests []ipvs.DestinationEntry) {
	sortByKey(dests, &ds.scratch, func(d *ipvs.DestinationEntry) sortKey { return destinationKey(&d.Destination) })
}

// scratch is the space sortByKey sorts in, kept from one sort to the next.
type scratch struct {
	keys       []sortKey
	order, tmp []int32
}

// sortByKey sorts s by position: it reads the sort key of each element
// once, merge sorts the positions by compareKeys (msort), then moves each
// element once to its place.
func sortByKey[T any](s []T, sc *scratch, key func(*T) sortKey) {
	n := len(s)
	if n < 2 {
		return
	}
	if cap(sc.order) < n {
		sc.keys, sc.order, sc.tmp = make([]sortKey, n), make([]int32, n), make([]int32, n)
	}
	keys, order := sc.keys[:n], sc.order[:n]
	for i := range s {
		keys[i], order[i] = key(&s[i]), int32(i)
	}
	msort(order, sc.tmp[:n], keys)
	permute(s, order)
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

// sortKey is what libipvs' comparisons read of a service or a server:
// ipvs_cmp_services compares all of it in field order, ipvs_cmp_dests the
// address and port (mark, family and protocol are zero in a server's key).
type sortKey struct {
	mark  uint32
	addr  [4]uint32 // the words of union nf_inet_addr, big-endian
	port  uint16
	proto uint16
	fam   uint16
	// ipv6 says the address is compared as IPv6 (all four words) when
	// the key is the first operand, else as IPv4 (word 0 only).
	ipv6 bool
}

// addrWords returns the four big-endian 32-bit words of union
// nf_inet_addr holding addr read in family fam (as inFamily and
// unionBytes): an IPv4 address is word 0, the rest zero, and reading in a
// family other than IPv6 keeps word 0 only.
func addrWords(fam ipvs.Family, addr netip.Addr) [4]uint32 {
	var w [4]uint32
	switch {
	case addr.Is4():
		a := addr.As4()
		w[0] = binary.BigEndian.Uint32(a[:])
	case addr.Is6():
		a := addr.As16()
		w[0] = binary.BigEndian.Uint32(a[0:])
		if fam == ipvs.INET6 {
			w[1], w[2], w[3] = binary.BigEndian.Uint32(a[4:]), binary.BigEndian.Uint32(a[8:]), binary.BigEndian.Uint32(a[12:])
		}
	}
	return w
}

// serviceKey is the key ipvs_cmp_services compares: the service's mark,
// shown family, protocol, address read in that family, and port.
func serviceKey(s *ipvs.Service) sortKey {
	fam := serviceFamily(s)
	return sortKey{mark: s.FWMark, fam: uint16(fam), proto: uint16(s.Protocol),
		addr: addrWords(fam, s.Addr), port: s.Port, ipv6: fam == ipvs.INET6}
}

// destinationKey is the key ipvs_cmp_dests compares: the server's address
// read in its shown family, and its port.
func destinationKey(d *ipvs.Destination) sortKey {
	fam := destFamily(d)
	return sortKey{addr: addrWords(fam, d.Addr), port: d.Port, ipv6: fam == ipvs.INET6}
}

// compareKeys is libipvs' ipvs_cmp_services (and, on servers' keys,
// ipvs_cmp_dests): fwmark difference (uint32, wrapped to int32), then
// family, then protocol, then address, then port (plain differences). The
// address is compared, for a first operand of family IPv6, by the four
// words in order, else by word 0 only; each difference is taken modulo
// 2^32 and read as int32.
func compareKeys(a, b *sortKey) int32 {
	if r := int32(a.mark - b.mark); r != 0 {
		return r
	}
	if r := int32(a.fam) - int32(b.fam); r != 0 {
		return r
	}
	if r := int32(a.proto) - int32(b.proto); r != 0 {
		return r
	}
	words := 1
	if a.ipv6 {
		words = 4
	}
	for i := range words {
		if r := int32(a.addr[i] - b.addr[i]); r != 0 {
			return r
		}
	}
	return int32(a.port) - int32(b.port)
}

// msort is glibc's msort_with_tmp on positions: split n into n/2 and the
// rest, sort both, merge taking from the left while compareKeys of their
// keys is <= 0; tmp holds at least len(b) positions.
func msort(b, tmp []int32, keys []sortKey) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	msort(b[:n1], tmp, keys)
	msort(b[n1:], tmp, keys)
	i, j, k := 0, n1, 0
	for i < n1 && j < n {
		if compareKeys(&keys[b[i]], &keys[b[j]]) <= 0 {
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
