package render

import (
	"net/netip"
	"strconv"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// Namer turns addresses and ports into names. A nil Namer means numeric
// output (-n). It is implemented by *names.Resolver.
type Namer interface {
	// HostByAddr returns the host name of addr (gethostbyaddr).
	HostByAddr(netip.Addr) (string, bool)
	// ServiceByPort returns the service name of port for proto, which is
	// "tcp", "udp" or "sctp" (getservbyport).
	ServiceByPort(port uint16, proto string) (string, bool)
}

// Width limits of address texts (names.cases: names-long-service-cut-33,
// names-long-service-cap-59, names-long-real-server-cut-28).
const (
	// maxAddrPortLen is the cap on every "addr:port" text: the original
	// formats it into a 60-byte buffer.
	maxAddrPortLen = 59
	// serverNameLen is the cut of an IPv4 server's text in list formats.
	serverNameLen = 28
	// serviceNameLen is the cut of an IPv4 service's "TCP  addr:port" text.
	serviceNameLen = 33
)

// AddrPort returns the "addr:port" text of the original's
// addrport_to_anyname: an IPv4 address (addr.Is4) as dotted quad, any other
// as "[inet_ntop text]"; with a non-nil Namer the address is replaced by its
// host name and the port by its service name for proto (TCP, UDP, SCTP
// only; other protocols always show the number) when the lookups succeed.
// The result is cut to maxAddrPortLen bytes. The zero Addr reads as 0.0.0.0.
func AddrPort(addr netip.Addr, port uint16, proto ipvs.Protocol, n Namer) string {
	return string(appendAddrPort(nil, addr, port, proto, n))
}

// AppendAddrPort appends AddrPort's text to b.
func AppendAddrPort(b []byte, addr netip.Addr, port uint16, proto ipvs.Protocol, n Namer) []byte {
	return appendAddrPort(b, addr, port, proto, n)
}

// appendAddr appends inet_ntop's text for addr; the zero Addr reads as
// 0.0.0.0.
func appendAddr(b []byte, addr netip.Addr) []byte {
	if !addr.IsValid() {
		return append(b, "0.0.0.0"...)
	}
	return ipvstext.AppendAddr(b, addr)
}

func appendAddrPort(b []byte, addr netip.Addr, port uint16, proto ipvs.Protocol, n Namer) []byte {
	start := len(b)
	v4 := addr.Is4() || !addr.IsValid()
	if !v4 {
		b = append(b, '[')
	}
	host, ok := "", false
	if n != nil {
		host, ok = n.HostByAddr(addr)
	}
	if ok {
		b = append(b, host...)
	} else {
		b = appendAddr(b, addr)
	}
	if !v4 {
		b = append(b, ']')
	}
	b = append(b, ':')
	svc, ok := "", false
	if n != nil {
		if p := proto.Name(); p != "" {
			svc, ok = n.ServiceByPort(port, p)
		}
	}
	if ok {
		b = append(b, svc...)
	} else {
		b = strconv.AppendUint(b, uint64(port), 10)
	}
	if len(b)-start > maxAddrPortLen {
		b = b[:start+maxAddrPortLen]
	}
	return b
}

// inFamily reinterprets addr the way the original's union nf_inet_addr is
// read for address family fam: an IPv4 address occupies the first four of
// 16 bytes, the rest zero; AF_INET reads the first four bytes, anything
// else (AF_INET6) all 16. Family 0 keeps addr's own kind.
func inFamily(fam ipvs.Family, addr netip.Addr) netip.Addr {
	switch {
	case fam == 0:
		return addr
	case fam == ipvs.INET6:
		if addr.Is6() {
			return addr.WithZone("")
		}
		u := unionBytes(addr)
		return netip.AddrFrom16(u)
	default:
		if addr.Is4() {
			return addr
		}
		u := unionBytes(addr)
		return netip.AddrFrom4([4]byte{u[0], u[1], u[2], u[3]})
	}
}

// unionBytes returns the 16 bytes of union nf_inet_addr holding addr.
func unionBytes(addr netip.Addr) [16]byte {
	var u [16]byte
	switch {
	case addr.Is4():
		a := addr.As4()
		copy(u[:], a[:])
	case addr.Is6():
		u = addr.As16()
	}
	return u
}

// isIPv6 reports whether a service or server of family fam with address
// addr is shown as IPv6 (brackets, no cut).
func isIPv6(fam ipvs.Family, addr netip.Addr) bool {
	if fam == 0 {
		return addr.Is6()
	}
	return fam == ipvs.INET6
}
