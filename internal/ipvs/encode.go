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
// parsing the line (see BenchmarkEncodeNewDestination).

// nlaNested is the NLA_F_NESTED bit of an attribute's type.
const nlaNested = 0x8000

// attrWriter appends netlink attributes to b: a 4-byte header (length and
// type, host byte order) and the value, padded to 4 bytes.
type attrWriter struct{ b []byte }

// newAttrWriter returns a writer with room for a destination request,
// the largest common one.
func newAttrWriter() *attrWriter { return &attrWriter{b: make([]byte, 0, 192)} }

func (w *attrWriter) header(typ uint16, n int) {
	w.b = binary.NativeEndian.AppendUint16(w.b, uint16(4+n))
	w.b = binary.NativeEndian.AppendUint16(w.b, typ)
}

func (w *attrWriter) pad() {
	for len(w.b)%4 != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *attrWriter) u8(typ uint16, v uint8) {
	w.header(typ, 1)
	w.b = append(w.b, v)
	w.pad()
}

func (w *attrWriter) u16(typ uint16, v uint16) {
	w.header(typ, 2)
	w.b = binary.NativeEndian.AppendUint16(w.b, v)
	w.pad()
}

// be16 is a 16-bit value in network byte order (ports).
func (w *attrWriter) be16(typ uint16, v uint16) {
	w.header(typ, 2)
	w.b = binary.BigEndian.AppendUint16(w.b, v)
	w.pad()
}

func (w *attrWriter) u32(typ uint16, v uint32) {
	w.header(typ, 4)
	w.b = binary.NativeEndian.AppendUint32(w.b, v)
}

// be32 is a 32-bit value in network byte order (IPv4 netmasks).
func (w *attrWriter) be32(typ uint16, v uint32) {
	w.header(typ, 4)
	w.b = binary.BigEndian.AppendUint32(w.b, v)
}

// bytes is a raw value.
func (w *attrWriter) bytes(typ uint16, v []byte) {
	w.header(typ, len(v))
	w.b = append(w.b, v...)
	w.pad()
}

// str is a NUL-terminated string.
func (w *attrWriter) str(typ uint16, s string) {
	w.header(typ, len(s)+1)
	w.b = append(append(w.b, s...), 0)
	w.pad()
}

// addr is the kernel's 16-byte union nf_inet_addr: an IPv4 address fills
// the first 4 bytes, the rest stay zero; the zero Addr gives 16 zero
// bytes. For family INET an IPv4-mapped IPv6 address is unmapped.
func (w *attrWriter) addr(typ uint16, f Family, a netip.Addr) {
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
	w.bytes(typ, v[:])
}

// begin starts a nested attribute; end closes the one begun at off.
func (w *attrWriter) begin(typ uint16) (off int) {
	off = len(w.b)
	w.header(typ|nlaNested, 0)
	return off
}

