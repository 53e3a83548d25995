package robusttest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// This file generates random rule sets: for each service and server the
// line a rules file holds and the line "ipvsadm -Sn" prints for it.

var schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}

// service is a virtual service of a rule set.
type service struct {
	key   string // as in a save line: "-t 10.0.0.1:80", "-f 7 -6"
	name  string // as a numeric listing names it: "TCP  10.0.0.1:80", "FWM  7 IPv6"
	file  string // the -A line of the rules file
	save  string // the -A line of -Sn
	v6    bool
	fwm   bool
	port  int // 0 for fwmark services
	dests []*dest
}

// dest is a real server of a service.
type dest struct {
	addr       string // as in a save line: "10.1.2.3:80", "[2001:db8::1]:80"
	file, save string // the -a lines
	upper      int    // -x
	lower      int    // -y
}

// ruleSet is a generated table.
type ruleSet struct {
	services []*service
	keys     map[string]bool
}

func newRuleSet() *ruleSet { return &ruleSet{keys: map[string]bool{}} }

// file returns the rules file.
func (rs *ruleSet) file() string {
	var b strings.Builder
	for _, s := range rs.services {
		b.WriteString(s.file + "\n")
		for _, d := range s.dests {
			b.WriteString(d.file + "\n")
		}
	}
	return b.String()
}

// saveLines returns the lines -Sn prints for the table, unsorted.
func (rs *ruleSet) saveLines() []string {
	var out []string
	for _, s := range rs.services {
		out = append(out, s.save)
		for _, d := range s.dests {
			out = append(out, d.save)
		}
	}
	return out
}

// lines counts the lines of the rules file.
func (rs *ruleSet) lines() int {
	n := len(rs.services)
	for _, s := range rs.services {
		n += len(s.dests)
	}
	return n
}

// gen draws random rules.
type gen struct {
	r      *rand.Rand
	tunnel float64 // how likely a server tunnels (-i)
}

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

// v4 returns a random IPv4 address under prefix (one or two bytes).
func (g gen) v4(prefix string) string {
	n := 4 - strings.Count(prefix, ".") - 1
	parts := []string{prefix}
	for i := 0; i < n; i++ {
		lo := 0
		if i == n-1 {
			lo = 1 // not a network address
		}
		parts = append(parts, fmt.Sprint(lo+g.r.IntN(254-lo)))
	}
	return strings.Join(parts, ".")
}

// v6 returns a random IPv6 address "prefix:X::Y" as glibc prints it.
func (g gen) v6(prefix string) string {
	return fmt.Sprintf("%s:%x::%x", prefix, 1+g.r.IntN(0xfffe), 1+g.r.IntN(0xfffe))
}

// addService adds a random service to rs.
func (g gen) addService(rs *ruleSet) *service {
	s := &service{}
	sched := g.pick(schedulers)
	persistent := g.chance(0.35)
	onePacket := false
	for {
		proto := g.pick([]string{"-t", "-u", "--sctp-service"})
		protoName := map[string]string{"-t": "TCP ", "-u": "UDP ", "--sctp-service": "SCTP"}[proto]
		switch k := g.r.IntN(8); {
		case k < 2: // firewall mark
			mark := 1 + g.r.IntN(1<<20)
			s.fwm, s.v6 = true, g.chance(0.3)
			s.key, s.name = fmt.Sprintf("-f %d", mark), fmt.Sprintf("FWM  %d", mark)
			if s.v6 {
				s.key += " -6"
				s.name += " IPv6"
			}
		default:
			s.fwm, s.v6 = false, k < 4
			s.port = 1 + g.r.IntN(65535)
			if g.chance(0.1) {
				s.port, persistent = 0, true // port 0 needs persistence
			}
			addr := g.v4("10")
			if s.v6 {
				addr = "[" + g.v6("2001:db8") + "]"
			}
			addr = fmt.Sprintf("%s:%d", addr, s.port)
			s.key, s.name = proto+" "+addr, protoName+" "+addr
			onePacket = proto == "-u" && g.chance(0.3) // only UDP services may have it
		}
		if !rs.keys[s.key] {
			break
		}
	}
	rs.keys[s.key] = true

	opts := " -s " + sched
	if persistent {
		opts += fmt.Sprintf(" -p %d", 1+g.r.IntN(86400))
		if g.chance(0.5) {
			if s.v6 {
				opts += fmt.Sprintf(" -M %d", 1+g.r.IntN(127))
			} else {
				bits := 8 + g.r.IntN(24)
				m := ^uint32(0) << (32 - bits)
				opts += fmt.Sprintf(" -M %d.%d.%d.%d", m>>24, m>>16&255, m>>8&255, m&255)
			}
		}
	}
	if g.chance(0.15) {
		opts += " --pe sip"
	}
	if onePacket {
		opts += " -o"
	}
	if g.chance(0.25) {
		names := []string{"flag-1", "flag-2", "flag-3"}
		switch sched {
		case "sh", "mh":
			names = []string{sched + "-fallback", sched + "-port"}
		}
		var flags []string
		for _, n := range names {
			if g.chance(0.5) {
				flags = append(flags, n)
			}
		}
		if len(flags) > 0 {
			opts += " -b " + strings.Join(flags, ",")
		}
	}
	s.save = "-A " + s.key + opts
	s.file = s.save
	rs.services = append(rs.services, s)
	return s
}

