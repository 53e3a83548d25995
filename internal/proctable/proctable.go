// Package proctable reads the kernel's IPVS table from /proc/net/ip_vs:
// every service with its destinations in one read, which is much cheaper
// for the kernel than one destination dump per service. The text holds
// only what a plain listing shows of a destination (address, port,
// forwarding method, weight, active and inactive connections), so callers
// take everything else from the netlink service dump and join the two by
// service key. Listings read it only when the table has services that the
// socket-option interface (package sockopt) does not list: IPv6 ones.
//
// The format is written by ip_vs_info_seq_show in the kernel's
// net/netfilter/ipvs/ip_vs_ctl.c:
//
//	TCP  0A000001:0050 rr  persistent 100 FFFF0000
//	  -> 0A000005:0050      Masq    1      0          0
//	SCTP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0F1C mh
//	FWM  00000007 lc
package proctable

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// File is where the kernel shows the table of the reader's network
// namespace.
const File = "/proc/net/ip_vs"

// Table holds the destinations of every service the text listed, compactly
// (a large table holds hundreds of thousands): all of them in fixed-size
// chunks of 20-byte plain values that the garbage collector need not scan,
// each service's a span of them.
type Table struct {
	chunks [][]entry  // each chunkSize long but the last
	n      int32      // entries in all chunks
	ipv6   [][16]byte // the IPv6 addresses of entries, which hold their index
	dests  map[tableKey]span
	// ambiguous holds firewall marks listed more than once: the text does
	// not say a service's family, so an IPv4 and an IPv6 service with the
	// same mark cannot be told apart.
	ambiguous map[uint32]bool
}

// chunkSize is how many entries a chunk holds: growing by whole chunks
// never copies what was read.
const chunkSize = 1024

// entry is what the text says of a destination, without pointers.
type entry struct {
	// addr is an IPv4 address (big-endian), or the index of an IPv6
	// address in Table.ipv6.
	addr                     uint32
	weight, active, inactive uint32
	port                     uint16
	isIPv6                   bool
	method                   uint8 // an ipvs.ForwardMethod: the text names four
}

// add appends e.
func (t *Table) add(e entry) {
	if t.n%chunkSize == 0 {
		t.chunks = append(t.chunks, make([]entry, 0, chunkSize))
	}
	last := &t.chunks[len(t.chunks)-1]
	*last = append(*last, e)
	t.n++
}

// at returns entry i.
func (t *Table) at(i int32) *entry { return &t.chunks[i/chunkSize][i%chunkSize] }

// span is where a service's destinations are: entries start to end-1.
type span struct{ start, end int32 }

// tableKey is a service key as the text gives it, without pointers (unlike
// ipvs.ServiceKey's netip.Addr), so that the garbage collector need not
// scan the map of a large table.
type tableKey struct {
	addr     [16]byte // an IPv4 address in the first 4
	mark     uint32
	port     uint16
	protocol ipvs.Protocol
	family   ipvs.Family
}

// keyOf returns the tableKey that a service key matches, and false for a
// key the text cannot give: an address that is neither IPv4 nor IPv6 of
// the key's family, or that has a zone. A firewall mark is all of its key.
func keyOf(k ipvs.ServiceKey) (tableKey, bool) {
	if k.FWMark != 0 {
		return tableKey{mark: k.FWMark}, true
	}
	key := tableKey{port: k.Port, protocol: k.Protocol, family: k.Family}
	switch {
	case k.Family == ipvs.INET && k.Addr.Is4():
		a := k.Addr.As4()
		copy(key.addr[:], a[:])
	case k.Family == ipvs.INET6 && k.Addr.Is6() && k.Addr.Zone() == "":
		key.addr = k.Addr.As16()
	default:
		return tableKey{}, false
	}
	return key, true
}

// Destinations returns the destinations of the service key names, in the
// kernel's order, and whether the table knows that service; the slice is
// the caller's. The zero Table knows no service.
func (t *Table) Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, bool) {
	return t.AppendDestinations(nil, key)
}

// AppendDestinations is Destinations appending to dst, so that a caller
// going through every service can reuse one slice.
func (t *Table) AppendDestinations(dst []ipvs.DestinationEntry, key ipvs.ServiceKey) ([]ipvs.DestinationEntry, bool) {
	if t.dests == nil {
		return dst, false
	}
	if key.FWMark != 0 && t.ambiguous[key.FWMark] {
		return dst, false
	}
	k, ok := keyOf(key)
	if !ok {
		return dst, false
	}
	sp, ok := t.dests[k]
	if !ok {
		return dst, false
	}
	if dst == nil {
		dst = make([]ipvs.DestinationEntry, 0, sp.end-sp.start)
	}
	for i := sp.start; i < sp.end; i++ {
		d := t.at(i)
		var v4 [4]byte
		binary.BigEndian.PutUint32(v4[:], d.addr)
		family, addr := ipvs.INET, netip.AddrFrom4(v4)
		if d.isIPv6 {
			family, addr = ipvs.INET6, netip.AddrFrom16(t.ipv6[d.addr])
		}
		dst = append(dst, ipvs.DestinationEntry{
			Destination: ipvs.Destination{Family: family, Addr: addr, Port: d.port, Method: ipvs.ForwardMethod(d.method), Weight: d.weight},
			ActiveConns: d.active, InactiveConns: d.inactive,
		})
	}
	return dst, true
}

// SetAmbiguous makes the table answer, for the firewall mark mark, that it
// does not know the service, as it does for a mark it listed more than
// once: for a caller that knows an IPv4 and an IPv6 service share the mark.
func (t *Table) SetAmbiguous(mark uint32) {
	if t.ambiguous != nil {
		t.ambiguous[mark] = true
	}
}

