package jsonlist

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Version is the schema version every document carries.
const Version = 1

// Schema names: the "schema" member of each kind of document.
const (
	SchemaServices    = "ipvsadm-go/services"
	SchemaConnections = "ipvsadm-go/connections"
	SchemaTimeout     = "ipvsadm-go/timeout"
	SchemaDaemons     = "ipvsadm-go/daemons"
)

// Services is the document of -L: every service, or the one given.
type Services struct {
	Schema   string    `json:"schema"`
	Version  int       `json:"version"`
	IPVS     IPVS      `json:"ipvs"`
	Services []Service `json:"services"`
	// Error is set only when the listing failed after it had begun.
	Error string `json:"error,omitempty"`
}

// IPVS is what the kernel reports of itself (the text listing's first
// line).
type IPVS struct {
	Version       string `json:"version"`
	ConnTableSize uint32 `json:"conn_table_size"`
}

// Service is a virtual service with its destinations. A firewall-mark
// service has FWMark and no Protocol, Address or Port; any other has
// Protocol, Address and Port and no FWMark.
type Service struct {
	Family       string        `json:"family"`
	FWMark       uint32        `json:"fwmark,omitempty"`
	Protocol     string        `json:"protocol,omitempty"`
	Address      string        `json:"address,omitempty"`
	Port         *uint16       `json:"port,omitempty"`
	Scheduler    string        `json:"scheduler"`
	Flags        []string      `json:"flags"`
	Persistence  *Persistence  `json:"persistence,omitempty"`
	OnePacket    bool          `json:"one_packet"`
	PE           string        `json:"pe,omitempty"`
	Stats        *Stats        `json:"stats,omitempty"`
	Rates        *Rates        `json:"rates,omitempty"`
	Destinations []Destination `json:"destinations"`
}

// Persistence is a persistent service's timeout and mask.
type Persistence struct {
	Timeout uint32 `json:"timeout"`
	Netmask string `json:"netmask"`
	// PrefixLength is nil for a non-contiguous IPv4 mask.
	PrefixLength *int `json:"prefix_length,omitempty"`
}

// Destination is a real server of a service.
type Destination struct {
	Family          string     `json:"family"`
	Address         string     `json:"address"`
	Port            uint16     `json:"port"`
	Forward         string     `json:"forward"`
	Weight          uint32     `json:"weight"`
	Thresholds      Thresholds `json:"thresholds"`
	ActiveConns     uint32     `json:"active_conns"`
	InactiveConns   uint32     `json:"inactive_conns"`
	PersistentConns uint32     `json:"persistent_conns"`
	Tunnel          *Tunnel    `json:"tunnel,omitempty"`
	Stats           *Stats     `json:"stats,omitempty"`
	Rates           *Rates     `json:"rates,omitempty"`
}

// Thresholds bound a destination's connections; 0 means no limit.
type Thresholds struct {
	Upper uint32 `json:"upper"`
	Lower uint32 `json:"lower"`
}

// Tunnel is the encapsulation of a tunnelling destination.
type Tunnel struct {
	Type  string   `json:"type"`
	Port  uint16   `json:"port"`
	Flags []string `json:"flags"`
}

// Stats are 64-bit traffic counters.
type Stats struct {
	Conns    uint64 `json:"conns"`
	InPkts   uint64 `json:"in_pkts"`
	OutPkts  uint64 `json:"out_pkts"`
	InBytes  uint64 `json:"in_bytes"`
	OutBytes uint64 `json:"out_bytes"`
}

// Rates are the kernel's per-second estimates.
type Rates struct {
	CPS    uint64 `json:"cps"`
	InPPS  uint64 `json:"in_pps"`
	OutPPS uint64 `json:"out_pps"`
	InBPS  uint64 `json:"in_bps"`
	OutBPS uint64 `json:"out_bps"`
}

// Connections is the document of -Lc.
type Connections struct {
	Schema      string       `json:"schema"`
	Version     int          `json:"version"`
	Connections []Connection `json:"connections"`
	// Error is set only when the listing failed after it had begun.
	Error string `json:"error,omitempty"`
}

// Connection is one entry of the connection table.
type Connection struct {
	Protocol           string `json:"protocol"`
	ClientAddress      string `json:"client_address"`
	ClientPort         uint16 `json:"client_port"`
	VirtualAddress     string `json:"virtual_address"`
	VirtualPort        uint16 `json:"virtual_port"`
	DestinationAddress string `json:"destination_address"`
	DestinationPort    uint16 `json:"destination_port"`
	State              string `json:"state"`
	Expires            uint32 `json:"expires"`
	PEName             string `json:"pe_name,omitempty"`
	PEData             string `json:"pe_data,omitempty"`
}

// TimeoutDocument is the document of -L --timeout.
type TimeoutDocument struct {
	Schema  string  `json:"schema"`
	Version int     `json:"version"`
	Timeout Timeout `json:"timeout"`
}

// Timeout holds the connection timeouts in seconds.
type Timeout struct {
	TCP    uint32 `json:"tcp"`
	TCPFin uint32 `json:"tcp_fin"`
	UDP    uint32 `json:"udp"`
}