func (w *attrWriter) end(off int) {
	binary.NativeEndian.PutUint16(w.b[off:], uint16(len(w.b)-off))
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

// key adds the attributes that identify a service: AF, then FWMARK or
// PROTOCOL, ADDR and PORT.
func (w *attrWriter) key(k ServiceKey) {
	w.u16(svcAttrAF, uint16(k.Family))
	if k.FWMark != 0 {
		w.u32(svcAttrFWMark, k.FWMark)
		return
	}
	w.u16(svcAttrProtocol, uint16(k.Protocol))
	w.addr(svcAttrAddr, k.Family, k.Addr)
	w.be16(svcAttrPort, k.Port)
}

// service adds the SERVICE nest with the full service: the key,
// SCHED_NAME, PE_NAME (only if set), FLAGS with an all-ones mask, TIMEOUT
// and NETMASK.
func (w *attrWriter) service(s Service) {
	n := w.begin(cmdAttrService)
	w.key(s.ServiceKey)
	w.str(svcAttrSchedName, s.Scheduler)
	if s.PE != "" {
		w.str(svcAttrPEName, s.PE)
	}
	w.header(svcAttrFlags, 8)
	w.b = binary.NativeEndian.AppendUint32(w.b, uint32(s.Flags))
	w.b = binary.NativeEndian.AppendUint32(w.b, 0xffffffff)
	w.u32(svcAttrTimeout, seconds(s.Timeout))
	if s.Family == INET6 {
		w.u32(svcAttrNetmask, s.Netmask)
	} else {
		// The IPv4 mask travels as its four bytes in network order.
		w.be32(svcAttrNetmask, s.Netmask)
	}
	w.end(n)
}

// keyService is the service ipvsadm sends when a command only names a
// service: the key, with an empty scheduler, no flags, no timeout and the
// given netmask.
func keyService(k ServiceKey, netmask uint32) Service {
	return Service{ServiceKey: k, Netmask: netmask}
}

// serviceKey adds a SERVICE nest holding only the key, as GET_DEST dumps
// want it.
func (w *attrWriter) serviceKey(k ServiceKey) {
	n := w.begin(cmdAttrService)
	w.key(k)
	w.end(n)
}

// destination adds the DEST nest: ADDR_FAMILY (the service's family when
// d.Family is 0), ADDR, PORT, FWD_METHOD, WEIGHT, TUN_TYPE, TUN_PORT,
// TUN_FLAGS, U_THRESH and L_THRESH.
func (w *attrWriter) destination(svcFamily Family, d Destination) {
	f := d.Family
	if f == 0 {
		f = svcFamily
	}
	n := w.begin(cmdAttrDest)
	w.u16(destAttrAddrFamily, uint16(f))
	w.addr(destAttrAddr, f, d.Addr)
	w.be16(destAttrPort, d.Port)
	w.u32(destAttrFwdMethod, uint32(d.Method))
	w.u32(destAttrWeight, d.Weight)
	w.u8(destAttrTunType, uint8(d.TunnelType))
	w.be16(destAttrTunPort, d.TunnelPort)
	w.u16(destAttrTunFlags, uint16(d.TunnelFlags))
	w.u32(destAttrUThresh, d.UpperThreshold)
	w.u32(destAttrLThresh, d.LowerThreshold)
	w.end(n)
}

// startDaemon adds the DAEMON nest of NEW_DAEMON: STATE, MCAST_IFN,
// SYNC_ID, then SYNC_MAXLEN, MCAST_PORT and MCAST_TTL each only if
// non-zero, then MCAST_GROUP6 or MCAST_GROUP only if a group is given.
func (w *attrWriter) startDaemon(d Daemon) {
	n := w.begin(cmdAttrDaemon)
	w.daemonID(d)
	if d.MaxLen != 0 {
		w.u16(daemonAttrSyncMaxLen, d.MaxLen)
	}
	if d.Port != 0 {
		w.u16(daemonAttrMcastPort, d.Port)
	}
	if d.TTL != 0 {
		w.u8(daemonAttrMcastTTL, d.TTL)
	}
	switch {
	case d.Group.Is4():
		v := d.Group.As4()
		w.bytes(daemonAttrMcastGroup, v[:])
	case d.Group.Is6():
		v := d.Group.As16()
		w.bytes(daemonAttrMcastGroup6, v[:])
	}
	w.end(n)
}

// stopDaemon adds the DAEMON nest of DEL_DAEMON.
func (w *attrWriter) stopDaemon(d Daemon) {
	n := w.begin(cmdAttrDaemon)
	w.daemonID(d)
	w.end(n)
}

// daemonID adds STATE, MCAST_IFN and SYNC_ID.
func (w *attrWriter) daemonID(d Daemon) {
	w.u32(daemonAttrState, uint32(d.State))
	w.str(daemonAttrMcastIfn, d.Interface)
	w.u32(daemonAttrSyncID, d.SyncID)
}

// timeouts adds TIMEOUT_TCP, TIMEOUT_TCP_FIN and TIMEOUT_UDP, zeros
// included (zero leaves a timeout unchanged).
func (w *attrWriter) timeouts(t Timeouts) {
	w.u32(cmdAttrTimeoutTCP, seconds(t.TCP))
	w.u32(cmdAttrTimeoutTCPFin, seconds(t.TCPFin))
	w.u32(cmdAttrTimeoutUDP, seconds(t.UDP))
}
