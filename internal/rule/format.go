package rule

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// AddrPortFunc renders the address and port of a save line: a service's
// (proto is its protocol) or a server's (proto is its service's protocol,
// 0 for fwmark services). Without -n, ipvsadm puts host and service names
// here; NumericAddrPort is the -n form.
type AddrPortFunc func(family ipvs.Family, addr netip.Addr, port uint16, proto ipvs.Protocol) string

// NumericAddrPort is the -n text: "a.b.c.d:port" for IPv4 and
// "[inet_ntop text]:port" for any other family.
func NumericAddrPort(family ipvs.Family, addr netip.Addr, port uint16, proto ipvs.Protocol) string {
	return string(appendNumericAddrPort(nil, family, addr, port))
}

func appendNumericAddrPort(b []byte, family ipvs.Family, addr netip.Addr, port uint16) []byte {
	if family == ipvs.INET {
		b = ipvstext.AppendAddr(b, addr)
	} else {
		b = append(b, '[')
		b = ipvstext.AppendAddr(b, addr)
		b = append(b, ']')
	}
	b = append(b, ':')
	return strconv.AppendUint(b, uint64(port), 10)
}

// maxAddrPort is the size of ipvsadm's addrport buffer minus its NUL.
const maxAddrPort = 59

// Format returns the line `ipvsadm -S` prints for an AddService or
// AddServer command, without the final newline; other kinds
// give "". addrPort renders addresses (nil means NumericAddrPort); its
// text is cut to 59 bytes as the original's buffer does.
//
// For AddService: "-A <svc> -s <sched>", then " -p <timeout>" and " -M
// <mask>" (only if persistent; the mask only if not all-ones / 128),
// " --pe <name>", " -o", " -b <flags>". For AddServer: "-a <svc> -r
// <addr:port> <-g|-m|-i> -w <weight>" and, for tunnels, the tunnel type,
// port and checksum option. Thresholds are not saved. The weight is
// printed as a signed 32-bit number, as the original does. The fwmark is
// printed unsigned, unlike the original: its "%d" turns marks of 2^31 and
// above into negative numbers that no restore accepts, so a save of such a
// service could not be restored (a deliberate difference, README).
func Format(c *Command, addrPort AddrPortFunc) string {
	return string(AppendFormat(nil, c, addrPort))
}