// Daemons is the document of -L --daemon.
type Daemons struct {
	Schema  string   `json:"schema"`
	Version int      `json:"version"`
	Daemons []Daemon `json:"daemons"`
}

// Daemon is a running connection-synchronisation daemon.
type Daemon struct {
	State     string `json:"state"`
	Interface string `json:"interface"`
	SyncID    uint32 `json:"sync_id"`
	MaxLen    uint16 `json:"max_len"`
	Group     string `json:"group,omitempty"`
	Port      uint16 `json:"port"`
	TTL       uint8  `json:"ttl"`
}

// Include selects the optional members of services and destinations.
type Include struct {
	Stats bool // --stats: the stats objects
	Rates bool // --rate: the rates objects
}

// NewIPVS converts the kernel's information.
func NewIPVS(info ipvs.Info) IPVS {
	return IPVS{Version: info.Version.String(), ConnTableSize: info.ConnTableSize}
}

// NewService converts a service and its destinations (in the order
// given).
func NewService(se ipvs.ServiceEntry, dests []ipvs.DestinationEntry, inc Include) Service {
	s := &se.Service
	fam := serviceFamily(s)
	out := Service{
		Family:       familyName(fam),
		Scheduler:    s.Scheduler,
		Flags:        serviceFlags(s.Scheduler, s.Flags),
		OnePacket:    s.Flags&ipvs.FlagOnePacket != 0,
		PE:           s.PE,
		Destinations: make([]Destination, len(dests)),
	}
	if s.FWMark != 0 {
		out.FWMark = s.FWMark
	} else {
		port := s.Port
		out.Protocol = protocolName(s.Protocol)
		out.Address = addrText(s.Addr, fam)
		out.Port = &port
	}
	if s.Flags&ipvs.FlagPersistent != 0 {
		out.Persistence = persistence(fam, s.Timeout, s.Netmask)
	}
	out.Stats, out.Rates = statsAndRates(&se.Stats, inc)
	for i := range dests {
		out.Destinations[i] = newDestination(dests[i], inc)
	}
	return out
}

// newDestination converts a destination.
func newDestination(de ipvs.DestinationEntry, inc Include) Destination {
	d := &de.Destination
	fam := destFamily(d)
	out := Destination{
		Family:          familyName(fam),
		Address:         addrText(d.Addr, fam),
		Port:            d.Port,
		Forward:         forwardName(d.Method),
		Weight:          d.Weight,
		Thresholds:      Thresholds{Upper: d.UpperThreshold, Lower: d.LowerThreshold},
		ActiveConns:     de.ActiveConns,
		InactiveConns:   de.InactiveConns,
		PersistentConns: de.PersistentConns,
	}
	if d.Method&7 == ipvs.Tunnel {
		out.Tunnel = &Tunnel{Type: d.TunnelType.String(), Port: d.TunnelPort, Flags: tunnelFlags(d.TunnelFlags)}
	}
	out.Stats, out.Rates = statsAndRates(&de.Stats, inc)
	return out
}

// NewConnection converts a row of the connection table.
func NewConnection(r connections.Row) Connection {
	c := Connection{
		Protocol:           strings.ToLower(r.Protocol),
		ClientAddress:      addrText(r.Client.Addr(), 0),
		ClientPort:         r.Client.Port(),
		VirtualAddress:     addrText(r.Virtual.Addr(), 0),
		VirtualPort:        r.Virtual.Port(),
		DestinationAddress: addrText(r.Server.Addr(), 0),
		DestinationPort:    r.Server.Port(),
		State:              r.State,
		Expires:            r.Expires,
	}
	if r.HasPE {
		c.PEName, c.PEData = r.PEName, r.PEData
	}
	return c
}

// NewTimeout converts the connection timeouts.
func NewTimeout(t ipvs.Timeouts) Timeout {
	return Timeout{TCP: seconds(t.TCP), TCPFin: seconds(t.TCPFin), UDP: seconds(t.UDP)}
}

// NewDaemons converts the sync daemons as the text listing shows them:
// entries with neither the master nor the backup bit are left out, and
// one with both is the master.
func NewDaemons(ds []ipvs.Daemon) []Daemon {
	out := make([]Daemon, 0, len(ds))
	for _, d := range ds {
		var state string
		switch {
		case d.State&ipvs.Master != 0:
			state = ipvs.Master.String()
		case d.State&ipvs.Backup != 0:
			state = ipvs.Backup.String()
		default:
			continue
		}
		j := Daemon{State: state, Interface: d.Interface, SyncID: d.SyncID, MaxLen: d.MaxLen, Port: d.Port, TTL: d.TTL}
		if d.Group.IsValid() {
			j.Group = addrText(d.Group, 0)
		}
		out = append(out, j)
	}
	return out
}

func seconds(d time.Duration) uint32 { return uint32(int64(d / time.Second)) }

