package proctable

// This file keeps the first version of the reader, which split lines with
// strings.Fields and parsed with strconv, as a reference: FuzzReadAgrees
// checks that the allocation-free reader accepts and rejects the same
// texts and reads the same table from them. Two changes make it the
// reference for what the reader means to do: fields are split at ASCII
// white space only (the kernel writes spaces), and an IPv6 address with a
// zone is malformed (the kernel never writes one).

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// refTable holds the destinations of every service the text listed, compactly
// (a large table holds hundreds of thousands): all of them in one slice,
// each service's a refSpan of it.
type refTable struct {
	all   []refEntry
	dests map[ipvs.ServiceKey]refSpan
	// ambiguous holds firewall marks listed more than once: the text does
	// not say a service's family, so an IPv4 and an IPv6 service with the
	// same mark cannot be told apart.
	ambiguous map[uint32]bool
}

// refEntry is what the text says of a destination.
type refEntry struct {
	addr                     netip.Addr
	port                     uint16
	family                   ipvs.Family
	method                   ipvs.ForwardMethod
	weight, active, inactive uint32
}

// refSpan is where a service's destinations are in refTable.all.
type refSpan struct{ start, end int32 }

// Destinations returns the destinations of the service key names, in the
// kernel's order, and whether the table knows that service; the slice is
// the caller's. The zero refTable knows no service.
func (t *refTable) destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, bool) {
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

// Read parses the text of File.
func readRef(r io.Reader) (*refTable, error) {
	t := &refTable{dests: map[ipvs.ServiceKey]refSpan{}, ambiguous: map[uint32]bool{}}
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
			d, perr := refParseDestination(line[5:])
			if perr != nil {
				return nil, fmt.Errorf("%s line %d: %w", File, n, perr)
			}
			t.all = append(t.all, d)
			sp := t.dests[cur]
			sp.end = int32(len(t.all))
			t.dests[cur] = sp
			continue
		}
		key, perr := refParseService(line)
		if perr != nil {
			return nil, fmt.Errorf("%s line %d: %w", File, n, perr)
		}
		if _, dup := t.dests[key]; dup && key.FWMark != 0 {
			t.ambiguous[key.FWMark] = true
		}
		cur, have = key, true
		t.dests[key] = refSpan{int32(len(t.all)), int32(len(t.all))}
	}
}

var refProtocols = map[string]ipvs.Protocol{"TCP": ipvs.TCP, "UDP": ipvs.UDP, "SCTP": ipvs.SCTP}

// refParseService reads the key of a service line.
func refParseService(line string) (ipvs.ServiceKey, error) {
	f := strings.FieldsFunc(line, refIsSpace)
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
	proto, ok := refProtocols[f[0]]
	if !ok {
		return ipvs.ServiceKey{}, fmt.Errorf("unknown protocol %q", f[0])
	}
	family, addr, port, err := refParseAddrPort(f[1])
	if err != nil {
		return ipvs.ServiceKey{}, err
	}
	return ipvs.ServiceKey{Family: family, Protocol: proto, Addr: addr, Port: port}, nil
}

var refMethods = map[string]ipvs.ForwardMethod{"Masq": ipvs.Masquerade, "Local": ipvs.Local, "Tunnel": ipvs.Tunnel, "Route": ipvs.Route}

// refParseDestination reads "ADDR:PORT      METHOD WEIGHT ACTIVE INACTIVE".
func refParseDestination(s string) (refEntry, error) {
	f := strings.FieldsFunc(s, refIsSpace)
	if len(f) != 5 {
		return refEntry{}, fmt.Errorf("malformed destination %q", s)
	}
	family, addr, port, err := refParseAddrPort(f[0])
	if err != nil {
		return refEntry{}, err
	}
	method, ok := refMethods[f[1]]
	if !ok {
		return refEntry{}, fmt.Errorf("unknown forwarding method %q", f[1])
	}
	var n [3]uint64
	for i := range n {
		if n[i], err = strconv.ParseUint(f[2+i], 10, 32); err != nil {
			return refEntry{}, fmt.Errorf("malformed number %q", f[2+i])
		}
	}
	return refEntry{addr: addr, port: port, family: family, method: method, weight: uint32(n[0]), active: uint32(n[1]), inactive: uint32(n[2])}, nil
}

// refParseAddrPort reads "0A000001:0050" or "[2001:0db8:...:0001]:0050".
func refParseAddrPort(s string) (ipvs.Family, netip.Addr, uint16, error) {
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
		if err != nil || !a.Is6() || a.Zone() != "" {
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

func refIsSpace(r rune) bool { return r < 0x80 && ipvstext.IsSpace(byte(r)) }
