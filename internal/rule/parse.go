package rule

import (
	"net/netip"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvstext"
)

// Limits from ipvsadm.c and ip_vs.h.
const (
	maxTimeout         = 86400 * 31 // MAX_TIMEOUT: 31 days
	defaultPersistence = 6 * 60     // IPVS_SVC_PERSISTENT_TIMEOUT
	schedNameMax       = 16 - 1     // IP_VS_SCHEDNAME_MAXLEN - 1
	peNameMax          = 16         // IP_VS_PENAME_MAXLEN
	ifNameMax          = 16 - 1     // IP_VS_IFNAME_MAXLEN - 1
	schedFlagsArgMax   = 128 - 1    // sched_flags_arg[128]
	maxInt             = 1<<31 - 1  // INT_MAX
	defaultScheduler   = "wlc"
	defaultMcastIfn    = "eth0"
)

// parser holds the state of one parse, mirroring ipvsadm's
// ipvs_command_entry, options bit set and format flags.
type parser struct {
	prog string
	res  Resolver
	sc   scanner

	cmd     Kind
	options uint64 // bit optc set when the tracked option was given

	svc struct {
		af      ipvs.Family
		proto   ipvs.Protocol // also set (to TCP) by -f, for -r's port names
		addr    netip.Addr
		port    uint16
		fwmark  uint32
		sched   string
		pe      string
		flags   ipvs.ServiceFlags
		timeout uint32
		netmask uint32
	}
	dest          ipvs.Destination
	timeouts      ipvs.Timeouts
	daemon        ipvs.Daemon
	list          ListOptions
	schedFlagsArg string

	lastScheduler string // see keepScheduler; kept from one parse to the next
}

func (p *parser) has(o optc) bool { return p.options&(1<<uint(o)) != 0 }

// Parse parses the arguments of one invocation (args is argv without
// argv[0]; prog is argv[0], used verbatim in the Try line) as ipvsadm
// 1.31 does, without acting on them.
//
// It returns the Command, or an *Error carrying the original's message,
// exit status and restore behaviour. -h and -v give Commands of kind Help
// and Version (print Usage(prog) or VersionLine). No arguments at all give
// a List command (the original lists the table when argc is 1).
//
// Deliberate difference: `-b` whose list is made only of commas crashes the
// original (SIGSEGV in strtok/strcmp); Parse fails instead with
// "invalid scheduler flag `,'" (the whole list quoted), exit status 2.
func Parse(prog string, args []string, opts Options) (*Command, error) {
	bf := flagSets.Get().(*boundFlagSet)
	defer flagSets.Put(bf)
	c := new(Command)
	if err := bf.parse(c, prog, args, opts); err != nil {
		return nil, err
	}
	return c, nil
}

// Parser parses invocation after invocation (the lines of a restore) as
// Parse does, reusing its memory: the Command it returns is its own, and
// its next Parse overwrites it. The zero Parser is ready to use.
type Parser struct {
	bf  *boundFlagSet
	cmd Command
}

// Parse parses args as the package's Parse does, into the Parser's
// Command.
func (ps *Parser) Parse(prog string, args []string, opts Options) (*Command, error) {
	if ps.bf == nil {
		ps.bf = flagSets.Get().(*boundFlagSet)
	}
	if err := ps.bf.parse(&ps.cmd, prog, args, opts); err != nil {
		return nil, err
	}
	return &ps.cmd, nil
}

// parse is Parse with bf's FlagSet, into *c.
func (bf *boundFlagSet) parse(c *Command, prog string, args []string, opts Options) error {
	if len(args) == 0 {
		*c = Command{Kind: List}
		return nil
	}
	p := &bf.p
	last := p.lastScheduler
	*p = parser{} // zeroed in place: a composite literal would be built aside and copied
	p.prog, p.res, p.lastScheduler = prog, opts.Resolver, last
	p.sc.args = cStrings(args)
	p.sc.posix = opts.PosixlyCorrect
	p.sc.fs = bf.fs
	p.sc.short = &bf.short
	// The defaults process_options sets before parsing.
	p.dest.Weight = 1
	p.dest.Method = ipvs.Route
	p.svc.netmask = 0xffffffff

	if err := p.parseOptions(); err != nil {
		return err
	}
	if p.cmd == Help || p.cmd == Version {
		*c = Command{Kind: p.cmd}
		return nil
	}
	if err := p.check(); err != nil {
		return err
	}
	p.command(c)
	return nil
}

// cStrings cuts each argument at its first NUL byte, as C sees it.
func cStrings(args []string) []string {
	out := args
	for i, a := range args {
		if j := indexByte(a, 0); j >= 0 {
			if &out[0] == &args[0] {
				out = append([]string(nil), args...)
			}
			out[i] = a[:j]
		}
	}
	return out
}

