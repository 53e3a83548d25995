// Package ipvs is a client for the Linux kernel's IP Virtual Server (IPVS)
// generic-netlink family.
//
// It is the only package of this project that speaks netlink. Its enums
// carry the one table of their names (the kernel's, which ipvsadm shows,
// and ipvsadm's names of scheduler flags and tunnel types); the rest of
// ipvsadm's wording is its callers': they turn its errors, which keep the
// kernel's errno, into messages of their own.
package ipvs

import (
	"fmt"
	"net/netip"
	"time"
)

// Family is an address family as the kernel numbers it.
type Family uint16

// Address families used by IPVS.
const (
	INET  Family = 2  // AF_INET
	INET6 Family = 10 // AF_INET6
)

// String returns "inet", "inet6" or the number.
func (f Family) String() string {
	switch f {
	case INET:
		return "inet"
	case INET6:
		return "inet6"
	}
	return fmt.Sprintf("family(%d)", uint16(f))
}

// Protocol is an IP protocol number.
type Protocol uint16

// Transport protocols a virtual service can balance.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

// protocolNames are the names of the protocols a virtual service can
// balance: as the kernel's /proc files and ipvsadm's listings spell them,
// and in lower case as the protocols and services databases do.
var protocolNames = [...]struct {
	value       Protocol
	name, lower string
}{{TCP, "TCP", "tcp"}, {UDP, "UDP", "udp"}, {SCTP, "SCTP", "sctp"}}

// String returns "TCP", "UDP", "SCTP" or "protocol(N)".
func (p Protocol) String() string {
	for _, n := range protocolNames {
		if n.value == p {
			return n.name
		}
	}
	return fmt.Sprintf("protocol(%d)", uint16(p))
}

// Name returns the name the protocols and services databases give p
// ("tcp", "udp", "sctp"), as getservbyport takes it, or "" for a protocol
// that is not TCP, UDP or SCTP.
func (p Protocol) Name() string {
	for _, n := range protocolNames {
		if n.value == p {
			return n.lower
		}
	}
	return ""
}

// ParseProtocol returns the protocol whose String is s ("TCP", "UDP",
// "SCTP").
func ParseProtocol(s string) (Protocol, bool) {
	for _, n := range protocolNames {
		if n.name == s {
			return n.value, true
		}
	}
	return 0, false
}

// ServiceKey identifies a virtual service: either by protocol, address and
// port, or by firewall mark (FWMark != 0; then Protocol, Addr and Port are
// unset). It is comparable and can be used as a map key.
type ServiceKey struct {
	Family   Family
	Protocol Protocol
	Addr     netip.Addr
	Port     uint16
	FWMark   uint32
}

// ServiceFlags are the IP_VS_SVC_F_* flags of a virtual service.
type ServiceFlags uint32

// Service flags, from include/uapi/linux/ip_vs.h.
const (
	FlagPersistent ServiceFlags = 0x0001 // persistent port
	FlagHashed     ServiceFlags = 0x0002 // kernel-internal; set on every service the kernel reports
	FlagOnePacket  ServiceFlags = 0x0004 // one-packet scheduling
	FlagSched1     ServiceFlags = 0x0008 // scheduler flag 1 (sh-fallback, mh-fallback)
	FlagSched2     ServiceFlags = 0x0010 // scheduler flag 2 (sh-port, mh-port)
	FlagSched3     ServiceFlags = 0x0020 // scheduler flag 3
)

// schedFlagNames are ipvsadm's names of the scheduler flags (-b): each has
// a generic name, and the sh and mh schedulers name the first two their
// own way (IP_VS_SVC_F_SCHED_SH_FALLBACK, ..._SH_PORT and the MH ones).
var schedFlagNames = [...]struct {
	bit       ServiceFlags
	scheduler string // "" for the generic name
	name      string
}{
	{FlagSched1, "", "flag-1"}, {FlagSched2, "", "flag-2"}, {FlagSched3, "", "flag-3"},
	{FlagSched1, "sh", "sh-fallback"}, {FlagSched2, "sh", "sh-port"},
	{FlagSched1, "mh", "mh-fallback"}, {FlagSched2, "mh", "mh-port"},
}

