package bench

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// Floor jobs, as Op.Floor names them.
const (
	// FloorRestore sends the rule set as pre-encoded requests.
	FloorRestore = "restore"
	// FloorList reads what a plain listing needs from the kernel: the
	// service dump and one read of /proc/net/ip_vs.
	FloorList = "list"
	// FloorDumps reads the same from the kernel the other way a listing
	// can: the service dump, then one dump of destinations per service
	// on the same socket. No operation uses it; "ipvsbench floor -job
	// dumps" measures it to compare the two ways.
	FloorDumps = "dumps"
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

// Floor is the floor program's whole job, job (FloorRestore or FloorList),
// in the namespace of the calling thread; it writes the time of the
// kernel work alone to w (see ParseFloorOutput).
//
// The restore floor encodes the rule set of size (no text: straight from
// the generator) and sends it with Client.Batch: the least any restore
// can cost. The listing floor dumps the services and reads
// /proc/net/ip_vs once, with nothing parsed or printed: the least the
// kernel takes to give any listing of every service and destination (a
// plain -Ln and -Sn take exactly this from it).
func Floor(job string, size Size, w io.Writer) error {
	var reqs []ipvs.Request
	if job == FloorRestore {
		reqs = size.Requests()
	}
	start := time.Now()
	c, err := ipvs.Dial(nil)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	defer c.Close()
	switch job {
	case FloorRestore:
		err = Load(c, reqs)
	case FloorList:
		err = readListing(c)
	case FloorDumps:
		err = dumpListing(c)
	default:
		err = fmt.Errorf("unknown job %q", job)
	}
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	if _, err := fmt.Fprintf(w, "kernel_s=%.6f\n", time.Since(start).Seconds()); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	return nil
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
	buf := make([]byte, 64<<10)
	for {
		_, err := f.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading /proc/net/ip_vs: %w", err)
		}
	}
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

// ParseFloorOutput returns the kernel time the floor program printed.
func ParseFloorOutput(out []byte) (kernel float64, err error) {
	if _, err := fmt.Sscanf(string(out), "kernel_s=%g\n", &kernel); err != nil {
		return 0, fmt.Errorf("floor output %.80q: %w", out, err)
	}
	return kernel, nil
}