func statsAndRates(st *ipvs.Stats, inc Include) (*Stats, *Rates) {
	var s *Stats
	var r *Rates
	if inc.Stats {
		s = &Stats{Conns: st.Connections, InPkts: st.PacketsIn, OutPkts: st.PacketsOut, InBytes: st.BytesIn, OutBytes: st.BytesOut}
	}
	if inc.Rates {
		r = &Rates{CPS: st.CPS, InPPS: st.PPSIn, OutPPS: st.PPSOut, InBPS: st.BPSIn, OutBPS: st.BPSOut}
	}
	return s, r
}

// serviceFamily is the family a service is listed with: the kernel's,
// or, when that is unset, the address's.
func serviceFamily(s *ipvs.Service) ipvs.Family {
	if s.Family == ipvs.INET6 || (s.Family == 0 && s.Addr.Is6()) {
		return ipvs.INET6
	}
	return ipvs.INET
}

func destFamily(d *ipvs.Destination) ipvs.Family {
	if d.Family == ipvs.INET6 || (d.Family == 0 && d.Addr.Is6()) {
		return ipvs.INET6
	}
	return ipvs.INET
}

func familyName(f ipvs.Family) string {
	if f == ipvs.INET6 {
		return "inet6"
	}
	return "inet"
}

// addrText is the standard text of addr (RFC 5952 for IPv6, without a
// zone); the zero Addr reads as the unspecified address of fam (IPv4 for
// fam 0).
func addrText(addr netip.Addr, fam ipvs.Family) string {
	if !addr.IsValid() {
		if fam == ipvs.INET6 {
			return "::"
		}
		return "0.0.0.0"
	}
	return addr.WithZone("").String()
}

// protocolName is "tcp", "udp", "sctp" or the protocol's number.
func protocolName(p ipvs.Protocol) string {
	if n := p.Name(); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(p), 10)
}

// forwardName names a forwarding method by its low three bits, as the
// kernel and the text listing read it, in lower case ("masq", "route",
// "method(4)").
func forwardName(m ipvs.ForwardMethod) string {
	return strings.ToLower((m & 7).String())
}

// serviceFlags names the flag bits of a service; see the package
// documentation.
func serviceFlags(sched string, f ipvs.ServiceFlags) []string {
	names := []string{}
	if f&ipvs.FlagPersistent != 0 {
		names = append(names, "persistent")
	}
	if f&ipvs.FlagOnePacket != 0 {
		names = append(names, "one-packet")
	}
	for _, bit := range [3]ipvs.ServiceFlags{ipvs.FlagSched1, ipvs.FlagSched2, ipvs.FlagSched3} {
		if f&bit == 0 {
			continue
		}
		name := ipvs.SchedFlagName(sched, bit)
		if name == "" { // a bit sh and mh do not name
			name = ipvs.SchedFlagName("", bit)
		}
		names = append(names, name)
	}
	const known = ipvs.FlagPersistent | ipvs.FlagHashed | ipvs.FlagOnePacket | ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3
	for rest := f &^ known; rest != 0; rest &= rest - 1 {
		names = append(names, fmt.Sprintf("%#x", uint32(1)<<bits.TrailingZeros32(uint32(rest))))
	}
	return names
}

// tunnelFlags names the checksum flags of a tunnel; other bits show in
// hexadecimal.
func tunnelFlags(f ipvs.TunnelFlags) []string {
	names := []string{}
	for _, bit := range [2]ipvs.TunnelFlags{ipvs.TunnelChecksum, ipvs.TunnelRemoteChecksum} {
		if f&bit != 0 {
			names = append(names, bit.String())
		}
	}
	for rest := f &^ (ipvs.TunnelChecksum | ipvs.TunnelRemoteChecksum); rest != 0; rest &= rest - 1 {
		names = append(names, fmt.Sprintf("%#x", uint16(1)<<bits.TrailingZeros16(uint16(rest))))
	}
	return names
}

// persistence describes the persistence of a service of family fam. The
// kernel keeps an IPv4 mask as a number (255.255.255.0 is 0xffffff00) and
// an IPv6 one as a prefix length.
func persistence(fam ipvs.Family, timeout time.Duration, mask uint32) *Persistence {
	p := &Persistence{Timeout: seconds(timeout)}
	if fam == ipvs.INET6 {
		n := int(min(mask, 128))
		p.PrefixLength = &n
		p.Netmask = netip.AddrFrom16(prefixMask16(n)).String()
		return p
	}
	p.Netmask = netip.AddrFrom4([4]byte{byte(mask >> 24), byte(mask >> 16), byte(mask >> 8), byte(mask)}).String()
	if n := bits.LeadingZeros32(^mask); mask<<n == 0 {
		p.PrefixLength = &n
	}
	return p
}

// prefixMask16 is the 128-bit mask of n leading ones.
func prefixMask16(n int) [16]byte {
	var b [16]byte
	for i := range b {
		switch {
		case n >= 8:
			b[i] = 0xff
			n -= 8
		case n > 0:
			b[i] = byte(0xff << (8 - n))
			n = 0
		}
	}
	return b
}