// indexByte is strings.IndexByte for the short texts of arguments, which
// a plain loop searches sooner than the vector search does under emulation
// (in the test VM's profile of BenchmarkRestoreRequests, cutting arguments
// at NUL went from 8% of the time to 3%).
func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// parseOptions is parse_options: the command, then the other options in
// order, then the --set values, leftovers and -b.
func (p *parser) parseOptions() error {
	f, val, code := p.sc.step()
	if code != poptOK || specOf(f).cmd == 0 {
		return TryHelpError(p.prog)
	}
	if c := specOf(f).cmd; c == Help || c == Version {
		p.cmd = c
		return nil
	}
	if err := p.set(f, val); err != nil {
		return err
	}

	for {
		f, val, code = p.sc.step()
		if code == poptDone {
			break
		}
		if code != poptOK {
			return &Error{Class: OptionError, Text: p.sc.badOption() + ": " + poptMessages[code]}
		}
		if specOf(f).cmd != 0 {
			return failf("invalid option `%s'", p.sc.badOption())
		}
		if err := p.set(f, val); err != nil {
			return err
		}
	}

	leftovers := p.sc.leftovers
	if p.cmd == SetTimeouts {
		if len(leftovers) < 3 {
			return failf("--set option requires 3 timeout values")
		}
		var t [3]time.Duration
		for i := range t {
			v, err := parseTimeout(leftovers[i], 0)
			if err != nil {
				return err
			}
			t[i] = time.Duration(v) * time.Second
		}
		p.timeouts = ipvs.Timeouts{TCP: t[0], TCPFin: t[1], UDP: t[2]}
		leftovers = leftovers[3:]
	}
	if len(leftovers) > 0 {
		return failf("unexpected argument %s", leftovers[0])
	}

	if p.schedFlagsArg != "" {
		flags, err := parseSchedFlags(p.svc.sched, p.schedFlagsArg)
		if err != nil {
			return err
		}
		p.svc.flags = p.svc.flags&^ipvstext.SchedFlagBits | flags
	}
	return nil
}

// set carries out the option f with its value: the action its Value's
// Set would call, called directly (a restore sets every option of every
// line).
//
// It does not go through FlagSet.Set, which also records the flag as
// changed, in a list that is never cleared: the flag sets are reused for
// every line of a restore, and nothing reads that record.
func (p *parser) set(f *pflag.Flag, val string) error {
	return p.apply(specOf(f), val)
}

// setOption is set_option: a tracked option may be given once.
func (p *parser) setOption(o optc) error {
	if o == untracked {
		return nil
	}
	if p.has(o) {
		return failf("multiple '%s' options specified", optNames[o])
	}
	p.options |= 1 << uint(o)
	return nil
}

