package ipvs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// errInvalidReply is wrapped by every error about a kernel reply that cannot
// be decoded: a missing mandatory attribute, an attribute of the wrong size,
// malformed attribute framing.
var errInvalidReply = errors.New("invalid IPVS reply")

// invalid returns an error wrapping errInvalidReply.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInvalidReply, fmt.Sprintf(format, args...))
}

// attrReader walks the netlink attributes of b in place (without copying
// them, unlike netlink.AttributeDecoder: listings decode tens of
// attributes per destination). A framing error or a value of the wrong
// size stops the walk; err then says why, wrapping errInvalidReply.
type attrReader struct {
	b    []byte // what is left after the current attribute
	typ  uint16 // the current attribute's type, without the flag bits
	data []byte // the current attribute's value
	err  error
}

// nlaTypeMask drops NLA_F_NESTED and NLA_F_NET_BYTEORDER from a type.
const nlaTypeMask = 0x3fff

// next moves to the next attribute and reports whether there is one.
func (r *attrReader) next() bool {
	if r.err != nil || len(r.b) == 0 {
		return false
	}
	if len(r.b) < 4 {
		r.err = invalid("attribute header of %d bytes", len(r.b))
		return false
	}
	n := int(binary.NativeEndian.Uint16(r.b))
	if n < 4 || n > len(r.b) {
		r.err = invalid("attribute of length %d with %d bytes left", n, len(r.b))
		return false
	}
	r.typ = binary.NativeEndian.Uint16(r.b[2:]) & nlaTypeMask
	r.data = r.b[4:n]
	r.b = r.b[min((n+3)&^3, len(r.b)):]
	return true
}

// sized returns the value if it has n bytes; otherwise it stops the walk.
func (r *attrReader) sized(n int, what string) []byte {
	if len(r.data) != n {
		r.err = invalid("attribute %d is not a %s: %d bytes", r.typ, what, len(r.data))
		r.b = nil
		return make([]byte, n)
	}
	return r.data
}

func (r *attrReader) u8() uint8   { return r.sized(1, "u8")[0] }
func (r *attrReader) u16() uint16 { return binary.NativeEndian.Uint16(r.sized(2, "u16")) }
func (r *attrReader) u32() uint32 { return binary.NativeEndian.Uint32(r.sized(4, "u32")) }
func (r *attrReader) u64() uint64 { return binary.NativeEndian.Uint64(r.sized(8, "u64")) }

// be16 reads a network-order u16.
func (r *attrReader) be16() uint16 { return binary.BigEndian.Uint16(r.sized(2, "u16")) }

// str reads a NUL-terminated string (every trailing NUL is dropped).
func (r *attrReader) str() string { return string(bytes.TrimRight(r.data, "\x00")) }

