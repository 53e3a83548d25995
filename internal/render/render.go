// Package render produces the byte-exact listing output of ipvsadm 1.31
// (-L/-l with -n, --stats, --rate, --thresholds, --persistent-conn,
// --tun-info, --exact, --nosort, and --timeout, --daemon); the
// differential corpus (testdata/diff, listing.cases above all) compares
// every format with the real ipvsadm.
//
// Everything here is a pure function of its arguments: data and options in,
// bytes out to an io.Writer. If the writer is a *bufio.Writer it is used
// directly (and not flushed); otherwise each call buffers internally and
// writes in large blocks. Names are resolved through a Namer, which is nil
// for numeric output.
package render

import (
	"bufio"
	"io"
	"strconv"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// Options select the listing format. When several are set, the original's
// precedence applies: titles and server lines use Stats > Rate > Thresholds
// > PersistentConn > TunInfo > default; service lines Stats > Rate >
// default. Exact only changes the number format of stats/rate columns.
type Options struct {
	Numeric        bool // -n: no name lookups (a nil Namer has the same effect)
	Stats          bool // --stats
	Rate           bool // --rate
	Thresholds     bool // --thresholds
	PersistentConn bool // --persistent-conn
	TunInfo        bool // --tun-info
	Exact          bool // --exact
	NoSort         bool // --nosort: the caller keeps the kernel's order
}

func (o Options) namer(n Namer) Namer {
	if o.Numeric {
		return nil
	}
	return n
}

// Service is a virtual service with its real servers, as listed.
type Service struct {
	ipvs.ServiceEntry
	Destinations []ipvs.DestinationEntry
}

// blockSize is the size of the internal output buffer.
const blockSize = 4096

// buffer is a writer that lends its free space to append a line to, as
// *bufio.Writer and *bytes.Buffer do: the functions here append each line
// straight into it and pass the result to Write, which then copies nothing.
// A writer that is not a buffer gets a bufio.Writer of its own for each
// call, flushed before the call returns.
type buffer interface {
	io.Writer
	// AvailableBuffer returns an empty slice whose capacity is the
	// writer's free space; it is valid until the next write.
	AvailableBuffer() []byte
}

// out is the line sink shared by all functions: a buffer, owned (a
// bufio.Writer flushed at the end) or borrowed from the caller.
type out struct {
	bw  buffer
	own *bufio.Writer
}

func newOut(w io.Writer) out {
	if b, ok := w.(buffer); ok {
		return out{bw: b}
	}
	bw := bufio.NewWriterSize(w, blockSize)
	return out{bw: bw, own: bw}
}

// line returns an empty buffer to append one line to; pass it to put.
func (o out) line() []byte { return o.bw.AvailableBuffer() }

func (o out) put(b []byte) { o.bw.Write(b) } // errors are sticky; see done

func (o out) done() error {
	if o.own != nil {
		return o.own.Flush()
	}
	// A borrowed writer reports an earlier write error on the next write.
	_, err := o.bw.Write(nil)
	return err
}

// Header writes the version line
// "IP Virtual Server version 1.2.1 (size=4096)".
func Header(w io.Writer, info ipvs.Info) error {
	o := newOut(w)
	o.put(appendHeader(o.line(), info))
	return o.done()
}

func appendHeader(b []byte, info ipvs.Info) []byte {
	b = append(b, "IP Virtual Server version "...)
	b = strconv.AppendUint(b, uint64(info.Version.Major), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(info.Version.Minor), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(info.Version.Patch), 10)
	b = append(b, " (size="...)
	b = strconv.AppendInt(b, int64(int32(info.ConnTableSize)), 10)
	return append(b, ")\n"...)
}

// Title writes the two title lines of the format opts selects.
func Title(w io.Writer, opts Options) error {
	o := newOut(w)
	o.put(append(o.line(), title(opts)...))
	return o.done()
}

func title(opts Options) string {
	switch {
	case opts.Stats:
		return "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n" +
			"  -> RemoteAddress:Port\n"
	case opts.Rate:
		return "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n" +
			"  -> RemoteAddress:Port\n"
	case opts.Thresholds:
		return "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\n"
	case opts.PersistentConn:
		return "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n" +
			"  -> RemoteAddress:Port\n"
	case opts.TunInfo:
		return "Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
	}
	return "Prot LocalAddress:Port Scheduler Flags\n" +
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
}

// ServiceLines writes the line of one service followed by one line per
// server, in the order given (sort first with SortServices and a
// DestinationSorter unless --nosort).
func ServiceLines(w io.Writer, s *Service, opts Options, n Namer) error {
	o := newOut(w)
	writeService(o, s, opts, opts.namer(n))
	return o.done()
}

func writeService(o out, s *Service, opts Options, n Namer) {
	o.put(appendServiceLine(o.line(), &s.ServiceEntry, opts, n))
	for i := range s.Destinations {
		o.put(appendServerLine(o.line(), &s.Destinations[i], s.Protocol, opts, n))
	}
}

// serviceFamily is the family a service is shown and sorted with.
func serviceFamily(s *ipvs.Service) ipvs.Family {
	if isIPv6(s.Family, s.Addr) {
		return ipvs.INET6
	}
	return ipvs.INET
}

func destFamily(d *ipvs.Destination) ipvs.Family {
	if isIPv6(d.Family, d.Addr) {
		return ipvs.INET6
	}
	return ipvs.INET
}

// appendServiceName appends the text that names a service in a listing:
// "TCP  addr:port" (IPv4 cut to 33 bytes) or "FWM  mark" (" IPv6" after
// an IPv6 mark).
func appendServiceName(b []byte, s *ipvs.Service, n Namer) []byte {
	fam := serviceFamily(s)
	if s.FWMark != 0 {
		b = append(b, "FWM  "...)
		b = strconv.AppendInt(b, int64(int32(s.FWMark)), 10)
		if fam == ipvs.INET6 {
			b = append(b, " IPv6"...)
		}
		return b
	}
	start := len(b)
	b = AppendLeft(b, protocolName(s.Protocol), 4)
	b = append(b, ' ')
	b = appendAddrPort(b, inFamily(fam, s.Addr), s.Port, s.Protocol, n)
	if fam != ipvs.INET6 && len(b)-start > serviceNameLen {
		b = b[:start+serviceNameLen]
	}
	return b
}

// protocolName is the listing's name of a service's protocol: "TCP",
// "UDP", "SCTP" or "?".
func protocolName(p ipvs.Protocol) string {
	if p.Name() == "" {
		return "?"
	}
	return p.String()
}

// appendMask appends the persistence mask text for a service of family fam
// and reports whether there is one: IPv4 masks other than 255.255.255.255
// as dotted quad, IPv6 prefix lengths other than 128 as signed decimal.
func appendMask(b []byte, fam ipvs.Family, mask uint32) ([]byte, bool) {
	if fam == ipvs.INET6 {
		if mask == 128 {
			return b, false
		}
		return strconv.AppendInt(b, int64(int32(mask)), 10), true
	}
	if mask == 0xffffffff {
		return b, false
	}
	return ipvstext.AppendIPv4(b, [4]byte{byte(mask >> 24), byte(mask >> 16), byte(mask >> 8), byte(mask)}), true
}

func seconds32(d time.Duration) uint32 { return uint32(int64(d / time.Second)) }

func appendServiceLine(b []byte, se *ipvs.ServiceEntry, opts Options, n Namer) []byte {
	s := &se.Service
	switch {
	case opts.Stats, opts.Rate:
		start := len(b)
		b = Pad(appendServiceName(b, s, n), start, 33)
		st := &se.Stats
		cols := [5]uint64{st.Connections, st.PacketsIn, st.PacketsOut, st.BytesIn, st.BytesOut}
		if !opts.Stats {
			cols = [5]uint64{st.CPS, st.PPSIn, st.PPSOut, st.BPSIn, st.BPSOut}
		}
		for _, v := range cols {
			b = appendLargeNum(b, v, opts.Exact)
		}
	default:
		b = appendServiceName(b, s, n)
		b = append(b, ' ')
		b = append(b, s.Scheduler...)
		if s.Flags&ipvstext.SchedFlagBits != 0 {
			b = append(b, " ("...)
			b = ipvstext.AppendSchedFlags(b, s.Scheduler, s.Flags)
			b = append(b, ')')
		}
		if s.Flags&ipvs.FlagPersistent != 0 {
			b = append(b, " persistent "...)
			b = strconv.AppendUint(b, uint64(seconds32(s.Timeout)), 10)
			start := len(b)
			b = append(b, " mask "...)
			var ok bool
			if b, ok = appendMask(b, serviceFamily(s), s.Netmask); !ok {
				b = b[:start]
			}
			if s.PE != "" {
				b = append(b, " pe "...)
				b = append(b, s.PE...)
			}
		}
		if s.Flags&ipvs.FlagOnePacket != 0 {
			b = append(b, " ops"...)
		}
	}
	return append(b, '\n')
}

// forwardName returns the listing name of a forwarding method: Masq,
// Local, Tunnel, Route by the low three bits, "(null)" for the others (the
// original prints a NULL string).
func forwardName(m ipvs.ForwardMethod) string {
	if m&7 > ipvs.Route {
		return "(null)"
	}
	return (m & 7).String()
}

// tunnelInfo returns the --tun-info column: "ipip", "gue:PORT:F",
// "gre:F" for tunnelling servers, "n/a" otherwise. F is -c, +c or r+c by
// checksum flags 0, 1, 2; the original indexes an array of three with the
// flags, so other values are undefined there and show as "?" here. The
// text is cut to 15 bytes like the original's 16-byte buffer.
func appendTunnelInfo(b []byte, d *ipvs.Destination) []byte {
	if d.Method&7 != ipvs.Tunnel {
		return append(b, "n/a"...)
	}
	flags := "?"
	switch d.TunnelFlags {
	case ipvs.TunnelNoChecksum:
		flags = "-c"
	case ipvs.TunnelChecksum:
		flags = "+c"
	case ipvs.TunnelRemoteChecksum:
		flags = "r+c"
	}
	start := len(b)
	switch d.TunnelType {
	case ipvs.TunnelIPIP, ipvs.TunnelGUE, ipvs.TunnelGRE:
		b = append(b, d.TunnelType.String()...)
	default:
		return append(b, "n/a"...)
	}
	if d.TunnelType == ipvs.TunnelGUE {
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(d.TunnelPort), 10)
	}
	if d.TunnelType != ipvs.TunnelIPIP {
		b = append(b, ':')
		b = append(b, flags...)
	}
	if len(b)-start > 15 {
		b = b[:start+15]
	}
	return b
}