// SchedFlagName returns the name of the scheduler flag bit (FlagSched1,
// FlagSched2 or FlagSched3) for a service of scheduler sched: for "sh"
// and "mh" their names of the first two bits ("sh-fallback", "sh-port")
// and "" for the third; for any other scheduler, or for "" (asking for the
// generic name), "flag-1", "flag-2", "flag-3".
func SchedFlagName(sched string, bit ServiceFlags) string {
	if sched != "sh" && sched != "mh" {
		sched = ""
	}
	for _, n := range schedFlagNames {
		if n.bit == bit && n.scheduler == sched {
			return n.name
		}
	}
	return ""
}

// ParseSchedFlag returns the scheduler flag bit that name names, and the
// scheduler the name belongs to ("" for the generic names, which any
// scheduler takes).
func ParseSchedFlag(name string) (bit ServiceFlags, sched string, ok bool) {
	for _, n := range schedFlagNames {
		if n.name == name {
			return n.bit, n.scheduler, true
		}
	}
	return 0, "", false
}

// Service is the configuration of a virtual service.
type Service struct {
	ServiceKey

	// Scheduler is the scheduler's name, such as "wlc". The kernel reports
	// "none" for a service without a scheduler.
	Scheduler string
	// PE is the persistence engine's name ("sip"), or empty for none.
	PE    string
	Flags ServiceFlags
	// Timeout is the persistence timeout, in whole seconds.
	Timeout time.Duration
	// Netmask is the persistence granularity. For IPv4 services it is the
	// mask read as a big-endian number (255.255.255.0 is 0xffffff00); for
	// IPv6 services it is the prefix length (1 to 128).
	Netmask uint32
}

// Stats are the traffic counters and rate estimates of a service or a
// destination. Counters are kept at 64 bits.
type Stats struct {
	Connections uint64 // connections scheduled
	PacketsIn   uint64
	PacketsOut  uint64
	BytesIn     uint64
	BytesOut    uint64
	CPS         uint64 // connections per second
	PPSIn       uint64 // packets per second in
	PPSOut      uint64 // packets per second out
	BPSIn       uint64 // bytes per second in
	BPSOut      uint64 // bytes per second out
}

// ServiceEntry is a virtual service as the kernel reports it.
type ServiceEntry struct {
	Service
	Stats Stats
}

// ForwardMethod is how packets reach a destination (a real server).
type ForwardMethod uint32

// Forwarding methods, from include/uapi/linux/ip_vs.h.
const (
	Masquerade ForwardMethod = 0 // NAT (-m)
	Local      ForwardMethod = 1 // local node
	Tunnel     ForwardMethod = 2 // IP-in-IP and other encapsulations (-i)
	Route      ForwardMethod = 3 // direct routing (-g)
)

// forwardMethodNames are the names of the forwarding methods as the
// kernel's /proc/net/ip_vs and ipvsadm's listings spell them.
var forwardMethodNames = [...]string{Masquerade: "Masq", Local: "Local", Tunnel: "Tunnel", Route: "Route"}

// String returns "Masq", "Local", "Tunnel", "Route" or "method(N)".
func (m ForwardMethod) String() string {
	if n, ok := nameOf(forwardMethodNames[:], m); ok {
		return n
	}
	return fmt.Sprintf("method(%d)", uint32(m))
}

// ParseForwardMethod returns the method whose String is s.
func ParseForwardMethod(s string) (ForwardMethod, bool) {
	return valueOf[ForwardMethod](forwardMethodNames[:], s)
}

// TunnelType is the encapsulation of a tunnelling destination.
type TunnelType uint8

// Tunnel types, from include/uapi/linux/ip_vs.h.
const (
	TunnelIPIP TunnelType = 0
	TunnelGUE  TunnelType = 1
	TunnelGRE  TunnelType = 2
)

// tunnelTypeNames are the names of the tunnel types, as ipvsadm's
// --tun-type takes and its listings show them.
var tunnelTypeNames = [...]string{TunnelIPIP: "ipip", TunnelGUE: "gue", TunnelGRE: "gre"}

// String returns "ipip", "gue", "gre" or "tunnel(N)".
func (t TunnelType) String() string {
	if n, ok := nameOf(tunnelTypeNames[:], t); ok {
		return n
	}
	return fmt.Sprintf("tunnel(%d)", uint8(t))
}

