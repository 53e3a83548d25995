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
func NumericAddrPort(family ipvs.Family, addr netip.Addr, port uint16, _ ipvs.Protocol) string {
	p := strconv.FormatUint(uint64(port), 10)
	if family == ipvs.INET {
		return ipvstext.FormatAddr(addr) + ":" + p
	}
	return "[" + ipvstext.FormatAddr(addr) + "]:" + p
}

// maxAddrPort is the size of ipvsadm's addrport buffer minus its NUL.
const maxAddrPort = 59

// Format returns the line `ipvsadm -S` prints for an AddService or
// AddServer command (reference 4.1), without the final newline; other kinds
// give "". addrPort renders addresses (nil means NumericAddrPort); its
// text is cut to 59 bytes as the original's buffer does.
//
// For AddService: "-A <svc> -s <sched>", then " -p <timeout>" and " -M
// <mask>" (only if persistent; the mask only if not all-ones / 128),
// " --pe <name>", " -o", " -b <flags>". For AddServer: "-a <svc> -r
// <addr:port> <-g|-m|-i> -w <weight>" and, for tunnels, the tunnel type,
// port and checksum option. Thresholds are not saved. The fwmark and the
// weight are printed as signed 32-bit numbers, as the original does.
func Format(c *Command, addrPort AddrPortFunc) string {
	if addrPort == nil {
		addrPort = NumericAddrPort
	}
	s := &c.Service
	var svc string
	if s.FWMark != 0 {
		svc = "-f " + strconv.Itoa(int(int32(s.FWMark)))
		if s.Family == ipvs.INET6 {
			svc += " -6"
		}
	} else {
		var opt string
		switch s.Protocol {
		case ipvs.TCP:
			opt = "-t"
		case ipvs.UDP:
			opt = "-u"
		case ipvs.SCTP:
			opt = "--sctp-service"
		default:
			opt = "--xxx-service"
		}
		svc = opt + " " + truncate(addrPort(s.Family, s.Addr, s.Port, s.Protocol), maxAddrPort)
	}

	var b strings.Builder
	switch c.Kind {
	case AddService:
		b.WriteString("-A " + svc + " -s " + s.Scheduler)
		if s.Flags&ipvs.FlagPersistent != 0 {
			b.WriteString(" -p " + strconv.FormatUint(uint64(s.Timeout/time.Second), 10))
			switch {
			case s.Family == ipvs.INET && s.Netmask != 0xffffffff:
				m := s.Netmask
				b.WriteString(" -M " + netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String())
			case s.Family == ipvs.INET6 && s.Netmask != 128:
				b.WriteString(" -M " + strconv.Itoa(int(int32(s.Netmask))))
			}
		}
		if s.PE != "" {
			b.WriteString(" --pe " + s.PE)
		}
		if s.Flags&ipvs.FlagOnePacket != 0 {
			b.WriteString(" -o")
		}
		if s.Flags&ipvstext.SchedFlagBits != 0 {
			b.WriteString(" -b " + ipvstext.SchedFlags(s.Scheduler, s.Flags))
		}
	case AddServer:
		d := &c.Server
		b.WriteString("-a " + svc + " -r " + truncate(addrPort(d.Family, d.Addr, d.Port, s.Protocol), maxAddrPort))
		sw := "-g"
		switch d.Method {
		case ipvs.Masquerade:
			sw = "-m"
		case ipvs.Tunnel:
			sw = "-i"
		}
		b.WriteString(" " + sw + " -w " + strconv.Itoa(int(int32(d.Weight))))
		if d.Method == ipvs.Tunnel {
			switch d.TunnelType {
			case ipvs.TunnelIPIP:
				b.WriteString(" --tun-type ipip")
			case ipvs.TunnelGRE:
				b.WriteString(" --tun-type gre" + tunnelFlagOption(d.TunnelFlags))
			case ipvs.TunnelGUE:
				b.WriteString(" --tun-type gue --tun-port " + strconv.FormatUint(uint64(d.TunnelPort), 10) + tunnelFlagOption(d.TunnelFlags))
			}
		}
	default:
		return ""
	}
	return b.String()
}

// tunnelFlagOption is " " and the tun_flags_opts entry. The original
// indexes its table with the kernel's value unchecked; values it has no
// entry for are left out here.
func tunnelFlagOption(f ipvs.TunnelFlags) string {
	switch f {
	case ipvs.TunnelNoChecksum:
		return " --tun-nocsum"
	case ipvs.TunnelChecksum:
		return " --tun-csum"
	case ipvs.TunnelRemoteChecksum:
		return " --tun-remcsum"
	}
	return ""
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
