package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/netlink"
)

// ErrInvalidReply is wrapped by every error about a kernel reply that cannot
// be decoded: a missing mandatory attribute, an attribute of the wrong size,
// malformed attribute framing.
var ErrInvalidReply = errors.New("invalid IPVS reply")

// invalid returns an error wrapping ErrInvalidReply.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidReply, fmt.Sprintf(format, args...))
}

// decodeAttrs runs fn over the attributes in b and wraps any framing or
// length error, from the decoder or from fn, in ErrInvalidReply.
func decodeAttrs(b []byte, fn func(ad *netlink.AttributeDecoder) error) error {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return invalid("%v", err)
	}
	if err := fn(ad); err != nil {
		if errors.Is(err, ErrInvalidReply) {
			return err
		}
		return invalid("%v", err)
	}
	if err := ad.Err(); err != nil {
		if errors.Is(err, ErrInvalidReply) {
			return err
		}
		return invalid("%v", err)
	}
	return nil
}

// nested returns the contents of the top-level attribute typ of a reply
// message's payload, which must be present.
func nested(b []byte, typ uint16, what string) ([]byte, error) {
	var (
		nest  []byte
		found bool
	)
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			if ad.Type() == typ {
				nest, found = ad.Bytes(), true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
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

// u16be reads a network-order u16 attribute.
func u16be(ad *netlink.AttributeDecoder) uint16 {
	var v uint16
	ad.Do(func(b []byte) error {
		if len(b) != 2 {
			return invalid("attribute %d is not a u16: %d bytes", ad.Type(), len(b))
		}
		v = binary.BigEndian.Uint16(b)
		return nil
	})
	return v
}

// decodeStats decodes a STATS (is64 false) or STATS64 (is64 true) nest.
func decodeStats(b []byte, is64 bool) (Stats, error) {
	var s Stats
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			var p *uint64
			switch ad.Type() {
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
			if is64 || ad.Type() == statsInBytes || ad.Type() == statsOutBytes {
				*p = ad.Uint64()
			} else {
				*p = uint64(ad.Uint32())
			}
		}
		return nil
	})
	return s, err
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
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			t := ad.Type()
			switch t {
			case svcAttrAF:
				e.Family = Family(ad.Uint16())
			case svcAttrProtocol:
				e.Protocol = Protocol(ad.Uint16())
			case svcAttrAddr:
				addr = ad.Bytes()
			case svcAttrPort:
				e.Port = u16be(ad)
			case svcAttrFWMark:
				e.FWMark = ad.Uint32()
			case svcAttrSchedName:
				e.Scheduler = ad.String()
			case svcAttrPEName:
				e.PE = ad.String()
			case svcAttrFlags:
				ad.Do(func(b []byte) error {
					if len(b) != 8 {
						return invalid("service flags of %d bytes", len(b))
					}
					flags := binary.NativeEndian.Uint32(b[:4])
					mask := binary.NativeEndian.Uint32(b[4:])
					e.Flags = ServiceFlags(flags & mask)
					return nil
				})
			case svcAttrTimeout:
				e.Timeout = time.Duration(ad.Uint32()) * time.Second
			case svcAttrNetmask:
				netmask = ad.Bytes()
				if len(netmask) != 4 {
					return invalid("service netmask of %d bytes", len(netmask))
				}
			case svcAttrStats:
				stats = ad.Bytes()
			case svcAttrStats64:
				stats64 = ad.Bytes()
			default:
				continue
			}
			has.add(t)
		}
		return nil
	})
	if err != nil {
		return ServiceEntry{}, err
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
		if e.Addr, err = decodeAddr(e.Family, addr); err != nil {
			return ServiceEntry{}, err
		}
	}

	if e.Family == INET6 {
		e.Netmask = binary.NativeEndian.Uint32(netmask)
	} else {
		e.Netmask = binary.BigEndian.Uint32(netmask)
	}

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
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			t := ad.Type()
			switch t {
			case destAttrAddrFamily:
				e.Family = Family(ad.Uint16())
			case destAttrAddr:
				addr = ad.Bytes()
			case destAttrPort:
				e.Port = u16be(ad)
			case destAttrFwdMethod:
				e.Method = ForwardMethod(ad.Uint32())
			case destAttrWeight:
				e.Weight = ad.Uint32()
			case destAttrUThresh:
				e.UpperThreshold = ad.Uint32()
			case destAttrLThresh:
				e.LowerThreshold = ad.Uint32()
			case destAttrActiveConns:
				e.ActiveConns = ad.Uint32()
			case destAttrInactConns:
				e.InactiveConns = ad.Uint32()
			case destAttrPersistConns:
				e.PersistentConns = ad.Uint32()
			case destAttrStats:
				stats = ad.Bytes()
			case destAttrStats64:
				stats64 = ad.Bytes()
			case destAttrTunType:
				e.TunnelType = TunnelType(ad.Uint8())
			case destAttrTunPort:
				e.TunnelPort = u16be(ad)
			case destAttrTunFlags:
				e.TunnelFlags = TunnelFlags(ad.Uint16())
			default:
				continue
			}
			has.add(t)
		}
		return nil
	})
	if err != nil {
		return DestinationEntry{}, err
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
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			switch ad.Type() {
			case daemonAttrState:
				d.State, state = DaemonState(ad.Uint32()), true
			case daemonAttrMcastIfn:
				d.Interface, ifn = ad.String(), true
			case daemonAttrSyncID:
				d.SyncID, id = ad.Uint32(), true
			case daemonAttrSyncMaxLen:
				d.MaxLen = ad.Uint16()
			case daemonAttrMcastPort:
				d.Port = ad.Uint16()
			case daemonAttrMcastTTL:
				d.TTL = ad.Uint8()
			case daemonAttrMcastGroup:
				if group = ad.Bytes(); len(group) != 4 {
					return invalid("daemon IPv4 group of %d bytes", len(group))
				}
			case daemonAttrMcastGroup6:
				if group6 = ad.Bytes(); len(group6) != 16 {
					return invalid("daemon IPv6 group of %d bytes", len(group6))
				}
			}
		}
		return nil
	})
	if err != nil {
		return Daemon{}, err
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
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			switch ad.Type() {
			case infoAttrVersion:
				v := ad.Uint32()
				info.Version = Version{Major: uint8(v >> 16), Minor: uint8(v >> 8), Patch: uint8(v)}
				version = true
			case infoAttrConnTabSize:
				info.ConnTableSize, tabSize = ad.Uint32(), true
			}
		}
		return nil
	})
	if err != nil {
		return Info{}, err
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
	err := decodeAttrs(b, func(ad *netlink.AttributeDecoder) error {
		for ad.Next() {
			switch ad.Type() {
			case cmdAttrTimeoutTCP:
				t.TCP = time.Duration(ad.Uint32()) * time.Second
			case cmdAttrTimeoutTCPFin:
				t.TCPFin = time.Duration(ad.Uint32()) * time.Second
			case cmdAttrTimeoutUDP:
				t.UDP = time.Duration(ad.Uint32()) * time.Second
			}
		}
		return nil
	})
	if err != nil {
		return Timeouts{}, err
	}
	return t, nil
}