func appendServerName(b []byte, d *ipvs.Destination, proto ipvs.Protocol, n Namer) []byte {
	fam := destFamily(d)
	start := len(b)
	b = appendAddrPort(b, inFamily(fam, d.Addr), d.Port, proto, n)
	if fam != ipvs.INET6 && len(b)-start > serverNameLen {
		b = b[:start+serverNameLen]
	}
	return b
}

// appendServerLine appends one server line; proto is the service's
// protocol (0 for fwmark services, whose server ports stay numeric).
func appendServerLine(b []byte, de *ipvs.DestinationEntry, proto ipvs.Protocol, opts Options, n Namer) []byte {
	d := &de.Destination
	b = append(b, "  -> "...)
	start := len(b)
	b = Pad(appendServerName(b, d, proto, n), start, 28)
	switch {
	case opts.Stats:
		st := de.Stats // full 64 bits: a deliberate difference, see TestServerCountersFull64Bit
		for _, v := range [5]uint64{st.Connections, st.PacketsIn, st.PacketsOut, st.BytesIn, st.BytesOut} {
			b = appendLargeNum(b, v, opts.Exact)
		}
	case opts.Rate:
		st := de.Stats // full 64 bits: a deliberate difference, see TestServerCountersFull64Bit
		for _, v := range [3]uint64{st.CPS, st.PPSIn, st.PPSOut} {
			b = append(b, ' ')
			b = appendRightUint(b, v, 8)
		}
		b = appendLargeNum(b, st.BPSIn, opts.Exact)
		b = appendLargeNum(b, st.BPSOut, opts.Exact)
	case opts.Thresholds:
		for _, v := range [4]uint32{d.UpperThreshold, d.LowerThreshold, de.ActiveConns, de.InactiveConns} {
			b = append(b, ' ')
			b = appendLeftUint(b, uint64(v), 10)
		}
	case opts.PersistentConn:
		b = append(b, ' ')
		b = appendLeftUint(b, uint64(d.Weight), 9)
		b = append(b, ' ')
		b = appendLeftUint(b, uint64(de.PersistentConns), 11)
		b = append(b, ' ')
		b = appendLeftUint(b, uint64(de.ActiveConns), 10)
		b = append(b, ' ')
		b = appendLeftUint(b, uint64(de.InactiveConns), 10)
	default:
		b = append(b, ' ')
		b = AppendLeft(b, forwardName(d.Method), 7)
		if opts.TunInfo {
			b = append(b, ' ')
			start := len(b)
			b = Pad(appendTunnelInfo(b, d), start, 13)
		}
		b = append(b, ' ')
		b = appendLeftInt(b, int64(int32(d.Weight)), 6)
		b = append(b, ' ')
		b = appendLeftUint(b, uint64(de.ActiveConns), 10)
		b = append(b, ' ')
		b = appendLeftUint(b, uint64(de.InactiveConns), 10)
	}
	return append(b, '\n')
}