// addDest adds a random real server to s.
func (g gen) addDest(s *service, taken map[string]bool) {
	d := &dest{}
	method := g.pick([]string{"-m", "-m", "-g"})
	if g.chance(g.tunnel) {
		method = "-i"
	}
	for {
		v6 := s.v6
		if method == "-i" && g.chance(0.15) {
			v6 = !v6 // tunnels may cross families
		}
		addr := g.v4(g.pick([]string{"192.168", "172.16"}))
		if v6 {
			addr = "[" + g.v6("2001:db8:ffff") + "]"
		}
		port := 0
		switch {
		case method == "-m":
			port = 1 + g.r.IntN(65535)
		case !s.fwm:
			port = s.port // ipvsadm gives -g and -i servers the service's port
		}
		d.addr = fmt.Sprintf("%s:%d", addr, port)
		if !taken[d.addr] {
			break
		}
	}
	taken[d.addr] = true

	weight := g.r.IntN(65536)
	switch {
	case g.chance(0.05):
		weight = 2147483647
	case g.chance(0.05):
		weight = 0 // a quiesced server
	case g.chance(0.2):
		weight = 1
	}
	line := fmt.Sprintf(" -r %s %s -w %d", d.addr, method, weight)
	fileLine := line
	if weight == 1 && g.chance(0.5) {
		fileLine = fmt.Sprintf(" -r %s %s", d.addr, method) // 1 is the default
	}
	if method == "-i" {
		tun := " --tun-type ipip" // the default: a file may leave it out, a save prints it
		switch g.r.IntN(3) {
		case 1:
			tun = fmt.Sprintf(" --tun-type gue --tun-port %d", 1+g.r.IntN(65535)) +
				g.pick([]string{" --tun-nocsum", " --tun-csum", " --tun-remcsum"})
		case 2:
			tun = " --tun-type gre" + g.pick([]string{" --tun-nocsum", " --tun-csum"})
		}
		line += tun
		if !strings.HasSuffix(tun, "ipip") || g.chance(0.5) {
			fileLine += tun
		}
	}
	if g.chance(0.4) {
		d.upper = 1 + g.r.IntN(100000)
		d.lower = g.r.IntN(d.upper + 1)
		fileLine += fmt.Sprintf(" -x %d -y %d", d.upper, d.lower)
	}
	d.save = "-a " + s.key + line
	d.file = "-a " + s.key + fileLine
	s.dests = append(s.dests, d)
}

// randomRuleSet draws a table of 1 to maxServices services with up to
// maxDests servers each, two in five tunnelling.
func randomRuleSet(r *rand.Rand, maxServices, maxDests int) *ruleSet {
	g := gen{r: r, tunnel: 0.4}
	rs := newRuleSet()
	for n := 1 + r.IntN(maxServices); n > 0; n-- {
		g.addServiceWithDests(rs, r.IntN(maxDests+1))
	}
	return rs
}

// addServiceWithDests adds a random service with n servers to rs.
func (g gen) addServiceWithDests(rs *ruleSet, n int) *service {
	s := g.addService(rs)
	taken := map[string]bool{}
	for ; n > 0; n-- {
		g.addDest(s, taken)
	}
	return s
}

// saveFile returns the lines of services as -Sn prints them (though not
// in its order): a rules file that is its own canonical form.
func saveFile(services []*service) string {
	var b strings.Builder
	for _, s := range services {
		b.WriteString(s.save + "\n")
		for _, d := range s.dests {
			b.WriteString(d.save + "\n")
		}
	}
	return b.String()
}