// apply acts on one option as the big switch of parse_options does. For
// -p, val is noValue when no value was given.
func (p *parser) apply(spec *optSpec, val string) error {
	if spec.cmd != 0 {
		p.cmd = spec.cmd
		switch spec.cmd {
		case StartDaemon:
			st, ok := ipvs.ParseDaemonState(val)
			if !ok {
				return failf("illegal start-daemon parameter specified")
			}
			p.daemon.State = st
		case StopDaemon:
			st, ok := ipvs.ParseDaemonState(val)
			if !ok {
				return failf("illegal start_daemon specified")
			}
			p.daemon.State = st
		}
		return nil
	}
	if err := p.setOption(spec.optc); err != nil {
		return err
	}
	switch spec.tag {
	case tagTCP, tagUDP, tagSCTP:
		p.svc.proto = ipvs.TCP
		switch spec.tag {
		case tagUDP:
			p.svc.proto = ipvs.UDP
		case tagSCTP:
			p.svc.proto = ipvs.SCTP
		}
		a, ok := p.parseService(val, p.svc.proto)
		if !ok {
			return failf("illegal virtual server address[:port] specified")
		}
		p.svc.af, p.svc.addr = a.af, a.addr
		if a.af == ipvs.INET6 {
			p.svc.netmask = 128
		}
		if a.hasPort {
			p.svc.port = a.port
		}
	case tagFWMark:
		p.svc.af = ipvs.INET
		p.svc.proto = ipvs.TCP
		v, ok := stringToNumber(val, 1, 1<<32-1)
		if !ok {
			return failf("invalid fwmark value `%s' specified", val)
		}
		p.svc.fwmark = uint32(v)
	case tagScheduler:
		p.svc.sched = p.keepScheduler(truncate(val, schedNameMax))
	case tagPersistent:
		p.svc.flags |= ipvs.FlagPersistent
		p.svc.timeout = defaultPersistence
		if val != noValue {
			v, err := parseTimeout(val, 1)
			if err != nil {
				return err
			}
			p.svc.timeout = v
		}
	case tagNetmask:
		if p.svc.af != ipvs.INET6 {
			m, ok := p.parseIPv4(val)
			if !ok {
				return failf("illegal virtual server persistent mask specified")
			}
			p.svc.netmask = m
		} else {
			p.svc.netmask = uint32(atoi(val))
			if p.svc.netmask < 1 || p.svc.netmask > 128 {
				return failf("illegal ipv6 netmask specified")
			}
		}
	case tagServer:
		// parse_service works on a copy of the service, so the protocol
		// and port known at this moment apply.
		a, ok := p.parseService(val, p.svc.proto)
		if !ok {
			return failf("illegal real server address[:port] specified")
		}
		p.dest.Family, p.dest.Addr = a.af, a.addr
		p.dest.Port = p.svc.port
		if a.hasPort {
			p.dest.Port = a.port
		}
	case tagMasq:
		p.dest.Method = ipvs.Masquerade
	case tagTunnel:
		p.dest.Method = ipvs.Tunnel
	case tagRoute:
		p.dest.Method = ipvs.Route
	case tagWeight:
		return setNumber(&p.dest.Weight, val, 0, maxInt, "illegal weight specified") // Debian: 0..INT_MAX
	case tagUThreshold:
		return setNumber(&p.dest.UpperThreshold, val, 0, maxInt, "illegal u_threshold specified")
	case tagLThreshold:
		return setNumber(&p.dest.LowerThreshold, val, 0, maxInt, "illegal l_threshold specified")
	case tagConnection:
		p.list.Connection = true
	case tagNumeric:
		p.list.Numeric = true
	case tagMcastIfn:
		p.daemon.Interface = strings.Clone(truncate(val, ifNameMax))
	case tagSyncID:
		return setNumber(&p.daemon.SyncID, val, 0, 255, "illegal syncid specified")
	case tagTimeout:
		p.list.Timeout = true
	case tagDaemon:
		p.list.Daemon = true
	case tagStats:
		p.list.Stats = true
	case tagRate:
		p.list.Rate = true
	case tagThresholds:
		p.list.Thresholds = true
	case tagPersistentConn:
		p.list.PersistentConn = true
	case tagNoSort:
		p.list.NoSort = true
	case tagSort:
		// A no-op kept for compatibility.
	case tagExact:
		p.list.Exact = true
	case tagIPv6:
		if p.svc.fwmark == 0 {
			return failf("-6 used before -f\n")
		}
		p.svc.af = ipvs.INET6
		p.svc.netmask = 128
	case tagOnePacket:
		p.svc.flags |= ipvs.FlagOnePacket
	case tagPE:
		p.svc.pe = strings.Clone(truncate(val, peNameMax))
	case tagSchedFlags:
		p.schedFlagsArg = truncate(val, schedFlagsArgMax)
	case tagMcastGroup:
		g, ok := parseMcastGroup(val)
		if !ok {
			if strings.IndexByte(val, ':') >= 0 {
				return failf("invalid IPv6 mcast-group `%s'", val)
			}
			return failf("invalid IPv4 mcast-group `%s'", val)
		}
		p.daemon.Group = g
	case tagMcastPort:
		return setNumber(&p.daemon.Port, val, 1, 65535, "illegal mcast-port specified")
	case tagMcastTTL:
		return setNumber(&p.daemon.TTL, val, 1, 255, "illegal mcast-ttl specified")
	case tagSyncMaxLen:
		return setNumber(&p.daemon.MaxLen, val, 1, 65535-20-8, "illegal sync-maxlen specified")
	case tagTunInfo:
		p.list.TunInfo = true
	case tagTunType:
		t, ok := ipvs.ParseTunnelType(val)
		if !ok {
			return failf("illegal tunnel type specified")
		}
		p.dest.TunnelType = t
	case tagTunPort:
		return setNumber(&p.dest.TunnelPort, val, 1, 65535, "illegal tunnel port specified")
	case tagTunNoCsum:
		p.dest.TunnelFlags |= ipvs.TunnelNoChecksum
	case tagTunCsum:
		p.dest.TunnelFlags |= ipvs.TunnelChecksum
	case tagTunRemCsum:
		p.dest.TunnelFlags |= ipvs.TunnelRemoteChecksum
	}
	return nil
}

// setNumber is an option's string_to_number(val, min, max) into *dst; a
// value that is not a number in range fails with msg, the original's text.
func setNumber[T ~uint8 | ~uint16 | ~uint32](dst *T, val string, min, max int64, msg string) error {
	v, ok := stringToNumber(val, min, max)
	if !ok {
		return failf("%s", msg)
	}
	*dst = T(v)
	return nil
}