// ParseTunnelType returns the tunnel type whose String is s.
func ParseTunnelType(s string) (TunnelType, bool) { return valueOf[TunnelType](tunnelTypeNames[:], s) }

// TunnelFlags are the checksum options of a GUE or GRE tunnel.
type TunnelFlags uint16

// Tunnel checksum flags, from include/uapi/linux/ip_vs.h.
const (
	TunnelNoChecksum     TunnelFlags = 0
	TunnelChecksum       TunnelFlags = 1 << 0
	TunnelRemoteChecksum TunnelFlags = 1 << 1
)

// tunnelFlagNames are the names of the checksum options, as ipvsadm's
// --tun-nocsum, --tun-csum and --tun-remcsum options spell them.
var tunnelFlagNames = [...]string{TunnelNoChecksum: "nocsum", TunnelChecksum: "csum", TunnelRemoteChecksum: "remcsum"}

// String returns "nocsum", "csum", "remcsum" or "flags(0xN)" for other
// values.
func (f TunnelFlags) String() string {
	if n, ok := nameOf(tunnelFlagNames[:], f); ok {
		return n
	}
	return fmt.Sprintf("flags(%#x)", uint16(f))
}

// Destination is the configuration of a real server behind a virtual
// service.
type Destination struct {
	// Family is the destination's address family; it differs from the
	// service's only for tunnelling destinations.
	Family Family
	Addr   netip.Addr
	Port   uint16
	Method ForwardMethod
	Weight uint32
	// UpperThreshold and LowerThreshold bound the destination's
	// connections; 0 means no limit.
	UpperThreshold uint32
	LowerThreshold uint32
	TunnelType     TunnelType
	TunnelPort     uint16
	TunnelFlags    TunnelFlags
}

// DestinationEntry is a destination as the kernel reports it.
type DestinationEntry struct {
	Destination
	ActiveConns     uint32
	InactiveConns   uint32
	PersistentConns uint32
	Stats           Stats
}

// Timeouts are the connection timeouts of IPVS. Zero in a request means
// "leave unchanged".
type Timeouts struct {
	TCP    time.Duration
	TCPFin time.Duration
	UDP    time.Duration
}

// DaemonState says which connection-synchronisation daemon is meant.
type DaemonState uint32

// Sync daemon states, from include/uapi/linux/ip_vs.h.
const (
	Master DaemonState = 1
	Backup DaemonState = 2
)

// daemonStateNames are the names of the daemon states, as ipvsadm's
// --start-daemon takes and its listings show them.
var daemonStateNames = [...]string{Master: "master", Backup: "backup"}

// String returns "master", "backup" or "state(N)".
func (s DaemonState) String() string {
	if n, ok := nameOf(daemonStateNames[:], s); ok {
		return n
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// ParseDaemonState returns the state whose String is s.
func ParseDaemonState(s string) (DaemonState, bool) {
	return valueOf[DaemonState](daemonStateNames[:], s)
}

// Daemon is a connection-synchronisation daemon.
type Daemon struct {
	State     DaemonState
	Interface string // multicast interface
	SyncID    uint32
	// The fields below are optional in requests: zero (or the zero Addr)
	// lets the kernel choose.
	MaxLen uint16     // sync message size
	Group  netip.Addr // multicast group, IPv4 or IPv6
	Port   uint16     // multicast UDP port
	TTL    uint8      // multicast TTL
}

// Version is the kernel's IPVS version, such as 1.2.1.
type Version struct {
	Major, Minor, Patch uint8
}

// String returns the version as "major.minor.patch".
func (v Version) String() string {
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Info describes the kernel's IPVS.
type Info struct {
	Version Version
	// ConnTableSize is the number of buckets of the connection hash table.
	ConnTableSize uint32
}

// nameOf returns the name names (a table indexed by value) gives v.
func nameOf[T ~uint8 | ~uint16 | ~uint32](names []string, v T) (string, bool) {
	if uint64(v) < uint64(len(names)) && names[v] != "" {
		return names[v], true
	}
	return "", false
}

// valueOf returns the value whose name in names (a table indexed by value)
// is s.
func valueOf[T ~uint8 | ~uint16 | ~uint32](names []string, s string) (T, bool) {
	for v, n := range names {
		if n != "" && n == s {
			return T(v), true
		}
	}
	return 0, false
}