// nested returns the contents of the top-level attribute typ of a reply
// message's payload, which must be present.
func nested(b []byte, typ uint16, what string) ([]byte, error) {
	var nest []byte
	found := false
	r := attrReader{b: b}
	for r.next() {
		if r.typ == typ {
			nest, found = r.data, true
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if !found {
		return nil, invalid("no %s attribute", what)
	}
	return nest, nil
}

// attrSet records which attribute types (all below 64) a nest held.
type attrSet uint64

func (s *attrSet) add(t uint16) {
	if t < 64 {
		*s |= 1 << t
	}
}

func (s attrSet) has(t uint16) bool { return t < 64 && s&(1<<t) != 0 }

// decodeAddr turns a 16-byte union nf_inet_addr into an address of family
// f. IPv4 addresses are the first four bytes.
func decodeAddr(f Family, b []byte) (netip.Addr, error) {
	switch f {
	case INET:
		if len(b) < 4 {
			return netip.Addr{}, invalid("IPv4 address of %d bytes", len(b))
		}
		return netip.AddrFrom4([4]byte(b[:4])), nil
	case INET6:
		if len(b) < 16 {
			return netip.Addr{}, invalid("IPv6 address of %d bytes", len(b))
		}
		return netip.AddrFrom16([16]byte(b[:16])), nil
	}
	return netip.Addr{}, invalid("address of unknown family %d", uint16(f))
}

// decodeStats decodes a STATS (is64 false) or STATS64 (is64 true) nest.
func decodeStats(b []byte, is64 bool) (Stats, error) {
	var s Stats
	r := attrReader{b: b}
	for r.next() {
		var p *uint64
		switch r.typ {
		case statsConns:
			p = &s.Connections
		case statsInPkts:
			p = &s.PacketsIn
		case statsOutPkts:
			p = &s.PacketsOut
		case statsInBytes:
			p = &s.BytesIn
		case statsOutBytes:
			p = &s.BytesOut
		case statsCPS:
			p = &s.CPS
		case statsInPPS:
			p = &s.PPSIn
		case statsOutPPS:
			p = &s.PPSOut
		case statsInBPS:
			p = &s.BPSIn
		case statsOutBPS:
			p = &s.BPSOut
		default:
			continue // IPVS_STATS_ATTR_PAD and anything newer
		}
		if is64 || r.typ == statsInBytes || r.typ == statsOutBytes {
			*p = r.u64()
		} else {
			*p = uint64(r.u32())
		}
	}
	return s, r.err
}

// pickStats decodes STATS64 if present, else STATS, else returns zeros.
func pickStats(stats, stats64 []byte) (Stats, error) {
	switch {
	case stats64 != nil:
		return decodeStats(stats64, true)
	case stats != nil:
		return decodeStats(stats, false)
	}
	return Stats{}, nil
}

// decodeServiceMessage decodes the payload of a service reply: a SERVICE
// nest at the top level.
func decodeServiceMessage(b []byte) (ServiceEntry, error) {
	nest, err := nested(b, cmdAttrService, "service")
	if err != nil {
		return ServiceEntry{}, err
	}
	return decodeService(nest)
}

// decodeService decodes the contents of a service nest. AF, FWMARK or
// PROTOCOL+ADDR+PORT, SCHED_NAME, FLAGS, TIMEOUT and NETMASK are mandatory.
func decodeService(b []byte) (ServiceEntry, error) {
	var (
		e                             ServiceEntry
		addr, netmask, stats, stats64 []byte
		has                           attrSet
	)
	r := attrReader{b: b}
	for r.next() {
		switch r.typ {
		case svcAttrAF:
			e.Family = Family(r.u16())
		case svcAttrProtocol:
			e.Protocol = Protocol(r.u16())
		case svcAttrAddr:
			addr = r.data
		case svcAttrPort:
			e.Port = r.be16()
		case svcAttrFWMark:
			e.FWMark = r.u32()
		case svcAttrSchedName:
			e.Scheduler = r.str()
		case svcAttrPEName:
			e.PE = r.str()
		case svcAttrFlags:
			v := r.sized(8, "flags and mask pair")
			e.Flags = ServiceFlags(binary.NativeEndian.Uint32(v[:4]) & binary.NativeEndian.Uint32(v[4:]))
		case svcAttrTimeout:
			e.Timeout = time.Duration(r.u32()) * time.Second
		case svcAttrNetmask:
			netmask = r.sized(4, "netmask")
		case svcAttrStats:
			stats = r.data
		case svcAttrStats64:
			stats64 = r.data
		default:
			continue
		}
		has.add(r.typ)
	}
	if r.err != nil {
		return ServiceEntry{}, r.err
	}

	for _, m := range []struct {
		typ  uint16
		name string
	}{
		{svcAttrAF, "AF"},
		{svcAttrSchedName, "SCHED_NAME"},
		{svcAttrFlags, "FLAGS"},
		{svcAttrTimeout, "TIMEOUT"},
		{svcAttrNetmask, "NETMASK"},
	} {
		if !has.has(m.typ) {
			return ServiceEntry{}, invalid("service without %s", m.name)
		}
	}

	if e.FWMark != 0 {
		// A firewall-mark service has no protocol, address or port.
		e.Protocol, e.Port = 0, 0
	} else {
		if !has.has(svcAttrProtocol) || !has.has(svcAttrAddr) || !has.has(svcAttrPort) {
			return ServiceEntry{}, invalid("service without FWMARK or PROTOCOL, ADDR and PORT")
		}
		var err error
		if e.Addr, err = decodeAddr(e.Family, addr); err != nil {
			return ServiceEntry{}, err
		}
	}

	if e.Family == INET6 {
		e.Netmask = binary.NativeEndian.Uint32(netmask)
	} else {
		e.Netmask = binary.BigEndian.Uint32(netmask)
	}

	var err error
	if e.Stats, err = pickStats(stats, stats64); err != nil {
		return ServiceEntry{}, err
	}
	return e, nil
}

// decodeDestinationMessage decodes the payload of a destination reply: a
// DEST nest at the top level. svcFamily stands in for a missing
// ADDR_FAMILY.
func decodeDestinationMessage(b []byte, svcFamily Family) (DestinationEntry, error) {
	nest, err := nested(b, cmdAttrDest, "destination")
	if err != nil {
		return DestinationEntry{}, err
	}
	return decodeDestination(nest, svcFamily)
}

// decodeDestination decodes the contents of a destination nest. ADDR,
// PORT, FWD_METHOD, WEIGHT, U_THRESH, L_THRESH and the three connection
// counters are mandatory; ADDR_FAMILY defaults to svcFamily and the tunnel
// attributes to zero.
func decodeDestination(b []byte, svcFamily Family) (DestinationEntry, error) {
	var (
		e                    DestinationEntry
		addr, stats, stats64 []byte
		has                  attrSet
	)
	e.Family = svcFamily
	r := attrReader{b: b}
	for r.next() {
		switch r.typ {
		case destAttrAddrFamily:
			e.Family = Family(r.u16())
		case destAttrAddr:
			addr = r.data
		case destAttrPort:
			e.Port = r.be16()
		case destAttrFwdMethod:
			e.Method = ForwardMethod(r.u32())
		case destAttrWeight:
			e.Weight = r.u32()
		case destAttrUThresh:
			e.UpperThreshold = r.u32()
		case destAttrLThresh:
			e.LowerThreshold = r.u32()
		case destAttrActiveConns:
			e.ActiveConns = r.u32()
		case destAttrInactConns:
			e.InactiveConns = r.u32()
		case destAttrPersistConns:
			e.PersistentConns = r.u32()
		case destAttrStats:
			stats = r.data
		case destAttrStats64:
			stats64 = r.data
		case destAttrTunType:
			e.TunnelType = TunnelType(r.u8())
		case destAttrTunPort:
			e.TunnelPort = r.be16()
		case destAttrTunFlags:
			e.TunnelFlags = TunnelFlags(r.u16())
		default:
			continue
		}
		has.add(r.typ)
	}
	if r.err != nil {
		return DestinationEntry{}, r.err
	}

	for _, m := range []struct {
		typ  uint16
		name string
	}{
		{destAttrAddr, "ADDR"},
		{destAttrPort, "PORT"},
		{destAttrFwdMethod, "FWD_METHOD"},
		{destAttrWeight, "WEIGHT"},
		{destAttrUThresh, "U_THRESH"},
		{destAttrLThresh, "L_THRESH"},
		{destAttrActiveConns, "ACTIVE_CONNS"},
		{destAttrInactConns, "INACT_CONNS"},
		{destAttrPersistConns, "PERSIST_CONNS"},
	} {
		if !has.has(m.typ) {
			return DestinationEntry{}, invalid("destination without %s", m.name)
		}
	}

	var err error
	if e.Addr, err = decodeAddr(e.Family, addr); err != nil {
		return DestinationEntry{}, err
	}
	if e.Stats, err = pickStats(stats, stats64); err != nil {
		return DestinationEntry{}, err
	}
	return e, nil
}

// decodeDaemonMessage decodes the payload of a daemon reply: a DAEMON nest
// at the top level.
func decodeDaemonMessage(b []byte) (Daemon, error) {
	nest, err := nested(b, cmdAttrDaemon, "daemon")
	if err != nil {
		return Daemon{}, err
	}
	return decodeDaemon(nest)
}

// decodeDaemon decodes the contents of a daemon nest. STATE, MCAST_IFN and
// SYNC_ID are mandatory. MCAST_GROUP is preferred to MCAST_GROUP6; an
// all-zero group is reported as the zero Addr.
func decodeDaemon(b []byte) (Daemon, error) {
	var (
		d              Daemon
		group, group6  []byte
		state, ifn, id bool
	)
	r := attrReader{b: b}
	for r.next() {
		switch r.typ {
		case daemonAttrState:
			d.State, state = DaemonState(r.u32()), true
		case daemonAttrMcastIfn:
			d.Interface, ifn = r.str(), true
		case daemonAttrSyncID:
			d.SyncID, id = r.u32(), true
		case daemonAttrSyncMaxLen:
			d.MaxLen = r.u16()
		case daemonAttrMcastPort:
			d.Port = r.u16()
		case daemonAttrMcastTTL:
			d.TTL = r.u8()
		case daemonAttrMcastGroup:
			group = r.sized(4, "daemon IPv4 group")
		case daemonAttrMcastGroup6:
			group6 = r.sized(16, "daemon IPv6 group")
		}
	}
	if r.err != nil {
		return Daemon{}, r.err
	}
	switch {
	case !state:
		return Daemon{}, invalid("daemon without STATE")
	case !ifn:
		return Daemon{}, invalid("daemon without MCAST_IFN")
	case !id:
		return Daemon{}, invalid("daemon without SYNC_ID")
	}
	switch {
	case group != nil:
		if a := netip.AddrFrom4([4]byte(group)); !a.IsUnspecified() {
			d.Group = a
		}
	case group6 != nil:
		if a := netip.AddrFrom16([16]byte(group6)); !a.IsUnspecified() {
			d.Group = a
		}
	}
	return d, nil
}

// decodeInfo decodes the payload of a GET_INFO reply; both VERSION and
// CONN_TAB_SIZE are mandatory.
func decodeInfo(b []byte) (Info, error) {
	var (
		info             Info
		version, tabSize bool
	)
	r := attrReader{b: b}
	for r.next() {
		switch r.typ {
		case infoAttrVersion:
			v := r.u32()
			info.Version = Version{Major: uint8(v >> 16), Minor: uint8(v >> 8), Patch: uint8(v)}
			version = true
		case infoAttrConnTabSize:
			info.ConnTableSize, tabSize = r.u32(), true
		}
	}
	if r.err != nil {
		return Info{}, r.err
	}
	if !version || !tabSize {
		return Info{}, invalid("info without VERSION or CONN_TAB_SIZE")
	}
	return info, nil
}

// decodeTimeouts decodes the payload of a GET_CONFIG reply; every timeout
// is optional and zero when absent.
func decodeTimeouts(b []byte) (Timeouts, error) {
	var t Timeouts
	r := attrReader{b: b}
	for r.next() {
		switch r.typ {
		case cmdAttrTimeoutTCP:
			t.TCP = time.Duration(r.u32()) * time.Second
		case cmdAttrTimeoutTCPFin:
			t.TCPFin = time.Duration(r.u32()) * time.Second
		case cmdAttrTimeoutUDP:
			t.UDP = time.Duration(r.u32()) * time.Second
		}
	}
	if r.err != nil {
		return Timeouts{}, r.err
	}
	return t, nil
}
