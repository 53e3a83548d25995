// Package bench measures ipvsadm implementations against each other on a
// real IPVS kernel: it generates deterministic rule sets, runs each
// operation of each binary in a fresh network namespace, checks the table
// afterwards and reports medians, ratios and peak memory.
//
// The measuring program (cmd/ipvsbench) runs inside the test VM; the host
// side (cmd/benchvm) boots the VM and collects the report.
package bench

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Size is the shape of a rule set: Services virtual services with Dests
// destinations each.
type Size struct {
	Services int
	Dests    int
}

// maxDestinations bounds Services*Dests: destination addresses come from
// 172.16.0.0/12.
const maxDestinations = 1<<20 - 2

// ParseSize parses "SERVICESxDESTS", such as "10000x10".
func ParseSize(s string) (Size, error) {
	a, b, ok := strings.Cut(s, "x")
	if !ok {
		return Size{}, fmt.Errorf("size %q: want SERVICESxDESTS, such as 10000x10", s)
	}
	svcs, err1 := strconv.Atoi(a)
	dests, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || svcs < 1 || dests < 0 || svcs > 1<<24-2 || svcs*dests > maxDestinations {
		return Size{}, fmt.Errorf("size %q: want 1 to 16777214 services and at most %d destinations in all", s, maxDestinations)
	}
	return Size{Services: svcs, Dests: dests}, nil
}

// String returns the size as ParseSize reads it.
func (s Size) String() string { return fmt.Sprintf("%dx%d", s.Services, s.Dests) }

// Lines is the number of rule lines (and table entries) of the size.
func (s Size) Lines() int { return s.Services * (1 + s.Dests) }

// Service returns the i-th virtual service: TCP 10.0.0.0+i+1, port 80,
// scheduler wlc.
func (s Size) Service(i int) ipvs.Service {
	return ipvs.Service{
		ServiceKey: ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Addr: ipv4(10<<24 + uint32(i) + 1), Port: 80},
		Scheduler:  "wlc",
		Netmask:    0xffffffff,
	}
}

// Destination returns the j-th destination of the i-th service: every
// destination of the rule set has its own address, counting up from
// 172.16.0.1, port 80, masquerading, weight 1 to 100.
func (s Size) Destination(i, j int) ipvs.Destination {
	k := uint32(i*s.Dests + j)
	return ipvs.Destination{
		Addr:   ipv4(172<<24 | 16<<16 + k + 1),
		Port:   80,
		Method: ipvs.Masquerade,
		Weight: 1 + k%100,
	}
}

func ipv4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// WriteRules writes the rule file: for each service its "-A" line and then
// its destinations' "-a" lines, exactly as ipvsadm -Sn prints them.
func (s Size) WriteRules(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for i := range s.Services {
		svc := s.Service(i)
		bw.WriteString(ServiceLine(svc))
		bw.WriteByte('\n')
		for j := range s.Dests {
			bw.WriteString(DestinationLine(svc.ServiceKey, s.Destination(i, j)))
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing rules %s: %w", s, err)
	}
	return nil
}

// ExpectedLines returns the rule lines, as a Table holding exactly the
// rule set reports them.
func (s Size) ExpectedLines() *Table {
	t := &Table{Lines: make([]string, 0, s.Lines())}
	for i := range s.Services {
		svc := s.Service(i)
		t.Lines = append(t.Lines, ServiceLine(svc))
		for j := range s.Dests {
			t.Lines = append(t.Lines, DestinationLine(svc.ServiceKey, s.Destination(i, j)))
		}
	}
	t.Services, t.Destinations = s.Services, s.Services*s.Dests
	t.sort()
	return t
}

// Requests returns the rule set as encoded requests, in file order.
func (s Size) Requests() []ipvs.Request {
	reqs := make([]ipvs.Request, 0, s.Lines())
	for i := range s.Services {
		svc := s.Service(i)
		reqs = append(reqs, ipvs.NewServiceRequest(svc))
		for j := range s.Dests {
			reqs = append(reqs, ipvs.NewDestinationRequest(svc.ServiceKey, s.Destination(i, j)))
		}
	}
	return reqs
}