// truncate is strncpy into a buffer of max bytes plus a NUL. The strings
// a Command keeps are copies of what truncate returns: a Command shares no
// memory with the arguments, which may share it with other lines (see
// Reader.Next).
func truncate(s string, max int) string {
	if len(s) > max {
		return s[:max]
	}
	return s
}

// keepScheduler returns a copy of name: the one the previous parse made
// when name is the same, as restore lines repeat their scheduler.
func (p *parser) keepScheduler(name string) string {
	if name != p.lastScheduler {
		p.lastScheduler = strings.Clone(name)
	}
	return p.lastScheduler
}

// parseTimeout is parse_timeout with a non-NULL value: strtol, min..31 days.
func parseTimeout(v string, min int64) (uint32, error) {
	n, ok := stringToNumber(v, min, maxTimeout)
	if !ok {
		return 0, failf("invalid timeout value `%s' specified", v)
	}
	return uint32(n), nil
}

// parseMcastGroup checks --mcast-group: an IPv6 multicast literal if the
// text has a colon, else a strict dotted quad in 224.0.0.0/4.
func parseMcastGroup(v string) (netip.Addr, bool) {
	if strings.IndexByte(v, ':') >= 0 {
		a, ok := ipvstext.ParseIPv6(v)
		if !ok || a.As16()[0] != 0xff {
			return netip.Addr{}, false
		}
		return a, true
	}
	a, ok := ipvstext.ParseIPv4(v)
	if !ok || a.As4()[0]&0xf0 != 0xe0 {
		return netip.Addr{}, false
	}
	return a, true
}

// parseSchedFlags is parse_sched_flags, run after all options with the
// scheduler given (or wlc).
func parseSchedFlags(sched, arg string) (ipvs.ServiceFlags, error) {
	if sched == "" {
		sched = defaultScheduler
	}
	var flags ipvs.ServiceFlags
	n := 0
	for _, tok := range strings.Split(arg, ",") {
		if tok == "" {
			continue // strtok skips empty fields
		}
		n++
		bit, need, known := ipvs.ParseSchedFlag(tok)
		if !known {
			return 0, failf("invalid scheduler flag `%s'", tok)
		}
		flags |= bit
		if need != "" && sched != need {
			return 0, failf("incompatible scheduler flag `%s'", tok)
		}
	}
	if n == 0 {
		// The original crashes here (strcmp on NULL); see Parse.
		return 0, failf("invalid scheduler flag `%s'", arg)
	}
	return flags, nil
}

// addrPort is the result of parse_service.
type addrPort struct {
	af      ipvs.Family
	addr    netip.Addr
	port    uint16
	hasPort bool
}

// parseService is ipvsadm's parse_service. ok is false for
// SERVICE_NONE; hasPort reports SERVICE_PORT.
func (p *parser) parseService(buf string, proto ipvs.Protocol) (r addrPort, ok bool) {
	if isDigitString(buf) {
		return r, false
	}
	host := buf
	portText, hasPort := "", false
	if buf[0] == '[' {
		rest := buf[1:]
		i := strings.IndexByte(rest, ']')
		if i < 0 {
			return r, false
		}
		host = rest[:i]
		after := rest[i+1:]
		if after == "" || after[0] != ':' {
			return r, false
		}
		portText, hasPort = after[1:], true
	}
	if a, ok := ipvstext.ParseIPv6(host); ok {
		r.af, r.addr = ipvs.INET6, a
	} else {
		// Split at the last colon of the host text; in the bracket form
		// this drops the port written after ']'.
		portText, hasPort = "", false
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host, portText, hasPort = host[:i], host[i+1:], true
		}
		a, ok := p.parseIPv4(host)
		if !ok {
			return r, false
		}
		r.af, r.addr = ipvs.INET, netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
	}
	if hasPort {
		r.hasPort = true
		if n, ok := stringToNumber(portText, 0, 65535); ok {
			r.port = uint16(n)
		} else if n, ok := p.lookupPort(portText, proto); ok {
			r.port = n
		} else {
			return r, false
		}
	}
	return r, true
}

// parseIPv4 is inet_aton, then gethostbyname (IPv4 only) through the
// Resolver. The address is returned as a big-endian number.
func (p *parser) parseIPv4(s string) (uint32, bool) {
	if a, ok := ipvstext.InetAton(s); ok {
		return a, true
	}
	if p.res == nil {
		return 0, false
	}
	a, err := p.res.LookupHost(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

// lookupPort is service_to_port: only for TCP, UDP and SCTP.
func (p *parser) lookupPort(name string, proto ipvs.Protocol) (uint16, bool) {
	pn := proto.Name()
	if pn == "" || p.res == nil {
		return 0, false
	}
	n, err := p.res.LookupPort(name, pn)
	if err != nil {
		return 0, false
	}
	return n, true
}
