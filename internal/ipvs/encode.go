package ipvs

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/mdlayher/netlink"
)

// This file turns the model into request attributes, in exactly the order
// and layout ipvsadm 1.31 sends them.

// addr16 returns a as the kernel's 16-byte union nf_inet_addr: an IPv4
// address fills the first 4 bytes, the rest stay zero. The zero Addr gives
// 16 zero bytes. For family INET an IPv4-mapped IPv6 address is unmapped.
func addr16(f Family, a netip.Addr) []byte {
	if f == INET {
		a = a.Unmap()
	}
	b := make([]byte, 16)
	switch {
	case a.Is4():
		v := a.As4()
		copy(b, v[:])
	case a.Is6():
		v := a.As16()
		copy(b, v[:])
	}
	return b
}

// be16 returns v in network byte order.
func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// seconds returns d in whole seconds as the kernel's u32, clamped to its
// range.
func seconds(d time.Duration) uint32 {
	s := d / time.Second
	switch {
	case s < 0:
		return 0
	case s > 0xffffffff:
		return 0xffffffff
	}
	return uint32(s)
}

// defaultNetmask is the netmask ipvsadm sends when none is given: all ones
// for IPv4, a prefix length of 128 for IPv6.
func defaultNetmask(f Family) uint32 {
	if f == INET6 {
		return 128
	}
	return 0xffffffff
}

// encodeKey adds the attributes that identify a service: AF, then FWMARK or
// PROTOCOL, ADDR and PORT.
func encodeKey(ae *netlink.AttributeEncoder, k ServiceKey) {
	ae.Uint16(svcAttrAF, uint16(k.Family))
	if k.FWMark != 0 {
		ae.Uint32(svcAttrFWMark, k.FWMark)
		return
	}
	ae.Uint16(svcAttrProtocol, uint16(k.Protocol))
	ae.Bytes(svcAttrAddr, addr16(k.Family, k.Addr))
	ae.Bytes(svcAttrPort, be16(k.Port))
}

// encodeService adds the full service nest's contents: the key, SCHED_NAME,
// PE_NAME (only if set), FLAGS with an all-ones mask, TIMEOUT and NETMASK.
func encodeService(ae *netlink.AttributeEncoder, s Service) {
	encodeKey(ae, s.ServiceKey)
	ae.String(svcAttrSchedName, s.Scheduler)
	if s.PE != "" {
		ae.String(svcAttrPEName, s.PE)
	}
	flags := binary.NativeEndian.AppendUint32(nil, uint32(s.Flags))
	flags = binary.NativeEndian.AppendUint32(flags, 0xffffffff)
	ae.Bytes(svcAttrFlags, flags)
	ae.Uint32(svcAttrTimeout, seconds(s.Timeout))
	if s.Family == INET6 {
		ae.Uint32(svcAttrNetmask, s.Netmask)
	} else {
		// The IPv4 mask travels as its four bytes in network order.
		ae.Bytes(svcAttrNetmask, binary.BigEndian.AppendUint32(nil, s.Netmask))
	}
}

// keyService is the service nest ipvsadm sends when a command only names a
// service: the key, with an empty scheduler, no flags, no timeout and the
// given netmask.
func keyService(k ServiceKey, netmask uint32) Service {
	return Service{ServiceKey: k, Netmask: netmask}
}

// serviceNest returns an encoder of the full service nest for s.
func serviceNest(s Service) func(*netlink.AttributeEncoder) error {
	return func(ae *netlink.AttributeEncoder) error {
		encodeService(ae, s)
		return nil
	}
}

// keyNest returns an encoder of a service nest holding only the key, as
// GET_DEST dumps want it.
func keyNest(k ServiceKey) func(*netlink.AttributeEncoder) error {
	return func(ae *netlink.AttributeEncoder) error {
		encodeKey(ae, k)
		return nil
	}
}

// encodeDestination adds the destination nest's contents: ADDR_FAMILY
// (the service's family when d.Family is 0), ADDR, PORT, FWD_METHOD,
// WEIGHT, TUN_TYPE, TUN_PORT, TUN_FLAGS, U_THRESH and L_THRESH.
func encodeDestination(ae *netlink.AttributeEncoder, svcFamily Family, d Destination) {
	f := d.Family
	if f == 0 {
		f = svcFamily
	}
	ae.Uint16(destAttrAddrFamily, uint16(f))
	ae.Bytes(destAttrAddr, addr16(f, d.Addr))
	ae.Bytes(destAttrPort, be16(d.Port))
	ae.Uint32(destAttrFwdMethod, uint32(d.Method))
	ae.Uint32(destAttrWeight, d.Weight)
	ae.Uint8(destAttrTunType, uint8(d.TunnelType))
	ae.Bytes(destAttrTunPort, be16(d.TunnelPort))
	ae.Uint16(destAttrTunFlags, uint16(d.TunnelFlags))
	ae.Uint32(destAttrUThresh, d.UpperThreshold)
	ae.Uint32(destAttrLThresh, d.LowerThreshold)
}

// encodeStartDaemon adds the NEW_DAEMON nest's contents: STATE, MCAST_IFN,
// SYNC_ID, then SYNC_MAXLEN, MCAST_PORT and MCAST_TTL each only if
// non-zero, then MCAST_GROUP6 or MCAST_GROUP only if a group is given.
func encodeStartDaemon(ae *netlink.AttributeEncoder, d Daemon) {
	encodeStopDaemon(ae, d)
	if d.MaxLen != 0 {
		ae.Uint16(daemonAttrSyncMaxLen, d.MaxLen)
	}
	if d.Port != 0 {
		ae.Uint16(daemonAttrMcastPort, d.Port)
	}
	if d.TTL != 0 {
		ae.Uint8(daemonAttrMcastTTL, d.TTL)
	}
	switch {
	case d.Group.Is4():
		v := d.Group.As4()
		ae.Bytes(daemonAttrMcastGroup, v[:])
	case d.Group.Is6():
		v := d.Group.As16()
		ae.Bytes(daemonAttrMcastGroup6, v[:])
	}
}

// encodeStopDaemon adds the DEL_DAEMON nest's contents: STATE, MCAST_IFN
// and SYNC_ID.
func encodeStopDaemon(ae *netlink.AttributeEncoder, d Daemon) {
	ae.Uint32(daemonAttrState, uint32(d.State))
	ae.String(daemonAttrMcastIfn, d.Interface)
	ae.Uint32(daemonAttrSyncID, d.SyncID)
}

// encodeTimeouts adds TIMEOUT_TCP, TIMEOUT_TCP_FIN and TIMEOUT_UDP, zeros
// included (zero leaves a timeout unchanged).
func encodeTimeouts(ae *netlink.AttributeEncoder, t Timeouts) {
	ae.Uint32(cmdAttrTimeoutTCP, seconds(t.TCP))
	ae.Uint32(cmdAttrTimeoutTCPFin, seconds(t.TCPFin))
	ae.Uint32(cmdAttrTimeoutUDP, seconds(t.UDP))
}
