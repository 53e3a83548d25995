package ipvs

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// This file turns the model into request attributes, in exactly the order
// and layout ipvsadm 1.31 sends them.
//
// Requests are encoded by appending straight into one buffer rather than
// with netlink.AttributeEncoder: a restore builds one request per line,
// and the encoder's allocations per attribute made encoding cost more than
// parsing the line (see BenchmarkEncodeNewDestination). The append
// functions take and return the buffer, which callers keep in a local
// variable: storing it through a pointer at every attribute would cost a
// write barrier each while the garbage collector runs.

// nlaNested is the NLA_F_NESTED bit of an attribute's type.
const nlaNested = 0x8000

// appendHeader appends an attribute's 4-byte header: its length (for a
// value of n bytes) and type, in host byte order.
func appendHeader(b []byte, typ uint16, n int) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+n))
	return binary.NativeEndian.AppendUint16(b, typ)
}

// appendPad pads b to a multiple of 4 bytes.
func appendPad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func appendU8(b []byte, typ uint16, v uint8) []byte {
	return appendPad(append(appendHeader(b, typ, 1), v))
}

func appendU16(b []byte, typ uint16, v uint16) []byte {
	return appendPad(binary.NativeEndian.AppendUint16(appendHeader(b, typ, 2), v))
}

// appendBE16 appends a 16-bit value in network byte order (ports).
func appendBE16(b []byte, typ uint16, v uint16) []byte {
	return appendPad(binary.BigEndian.AppendUint16(appendHeader(b, typ, 2), v))
}

func appendU32(b []byte, typ uint16, v uint32) []byte {
	return binary.NativeEndian.AppendUint32(appendHeader(b, typ, 4), v)
}

// appendBE32 appends a 32-bit value in network byte order (IPv4
// netmasks).
func appendBE32(b []byte, typ uint16, v uint32) []byte {
	return binary.BigEndian.AppendUint32(appendHeader(b, typ, 4), v)
}

// appendBytes appends a raw value.
func appendBytes(b []byte, typ uint16, v []byte) []byte {
	return appendPad(append(appendHeader(b, typ, len(v)), v...))
}

// appendStr appends a NUL-terminated string.
func appendStr(b []byte, typ uint16, s string) []byte {
	b = appendHeader(b, typ, len(s)+1)
	return appendPad(append(append(b, s...), 0))
}

// appendAddr appends the kernel's 16-byte union nf_inet_addr: an IPv4
// address fills the first 4 bytes, the rest stay zero; the zero Addr gives
// 16 zero bytes. For family INET an IPv4-mapped IPv6 address is unmapped.
func appendAddr(b []byte, typ uint16, f Family, a netip.Addr) []byte {
	if f == INET {
		a = a.Unmap()
	}
	var v [16]byte
	switch {
	case a.Is4():
		v4 := a.As4()
		copy(v[:], v4[:])
	case a.Is6():
		v = a.As16()
	}
	return appendBytes(b, typ, v[:])
}

// beginNest appends the header of a nested attribute whose length endNest
// fills in; off is where it starts.
func beginNest(b []byte, typ uint16) (_ []byte, off int) {
	off = len(b)
	return appendHeader(b, typ|nlaNested, 0), off
}

// endNest sets the length of the nest begun at off to end at the end of b.
func endNest(b []byte, off int) {
	binary.NativeEndian.PutUint16(b[off:], uint16(len(b)-off))
}

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

// appendKey appends the attributes that identify a service: AF, then
// FWMARK or PROTOCOL, ADDR and PORT.
func appendKey(b []byte, k ServiceKey) []byte {
	b = appendU16(b, svcAttrAF, uint16(k.Family))
	if k.FWMark != 0 {
		return appendU32(b, svcAttrFWMark, k.FWMark)
	}
	b = appendU16(b, svcAttrProtocol, uint16(k.Protocol))
	b = appendAddr(b, svcAttrAddr, k.Family, k.Addr)
	return appendBE16(b, svcAttrPort, k.Port)
}

// appendService appends the SERVICE nest with the full service: the key,
// SCHED_NAME, PE_NAME (only if set), FLAGS with an all-ones mask, TIMEOUT
// and NETMASK.
func appendService(b []byte, s Service) []byte {
	b, n := beginNest(b, cmdAttrService)
	b = appendKey(b, s.ServiceKey)
	b = appendStr(b, svcAttrSchedName, s.Scheduler)
	if s.PE != "" {
		b = appendStr(b, svcAttrPEName, s.PE)
	}
	b = appendHeader(b, svcAttrFlags, 8)
	b = binary.NativeEndian.AppendUint32(b, uint32(s.Flags))
	b = binary.NativeEndian.AppendUint32(b, 0xffffffff)
	b = appendU32(b, svcAttrTimeout, seconds(s.Timeout))
	if s.Family == INET6 {
		b = appendU32(b, svcAttrNetmask, s.Netmask)
	} else {
		// The IPv4 mask travels as its four bytes in network order.
		b = appendBE32(b, svcAttrNetmask, s.Netmask)
	}
	endNest(b, n)
	return b
}

