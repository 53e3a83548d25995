// Package proctable reads the kernel's IPVS table from /proc/net/ip_vs:
// every service with its destinations in one read, which is much cheaper
// for the kernel than one destination dump per service. The text holds
// only what a plain listing shows of a destination (address, port,
// forwarding method, weight, active and inactive connections), so callers
// take everything else from the netlink service dump and join the two by
// service key.
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
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// File is where the kernel shows the table of the reader's network
// namespace.
const File = "/proc/net/ip_vs"

// Table holds the destinations of every service the text listed, compactly
// (a large table holds hundreds of thousands): all of them in one slice,
// each service's a span of it.
type Table struct {
	all   []entry
	dests map[ipvs.ServiceKey]span
	// ambiguous holds firewall marks listed more than once: the text does
	// not say a service's family, so an IPv4 and an IPv6 service with the
	// same mark cannot be told apart.
	ambiguous map[uint32]bool
}

// entry is what the text says of a destination.
type entry struct {
	addr                     netip.Addr
	port                     uint16
	family                   ipvs.Family
	method                   ipvs.ForwardMethod
	weight, active, inactive uint32
}

// span is where a service's destinations are in Table.all.
type span struct{ start, end int32 }

// Destinations returns the destinations of the service key names, in the
// kernel's order, and whether the table knows that service; the slice is
// the caller's. The zero Table knows no service.
func (t *Table) Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, bool) {
	if t.dests == nil {
		return nil, false
	}
	if key.FWMark != 0 {
		if t.ambiguous[key.FWMark] {
			return nil, false
		}
		key = ipvs.ServiceKey{FWMark: key.FWMark}
	}
	sp, ok := t.dests[key]
	if !ok {
		return nil, false
	}
	out := make([]ipvs.DestinationEntry, 0, sp.end-sp.start)
	for _, d := range t.all[sp.start:sp.end] {
		out = append(out, ipvs.DestinationEntry{
			Destination: ipvs.Destination{Family: d.family, Addr: d.addr, Port: d.port, Method: d.method, Weight: d.weight},
			ActiveConns: d.active, InactiveConns: d.inactive,
		})
	}
	return out, true
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
	t := &Table{dests: map[ipvs.ServiceKey]span{}, ambiguous: map[uint32]bool{}}
	br := bufio.NewReaderSize(r, 64<<10)
	var (
		cur  ipvs.ServiceKey
		have bool
	)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if line == "" && err != nil {
			if err == io.EOF {
				return t, nil
			}
			return nil, fmt.Errorf("reading %s: %w", File, err)
		}
		if n <= 3 { // version line and the two title lines
			continue
		}
		if strings.HasPrefix(line, "  -> ") {
			if !have {
				return nil, fmt.Errorf("%s line %d: destination before any service", File, n)
			}
			d, perr := parseDestination(line[5:])
			if perr != nil {
				return nil, fmt.Errorf("%s line %d: %w", File, n, perr)
			}
			t.all = append(t.all, d)
			sp := t.dests[cur]
			sp.end = int32(len(t.all))
			t.dests[cur] = sp
			continue
		}
		key, perr := parseService(line)
		if perr != nil {
			return nil, fmt.Errorf("%s line %d: %w", File, n, perr)
		}
		if _, dup := t.dests[key]; dup && key.FWMark != 0 {
			t.ambiguous[key.FWMark] = true
		}
		cur, have = key, true
		t.dests[key] = span{int32(len(t.all)), int32(len(t.all))}
	}
}

var protocols = map[string]ipvs.Protocol{"TCP": ipvs.TCP, "UDP": ipvs.UDP, "SCTP": ipvs.SCTP}

// parseService reads the key of a service line.
func parseService(line string) (ipvs.ServiceKey, error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return ipvs.ServiceKey{}, fmt.Errorf("malformed service line %q", line)
	}
	if f[0] == "FWM" {
		mark, err := strconv.ParseUint(f[1], 16, 32)
		if err != nil || mark == 0 {
			return ipvs.ServiceKey{}, fmt.Errorf("malformed firewall mark %q", f[1])
		}
		return ipvs.ServiceKey{FWMark: uint32(mark)}, nil
	}
	proto, ok := protocols[f[0]]
	if !ok {
		return ipvs.ServiceKey{}, fmt.Errorf("unknown protocol %q", f[0])
	}
	family, addr, port, err := parseAddrPort(f[1])
	if err != nil {
		return ipvs.ServiceKey{}, err
	}
	return ipvs.ServiceKey{Family: family, Protocol: proto, Addr: addr, Port: port}, nil
}

var methods = map[string]ipvs.ForwardMethod{"Masq": ipvs.Masquerade, "Local": ipvs.Local, "Tunnel": ipvs.Tunnel, "Route": ipvs.Route}

// parseDestination reads "ADDR:PORT      METHOD WEIGHT ACTIVE INACTIVE".
func parseDestination(s string) (entry, error) {
	f := strings.Fields(s)
	if len(f) != 5 {
		return entry{}, fmt.Errorf("malformed destination %q", s)
	}
	family, addr, port, err := parseAddrPort(f[0])
	if err != nil {
		return entry{}, err
	}
	method, ok := methods[f[1]]
	if !ok {
		return entry{}, fmt.Errorf("unknown forwarding method %q", f[1])
	}
	var n [3]uint64
	for i := range n {
		if n[i], err = strconv.ParseUint(f[2+i], 10, 32); err != nil {
			return entry{}, fmt.Errorf("malformed number %q", f[2+i])
		}
	}
	return entry{addr: addr, port: port, family: family, method: method, weight: uint32(n[0]), active: uint32(n[1]), inactive: uint32(n[2])}, nil
}

// parseAddrPort reads "0A000001:0050" or "[2001:0db8:...:0001]:0050".
func parseAddrPort(s string) (ipvs.Family, netip.Addr, uint16, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return 0, netip.Addr{}, 0, fmt.Errorf("malformed address %q", s)
	}
	port, err := strconv.ParseUint(s[i+1:], 16, 16)
	if err != nil {
		return 0, netip.Addr{}, 0, fmt.Errorf("malformed port in %q", s)
	}
	host := s[:i]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() {
			return 0, netip.Addr{}, 0, fmt.Errorf("malformed IPv6 address in %q", s)
		}
		return ipvs.INET6, a, uint16(port), nil
	}
	var b [4]byte
	if len(host) != 8 {
		return 0, netip.Addr{}, 0, fmt.Errorf("malformed IPv4 address in %q", s)
	}
	if _, err := hex.Decode(b[:], []byte(host)); err != nil {
		return 0, netip.Addr{}, 0, fmt.Errorf("malformed IPv4 address in %q", s)
	}
	return ipvs.INET, netip.AddrFrom4(b), uint16(port), nil
}