// AppendFormat appends Format's text to b and returns the result; other
// kinds than AddService and AddServer append nothing. With a nil addrPort
// (the numeric form) a line allocates nothing once b has room.
func AppendFormat(b []byte, c *Command, addrPort AddrPortFunc) []byte {
	s := &c.Service
	appendAddrPort := func(b []byte, family ipvs.Family, addr netip.Addr, port uint16) []byte {
		start := len(b)
		if addrPort == nil {
			b = appendNumericAddrPort(b, family, addr, port)
		} else {
			b = append(b, addrPort(family, addr, port, s.Protocol)...)
		}
		if len(b)-start > maxAddrPort {
			b = b[:start+maxAddrPort]
		}
		return b
	}
	appendService := func(b []byte) []byte {
		if s.FWMark != 0 {
			b = append(b, "-f "...)
			b = strconv.AppendUint(b, uint64(s.FWMark), 10)
			if s.Family == ipvs.INET6 {
				b = append(b, " -6"...)
			}
			return b
		}
		switch s.Protocol {
		case ipvs.TCP:
			b = append(b, "-t "...)
		case ipvs.UDP:
			b = append(b, "-u "...)
		case ipvs.SCTP:
			b = append(b, "--sctp-service "...)
		default:
			b = append(b, "--xxx-service "...)
		}
		return appendAddrPort(b, s.Family, s.Addr, s.Port)
	}

	switch c.Kind {
	case AddService:
		b = append(b, "-A "...)
		b = appendService(b)
		b = append(b, " -s "...)
		b = append(b, s.Scheduler...)
		if s.Flags&ipvs.FlagPersistent != 0 {
			b = append(b, " -p "...)
			b = strconv.AppendUint(b, uint64(s.Timeout/time.Second), 10)
			switch {
			case s.Family == ipvs.INET && s.Netmask != 0xffffffff:
				m := s.Netmask
				b = append(b, " -M "...)
				b = ipvstext.AppendIPv4(b, [4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
			case s.Family == ipvs.INET6 && s.Netmask != 128:
				b = append(b, " -M "...)
				b = strconv.AppendInt(b, int64(int32(s.Netmask)), 10)
			}
		}
		if s.PE != "" {
			b = append(b, " --pe "...)
			b = append(b, s.PE...)
		}
		if s.Flags&ipvs.FlagOnePacket != 0 {
			b = append(b, " -o"...)
		}
		if s.Flags&ipvstext.SchedFlagBits != 0 {
			b = append(b, " -b "...)
			b = append(b, ipvstext.SchedFlags(s.Scheduler, s.Flags)...)
		}
	case AddServer:
		d := &c.Server
		b = append(b, "-a "...)
		b = appendService(b)
		b = append(b, " -r "...)
		b = appendAddrPort(b, d.Family, d.Addr, d.Port)
		switch d.Method {
		case ipvs.Masquerade:
			b = append(b, " -m -w "...)
		case ipvs.Tunnel:
			b = append(b, " -i -w "...)
		default:
			b = append(b, " -g -w "...)
		}
		b = strconv.AppendInt(b, int64(int32(d.Weight)), 10)
		if d.Method == ipvs.Tunnel {
			b = appendTunnelOptions(b, d)
		}
	}
	return b
}

// appendTunnelOptions appends the tunnel options of a tunnelling server:
// " --tun-type <type>", for gue " --tun-port <port>", and for gue and
// gre " --tun-<checksum option>", the original's tun_flags_opts entry.
// The original indexes that table with the kernel's value unchecked;
// values it has no entry for are left out here, as is everything for an
// unknown tunnel type.
func appendTunnelOptions(b []byte, d *ipvs.Destination) []byte {
	switch d.TunnelType {
	case ipvs.TunnelIPIP, ipvs.TunnelGUE, ipvs.TunnelGRE:
	default:
		return b
	}
	b = append(b, " --tun-type "...)
	b = append(b, d.TunnelType.String()...)
	if d.TunnelType == ipvs.TunnelIPIP {
		return b
	}
	if d.TunnelType == ipvs.TunnelGUE {
		b = append(b, " --tun-port "...)
		b = strconv.AppendUint(b, uint64(d.TunnelPort), 10)
	}
	switch d.TunnelFlags {
	case ipvs.TunnelNoChecksum, ipvs.TunnelChecksum, ipvs.TunnelRemoteChecksum:
		b = append(b, " --tun-"...)
		b = append(b, d.TunnelFlags.String()...)
	}
	return b
}

// FormatChange returns the command line that makes the change c (an
// AddService, EditService, DeleteService, AddServer, EditServer or
// DeleteServer command): Format's text for additions, the same options
// after -E and -e for edits, only the service and server for deletions,
// and, unlike a save line, a server's thresholds (-x, -y) when they are
// set, so that parsing the line gives c back. Other kinds give "".
func FormatChange(c *Command, addrPort AddrPortFunc) string {
	add := *c
	switch c.Kind {
	case AddService, EditService, DeleteService:
		add.Kind = AddService
	case AddServer, EditServer, DeleteServer:
		add.Kind = AddServer
	default:
		return ""
	}
	line := Format(&add, addrPort)
	switch c.Kind {
	case EditService:
		return "-E" + line[len("-A"):]
	case DeleteService:
		// "-A <service> -s <scheduler>...": the service is what is before " -s ".
		svc, _, _ := strings.Cut(line[len("-A "):], " -s ")
		return "-D " + svc
	case DeleteServer:
		// "-a <service> -r <server> <method>...": cut the method and what follows.
		i := strings.LastIndex(line, " -r ")
		server, _, _ := strings.Cut(line[i+len(" -r "):], " ")
		return "-d" + line[len("-a"):i] + " -r " + server
	case AddServer, EditServer:
		if c.Server.UpperThreshold != 0 {
			line += " -x " + strconv.FormatUint(uint64(c.Server.UpperThreshold), 10)
		}
		if c.Server.LowerThreshold != 0 {
			line += " -y " + strconv.FormatUint(uint64(c.Server.LowerThreshold), 10)
		}
		if c.Kind == EditServer {
			return "-e" + line[len("-a"):]
		}
	}
	return line
}