// keyService is the service ipvsadm sends when a command only names a
// service: the key, with an empty scheduler, no flags, no timeout and the
// given netmask.
func keyService(k ServiceKey, netmask uint32) Service {
	return Service{ServiceKey: k, Netmask: netmask}
}

// appendServiceKey appends a SERVICE nest holding only the key, as
// GET_DEST dumps want it.
func appendServiceKey(b []byte, k ServiceKey) []byte {
	b, n := beginNest(b, cmdAttrService)
	b = appendKey(b, k)
	endNest(b, n)
	return b
}

// appendDestination appends the DEST nest: ADDR_FAMILY (the service's
// family when d.Family is 0), ADDR, PORT, FWD_METHOD, WEIGHT, TUN_TYPE,
// TUN_PORT, TUN_FLAGS, U_THRESH and L_THRESH.
func appendDestination(b []byte, svcFamily Family, d Destination) []byte {
	f := d.Family
	if f == 0 {
		f = svcFamily
	}
	b, n := beginNest(b, cmdAttrDest)
	b = appendU16(b, destAttrAddrFamily, uint16(f))
	b = appendAddr(b, destAttrAddr, f, d.Addr)
	b = appendBE16(b, destAttrPort, d.Port)
	b = appendU32(b, destAttrFwdMethod, uint32(d.Method))
	b = appendU32(b, destAttrWeight, d.Weight)
	b = appendU8(b, destAttrTunType, uint8(d.TunnelType))
	b = appendBE16(b, destAttrTunPort, d.TunnelPort)
	b = appendU16(b, destAttrTunFlags, uint16(d.TunnelFlags))
	b = appendU32(b, destAttrUThresh, d.UpperThreshold)
	b = appendU32(b, destAttrLThresh, d.LowerThreshold)
	endNest(b, n)
	return b
}

// appendStartDaemon appends the DAEMON nest of NEW_DAEMON: STATE,
// MCAST_IFN, SYNC_ID, then SYNC_MAXLEN, MCAST_PORT and MCAST_TTL each only
// if non-zero, then MCAST_GROUP6 or MCAST_GROUP only if a group is given.
func appendStartDaemon(b []byte, d Daemon) []byte {
	b, n := beginNest(b, cmdAttrDaemon)
	b = appendDaemonID(b, d)
	if d.MaxLen != 0 {
		b = appendU16(b, daemonAttrSyncMaxLen, d.MaxLen)
	}
	if d.Port != 0 {
		b = appendU16(b, daemonAttrMcastPort, d.Port)
	}
	if d.TTL != 0 {
		b = appendU8(b, daemonAttrMcastTTL, d.TTL)
	}
	switch {
	case d.Group.Is4():
		v := d.Group.As4()
		b = appendBytes(b, daemonAttrMcastGroup, v[:])
	case d.Group.Is6():
		v := d.Group.As16()
		b = appendBytes(b, daemonAttrMcastGroup6, v[:])
	}
	endNest(b, n)
	return b
}

// appendStopDaemon appends the DAEMON nest of DEL_DAEMON.
func appendStopDaemon(b []byte, d Daemon) []byte {
	b, n := beginNest(b, cmdAttrDaemon)
	b = appendDaemonID(b, d)
	endNest(b, n)
	return b
}

// appendDaemonID appends STATE, MCAST_IFN and SYNC_ID.
func appendDaemonID(b []byte, d Daemon) []byte {
	b = appendU32(b, daemonAttrState, uint32(d.State))
	b = appendStr(b, daemonAttrMcastIfn, d.Interface)
	return appendU32(b, daemonAttrSyncID, d.SyncID)
}

// appendTimeouts appends TIMEOUT_TCP, TIMEOUT_TCP_FIN and TIMEOUT_UDP,
// zeros included (zero leaves a timeout unchanged).
func appendTimeouts(b []byte, t Timeouts) []byte {
	b = appendU32(b, cmdAttrTimeoutTCP, seconds(t.TCP))
	b = appendU32(b, cmdAttrTimeoutTCPFin, seconds(t.TCPFin))
	return appendU32(b, cmdAttrTimeoutUDP, seconds(t.UDP))
}
