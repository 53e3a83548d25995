package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/sockopt"
)

// Floor jobs, as Op.Floor names them.
const (
	// FloorRestore sends the rule set as pre-encoded requests.
	FloorRestore = "restore"
	// FloorList reads what a plain listing of an IPv4 table needs from
	// the kernel: the service dump, then each service's destinations
	// through the socket-option interface (package sockopt).
	FloorList = "list"
	// FloorProc and FloorDumps read the same from the kernel the other
	// ways a listing can: the service dump and one read of
	// /proc/net/ip_vs, or the service dump and one dump of destinations
	// per service on the same socket. No operation uses them; "ipvsbench
	// floor -job proc" and "-job dumps" measure them to compare the ways.
	FloorProc  = "proc"
	FloorDumps = "dumps"
	// FloorConns reads /proc/net/ip_vs_conn to its end.
	FloorConns = "conns"
)

// Load sends reqs with Client.Batch and returns the first failure, if any.
// It is the floor: the least any restore can cost the kernel.
func Load(c *ipvs.Client, reqs []ipvs.Request) error {
	failed := 0
	var first error
	for _, err := range c.Batch(reqs) {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d of %d requests failed, the first with: %w", failed, len(reqs), first)
	}
	return nil
}

// Floor is the floor program's whole job, job (FloorRestore, FloorList,
// FloorProc, FloorDumps or FloorConns), in the namespace of the calling thread; it writes the time
// of the kernel work alone to w (FloorOutput.String).
//
// The restore floor encodes the rule set of size (no text: straight from
// the generator) and sends it with Client.Batch: the least any restore
// can cost. The listing floor dumps the services and asks for each one's
// destinations through the socket-option interface, with nothing printed:
// the least the kernel takes to give any listing of every service and
// destination of an IPv4 table (a plain -Ln and -Sn take exactly this
// from it). The connections' floor
// reads the connection table's text and counts its lines
// (readConnections): the least any -Lc costs.
func Floor(job string, size Size, w io.Writer) error {
	var reqs []ipvs.Request
	if job == FloorRestore {
		reqs = size.Requests()
	}
	start := time.Now()
	var out FloorOutput
	var err error
	if job == FloorConns {
		out.Conns, err = readConnections()
	} else {
		err = netlinkFloor(job, reqs)
	}
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	out.Kernel = time.Since(start).Seconds()
	if _, err := io.WriteString(w, out.String()); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
}

// netlinkFloor does the floor jobs that talk to the kernel over netlink:
// FloorRestore sends reqs, FloorList and FloorDumps read a listing's
// input.
func netlinkFloor(job string, reqs []ipvs.Request) error {
	c, err := ipvs.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	switch job {
	case FloorRestore:
		return Load(c, reqs)
	case FloorList:
		return sockoptListing(c)
	case FloorProc:
		return readListing(c)
	case FloorDumps:
		return dumpListing(c)
	default:
		return fmt.Errorf("unknown job %q", job)
	}
}

// readListing dumps the services and reads /proc/net/ip_vs to its end in
// reads as large as a listing's.
func readListing(c *ipvs.Client) error {
	if _, err := c.Services(); err != nil {
		return err
	}
	f, err := os.Open("/proc/self/net/ip_vs")
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := countReads(f, make([]byte, 64<<10)); err != nil {
		return fmt.Errorf("reading /proc/net/ip_vs: %w", err)
	}
	return nil
}

// sockoptListing dumps the services, then reads the destinations of each
// through the socket-option interface.
func sockoptListing(c *ipvs.Client) error {
	services, err := c.Services()
	if err != nil {
		return err
	}
	t, err := sockopt.Open(nil)
	if err != nil {
		return err
	}
	defer t.Close()
	var dests []ipvs.DestinationEntry
	for _, s := range services {
		var ok bool
		if dests, ok = t.AppendDestinations(dests[:0], s.ServiceKey); !ok {
			return fmt.Errorf("the socket-option interface cannot answer for the service %v", s.ServiceKey)
		}
	}
	return nil
}

// dumpListing dumps the services, then the destinations of each.
func dumpListing(c *ipvs.Client) error {
	services, err := c.Services()
	if err != nil {
		return err
	}
	for _, s := range services {
		if _, err := c.Destinations(s.ServiceKey); err != nil {
			return err
		}
	}
	return nil
}

// FloorOutput is what the floor program prints.
type FloorOutput struct {
	// Kernel is the time of the kernel work alone, in seconds.
	Kernel float64
	// Conns is, for FloorConns, what reading the connection table took.
	Conns ReaderOutput
}

// String formats o as the one line ParseFloorOutput reads.
func (o FloorOutput) String() string {
	s := fmt.Sprintf("kernel_s=%.6f", o.Kernel)
	if o.Conns != (ReaderOutput{}) {
		s += fmt.Sprintf(" reads=%d bytes=%d lines=%d largest=%d", o.Conns.Reads, o.Conns.Bytes, o.Conns.Lines, o.Conns.Largest)
	}
	return s + "\n"
}

// ParseFloorOutput reads what the floor program printed.
func ParseFloorOutput(out []byte) (FloorOutput, error) {
	var o FloorOutput
	kernel, conns, hasConns := strings.Cut(strings.TrimSuffix(string(out), "\n"), " ")
	_, err := fmt.Sscanf(kernel, "kernel_s=%g", &o.Kernel)
	if err == nil && hasConns {
		c := &o.Conns
		_, err = fmt.Sscanf(conns, "reads=%d bytes=%d lines=%d largest=%d", &c.Reads, &c.Bytes, &c.Lines, &c.Largest)
	}
	if err != nil {
		return o, fmt.Errorf("floor output %.80q: %w", out, err)
	}
	return o, nil
}
