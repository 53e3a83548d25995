package rule

import (
	"math/bits"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// commandOptions is ipvsadm's commands_v_options table: for each command,
// one character per tracked option in optc order: '+' required, 'x'
// illegal, '1' at most one of the '1' options, ' ' optional.
var commandOptions = [...]string{
	AddService:    "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
	EditService:   "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
	DeleteService: "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	Flush:         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	List:          " 11xxxxxxxxx11       xxxxxxx xxxxx",
	AddServer:     "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
	DeleteServer:  "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
	EditServer:    "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
	SetTimeouts:   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	StartDaemon:   "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
	StopDaemon:    "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
	Restore:       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	Save:          " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	Zero:          "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
}

// optionRules is a row of commandOptions as sets of tracked options (bit
// o for optc o).
type optionRules struct{ required, illegal, one uint64 }

// commandRules are the rows of commandOptions as optionRules.
var commandRules = func() (rules [len(commandOptions)]optionRules) {
	for k, row := range commandOptions {
		for j := 0; j < len(row); j++ {
			switch row[j] {
			case '+':
				rules[k].required |= 1 << j
			case 'x':
				rules[k].illegal |= 1 << j
			case '1':
				rules[k].one |= 1 << j
			}
		}
	}
	return rules
}()

// tunnelOptions is tunnel_types_v_options over tun-port, tun-nocsum,
// tun-csum and tun-remcsum.
var (
	tunnelOptionOrder = [4]optc{optTunPort, optTunNoCsum, optTunCsum, optTunRemCsum}
	tunnelOptions     = [...]string{
		ipvs.TunnelIPIP: "xxxx",
		ipvs.TunnelGUE:  "+111",
		ipvs.TunnelGRE:  "x11x",
	}
)

// check runs the checks process_options makes after parsing, in its order
// (popt.cases and errors.cases prove the order against the real binary).
func (p *parser) check() error {
	if err := p.genericCheck(); err != nil {
		return err
	}
	if p.cmd == AddService || p.cmd == EditService {
		if p.svc.fwmark == 0 && p.svc.port == 0 && p.svc.flags&ipvs.FlagPersistent == 0 {
			return failf("Zero port specified for non-persistent service")
		}
		if p.svc.flags&ipvs.FlagOnePacket != 0 && p.svc.fwmark == 0 && p.svc.proto != ipvs.UDP {
			return failf("One-Packet Scheduling is only for UDP virtual services")
		}
		if p.svc.sched == "" {
			p.svc.sched = defaultScheduler
		}
	}
	if p.cmd == StartDaemon && p.daemon.Interface == "" {
		p.daemon.Interface = defaultMcastIfn
	}
	if p.cmd == AddServer || p.cmd == EditServer {
		m := p.dest.Method
		if p.svc.fwmark == 0 && (m == ipvs.Tunnel || m == ipvs.Route) {
			p.dest.Port = p.svc.port
		}
		if p.dest.Family != p.svc.af && m != ipvs.Tunnel {
			return failf("Different address family is allowed only for tunneling servers")
		}
		if (p.has(optTunType) || p.has(optTunPort) || p.has(optTunNoCsum) ||
			p.has(optTunCsum) || p.has(optTunRemCsum)) && m != ipvs.Tunnel {
			return failf("Tunnel options conflict with forward method")
		}
		if err := p.tunnelCheck(); err != nil {
			return err
		}
	}
	if p.cmd == List {
		l := p.list
		if ((l.Connection || l.Timeout || l.Daemon) && (l.Stats || l.Rate || l.Thresholds)) ||
			((l.Timeout || l.Daemon) && l.PersistentConn) {
			return failf("options conflicts in the list command")
		}
	}
	return nil
}

// genericCheck is generic_opt_check: the first violation of the command's
// row, walking the options in table order. The walk is needed only when
// the options break a rule, which the row's sets tell at once.
func (p *parser) genericCheck() error {
	if p.obeysRow() {
		return nil
	}
	return p.rowViolation()
}

// obeysRow reports whether the options break none of the rules of the
// command's row (TestObeysRow holds it to rowViolation).
func (p *parser) obeysRow() bool {
	r := commandRules[p.cmd]
	return p.options&r.required == r.required && p.options&r.illegal == 0 && bits.OnesCount64(p.options&r.one) <= 1
}

// rowViolation is the first violation of the command's row, walking the
// options in table order, or nil.
func (p *parser) rowViolation() error {
	row := commandOptions[p.cmd]
	last, count := optc(0), 0
	for j := optc(0); j < numOpts; j++ {
		rule := row[j]
		if !p.has(j) {
			if rule == '+' {
				return failf("You need to supply the '%s' option for the '%s' command", optNames[j], p.cmd)
			}
			continue
		}
		switch rule {
		case 'x':
			return failf("Illegal '%s' option with the '%s' command", optNames[j], p.cmd)
		case '1':
			count++
			if count > 1 {
				return failf("The option '%s' conflicts with the '%s' option in the '%s' command", optNames[j], optNames[last], p.cmd)
			}
			last = j
		}
	}
	return nil
}

// tunnelCheck is tunnel_opt_check for the tunnel type given (ipip by
// default).
func (p *parser) tunnelCheck() error {
	t := p.dest.TunnelType
	row := tunnelOptions[t]
	last, count := optc(0), 0
	for j, o := range tunnelOptionOrder {
		rule := row[j]
		if !p.has(o) {
			if rule == '+' {
				return failf("You need to supply the '%s' option for the '%s' tunnel type", optNames[o], t)
			}
			continue
		}
		switch rule {
		case 'x':
			return failf("Illegal '%s' option with the '%s' tunnel type", optNames[o], t)
		case '1':
			count++
			if count > 1 {
				return failf("The option '%s' conflicts with the '%s' option in the '%s' tunnel type", optNames[o], optNames[last], t)
			}
			last = o
		}
	}
	return nil
}

// command sets *c to the Command of the parse state.
func (p *parser) command(c *Command) {
	*c = Command{} // zeroed in place: a composite literal would be built aside and copied
	c.Kind, c.List = p.cmd, p.list
	if p.has(optService) {
		c.HasService = true
		s := &c.Service
		s.Family = p.svc.af
		if p.svc.fwmark != 0 {
			s.FWMark = p.svc.fwmark
		} else {
			s.Protocol, s.Addr, s.Port = p.svc.proto, p.svc.addr, p.svc.port
		}
		s.Scheduler = p.svc.sched
		s.PE = p.svc.pe
		s.Flags = p.svc.flags
		s.Timeout = time.Duration(p.svc.timeout) * time.Second
		s.Netmask = p.svc.netmask
	}
	if p.has(optServer) {
		c.HasServer = true
		c.Server = p.dest
	}
	switch p.cmd {
	case SetTimeouts:
		c.Timeouts = p.timeouts
	case StartDaemon, StopDaemon:
		c.Daemon = p.daemon
	}
}