// Read parses the text of File.
func Read(r io.Reader) (*Table, error) {
	t := &Table{dests: map[tableKey]span{}, ambiguous: map[uint32]bool{}}
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		cur   tableKey
		start int32
		have  bool
	)
	for n := 1; ; n++ {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, fmt.Errorf("%s line %d: longer than %d bytes", File, n, br.Size())
		}
		if len(line) == 0 && err != nil {
			if have {
				t.dests[cur] = span{start, t.n}
			}
			if err == io.EOF {
				return t, nil
			}
			return nil, fmt.Errorf("reading %s: %w", File, err)
		}
		if n <= 3 { // version line and the two title lines
			continue
		}
		if bytes.HasPrefix(line, []byte("  -> ")) {
			if !have {
				return nil, fmt.Errorf("%s line %d: destination before any service", File, n)
			}
			if perr := t.addDestination(line[5:]); perr != nil {
				return nil, fmt.Errorf("%s line %d: %w", File, n, perr)
			}
			continue
		}
		key, perr := parseService(line)
		if perr != nil {
			return nil, fmt.Errorf("%s line %d: %w", File, n, perr)
		}
		if have {
			t.dests[cur] = span{start, t.n}
		}
		if _, dup := t.dests[key]; dup && key.mark != 0 {
			t.ambiguous[key.mark] = true
		}
		cur, start, have = key, t.n, true
	}
}

// fieldScanner hands out the fields of a line, the runs of bytes that are
// not blanks (ipvstext.IsSpace), one at a time.
type fieldScanner struct {
	line []byte
	end  int // where the last field handed out ends
}

// next returns the next field, or an empty slice after the last.
func (f *fieldScanner) next() []byte {
	start, end := ipvstext.NextField(f.line, f.end)
	f.end = end
	return f.line[start:end]
}

// parseService reads the key of a service line.
func parseService(line []byte) (tableKey, error) {
	f := fieldScanner{line: line}
	proto, addrPort := f.next(), f.next()
	if len(addrPort) == 0 {
		return tableKey{}, fmt.Errorf("malformed service line %q", line)
	}
	if string(proto) == "FWM" {
		mark, ok := parseUint(addrPort, 16, 32)
		if !ok || mark == 0 {
			return tableKey{}, fmt.Errorf("malformed firewall mark %q", addrPort)
		}
		return tableKey{mark: uint32(mark)}, nil
	}
	protocol, ok := ipvs.ParseProtocol(string(proto))
	if !ok {
		return tableKey{}, fmt.Errorf("unknown protocol %q", proto)
	}
	family, addr, port, err := parseAddrPort(addrPort)
	if err != nil {
		return tableKey{}, err
	}
	return tableKey{addr: addr, port: port, protocol: protocol, family: family}, nil
}

// addDestination reads "ADDR:PORT      METHOD WEIGHT ACTIVE INACTIVE"
// and adds its entry.
func (t *Table) addDestination(s []byte) error {
	f := fieldScanner{line: s}
	addrPort, methodName := f.next(), f.next()
	counts := [3][]byte{f.next(), f.next(), f.next()} // weight, active, inactive
	if len(counts[2]) == 0 || len(f.next()) != 0 {
		return fmt.Errorf("malformed destination %q", s)
	}
	family, addr, port, err := parseAddrPort(addrPort)
	if err != nil {
		return err
	}
	method, ok := ipvs.ParseForwardMethod(string(methodName))
	if !ok {
		return fmt.Errorf("unknown forwarding method %q", methodName)
	}
	var n [3]uint64
	for i := range n {
		if n[i], ok = parseUint(counts[i], 10, 32); !ok {
			return fmt.Errorf("malformed number %q", counts[i])
		}
	}
	e := entry{port: port, method: uint8(method), weight: uint32(n[0]), active: uint32(n[1]), inactive: uint32(n[2])}
	if family == ipvs.INET6 {
		e.addr, e.isIPv6 = uint32(len(t.ipv6)), true
		t.ipv6 = append(t.ipv6, addr)
	} else {
		e.addr = binary.BigEndian.Uint32(addr[:4])
	}
	t.add(e)
	return nil
}

// parseUint reads an unsigned number of base 10 or 16 that fits in bits
// bits, digits only (as strconv.ParseUint, without sign, prefix or
// underscores).
func parseUint(b []byte, base, bits int) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	max := uint64(1)<<bits - 1
	for _, c := range b {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		v = v*uint64(base) + d
		if v > max {
			return 0, false
		}
	}
	return v, true
}

// parseAddrPort reads "0A000001:0050" or "[2001:0db8:...:0001]:0050"; an
// IPv4 address comes back in the first 4 bytes.
func parseAddrPort(s []byte) (ipvs.Family, [16]byte, uint16, error) {
	var addr [16]byte
	i := bytes.LastIndexByte(s, ':')
	if i < 0 {
		return 0, addr, 0, fmt.Errorf("malformed address %q", s)
	}
	port, ok := parseUint(s[i+1:], 16, 16)
	if !ok {
		return 0, addr, 0, fmt.Errorf("malformed port in %q", s)
	}
	host := s[:i]
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		a, err := netip.ParseAddr(string(host[1 : len(host)-1]))
		if err != nil || !a.Is6() || a.Zone() != "" {
			return 0, addr, 0, fmt.Errorf("malformed IPv6 address in %q", s)
		}
		return ipvs.INET6, a.As16(), uint16(port), nil
	}
	if len(host) != 8 {
		return 0, addr, 0, fmt.Errorf("malformed IPv4 address in %q", s)
	}
	if _, err := hex.Decode(addr[:4], host); err != nil {
		return 0, addr, 0, fmt.Errorf("malformed IPv4 address in %q", s)
	}
	return ipvs.INET, addr, uint16(port), nil
}
