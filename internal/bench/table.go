package bench

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Table is the content of an IPVS table (or of a rule file) as sorted
// "ipvsadm -Sn" lines.
type Table struct {
	Services     int
	Destinations int
	// Lines are the -Sn lines of every service and destination, sorted.
	Lines []string
}

func (t *Table) sort() { slices.Sort(t.Lines) }

// ReadTable reads the whole table through c: every service, and every
// destination of each.
func ReadTable(c *ipvs.Client) (*Table, error) {
	svcs, err := c.Services()
	if err != nil {
		return nil, fmt.Errorf("reading the table: %w", err)
	}
	t := &Table{Services: len(svcs), Lines: make([]string, 0, len(svcs))}
	for _, s := range svcs {
		t.Lines = append(t.Lines, ServiceLine(s.Service))
		dests, err := c.Destinations(s.ServiceKey)
		if err != nil {
			return nil, fmt.Errorf("reading the table: %w", err)
		}
		t.Destinations += len(dests)
		for _, d := range dests {
			t.Lines = append(t.Lines, DestinationLine(s.ServiceKey, d.Destination))
		}
	}
	t.sort()
	return t, nil
}

// Check returns nil if got holds exactly the entries of t, or an error
// naming the counts and the first differing lines.
func (t *Table) Check(got *Table) error {
	if got.Services == t.Services && got.Destinations == t.Destinations && slices.Equal(got.Lines, t.Lines) {
		return nil
	}
	missing, extra := diffSorted(t.Lines, got.Lines, 3)
	return fmt.Errorf("table has %d services and %d destinations, want %d and %d; missing %q, unexpected %q",
		got.Services, got.Destinations, t.Services, t.Destinations, missing, extra)
}

// CheckLines returns nil if the lines of out, sorted, are exactly t's
// (out is an "ipvsadm -Sn" listing).
func (t *Table) CheckLines(out []byte) error {
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(out) == 0 {
		lines = nil
	}
	slices.Sort(lines)
	if slices.Equal(lines, t.Lines) {
		return nil
	}
	missing, extra := diffSorted(t.Lines, lines, 3)
	return fmt.Errorf("listing has %d lines, want %d; missing %q, unexpected %q", len(lines), len(t.Lines), missing, extra)
}

// diffSorted returns up to n lines of the sorted a missing from the sorted
// b, and up to n lines of b missing from a.
func diffSorted(a, b []string, n int) (onlyA, onlyB []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			if len(onlyA) < n {
				onlyA = append(onlyA, a[i])
			}
			i++
		case i == len(a) || b[j] < a[i]:
			if len(onlyB) < n {
				onlyB = append(onlyB, b[j])
			}
			j++
		default:
			i, j = i+1, j+1
		}
	}
	return onlyA, onlyB
}

// ServiceLine formats s as ipvsadm -Sn does for the services this package
// generates; other features are shown too, so that a table holding them
// never matches a rule set.
func ServiceLine(s ipvs.Service) string {
	var b strings.Builder
	b.WriteString("-A ")
	b.WriteString(serviceID(s.ServiceKey))
	b.WriteString(" -s ")
	b.WriteString(s.Scheduler)
	if s.Flags&ipvs.FlagPersistent != 0 {
		fmt.Fprintf(&b, " -p %d", int(s.Timeout.Seconds()))
	}
	if s.PE != "" {
		b.WriteString(" --pe " + s.PE)
	}
	if f := s.Flags &^ (ipvs.FlagPersistent | ipvs.FlagHashed); f != 0 {
		fmt.Fprintf(&b, " flags=%#x", uint32(f))
	}
	return b.String()
}

// DestinationLine formats destination d of the service key as ipvsadm -Sn
// does for the destinations this package generates.
func DestinationLine(key ipvs.ServiceKey, d ipvs.Destination) string {
	var b strings.Builder
	b.WriteString("-a ")
	b.WriteString(serviceID(key))
	b.WriteString(" -r ")
	b.WriteString(addrPort(d.Addr, d.Port))
	switch d.Method {
	case ipvs.Masquerade:
		b.WriteString(" -m")
	case ipvs.Route:
		b.WriteString(" -g")
	case ipvs.Tunnel:
		b.WriteString(" -i")
	default:
		fmt.Fprintf(&b, " method=%d", d.Method)
	}
	b.WriteString(" -w ")
	b.WriteString(strconv.FormatUint(uint64(d.Weight), 10))
	if d.UpperThreshold != 0 {
		fmt.Fprintf(&b, " -x %d", d.UpperThreshold)
	}
	if d.LowerThreshold != 0 {
		fmt.Fprintf(&b, " -y %d", d.LowerThreshold)
	}
	return b.String()
}

// serviceID is the service's option and address, such as "-t 10.0.0.1:80".
func serviceID(k ipvs.ServiceKey) string {
	if k.FWMark != 0 {
		return "-f " + strconv.FormatUint(uint64(k.FWMark), 10)
	}
	opt := "-t "
	switch k.Protocol {
	case ipvs.UDP:
		opt = "-u "
	case ipvs.SCTP:
		opt = "--sctp-service "
	}
	return opt + addrPort(k.Addr, k.Port)
}

func addrPort(a netip.Addr, port uint16) string {
	a = a.Unmap()
	if a.Is6() {
		return "[" + a.String() + "]:" + strconv.Itoa(int(port))
	}
	return a.String() + ":" + strconv.Itoa(int(port))
}