// Timeouts writes "Timeout (tcp tcpfin udp): 900 120 300" (whole seconds,
// signed decimal).
func Timeouts(w io.Writer, t ipvs.Timeouts) error {
	o := newOut(w)
	b := append(o.line(), "Timeout (tcp tcpfin udp):"...)
	for _, d := range [3]time.Duration{t.TCP, t.TCPFin, t.UDP} {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(int32(seconds32(d))), 10)
	}
	o.put(append(b, '\n'))
	return o.done()
}

// Daemons writes one line per running sync daemon, in the order given (the
// kernel reports the master first): "master sync daemon (mcast=eth0,
// syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)", the last four
// only when non-zero (group: when valid). Entries whose state has neither
// the master nor the backup bit are skipped; a state with both is master.
func Daemons(w io.Writer, ds []ipvs.Daemon) error {
	o := newOut(w)
	for i := range ds {
		d := &ds[i]
		var b []byte
		switch {
		case d.State&ipvs.Master != 0:
			b = append(o.line(), ipvs.Master.String()...)
		case d.State&ipvs.Backup != 0:
			b = append(o.line(), ipvs.Backup.String()...)
		default:
			continue
		}
		b = append(b, " sync daemon (mcast="...)
		b = append(b, d.Interface...)
		b = append(b, ", syncid="...)
		b = strconv.AppendInt(b, int64(int32(d.SyncID)), 10)
		if d.MaxLen != 0 {
			b = append(b, ", maxlen="...)
			b = strconv.AppendUint(b, uint64(d.MaxLen), 10)
		}
		if d.Group.IsValid() {
			b = append(b, ", group="...)
			b = appendAddr(b, d.Group)
		}
		if d.Port != 0 {
			b = append(b, ", port="...)
			b = strconv.AppendUint(b, uint64(d.Port), 10)
		}
		if d.TTL != 0 {
			b = append(b, ", ttl="...)
			b = strconv.AppendUint(b, uint64(d.TTL), 10)
		}
		o.put(append(b, ")\n"...))
	}
	return o.done()
}
