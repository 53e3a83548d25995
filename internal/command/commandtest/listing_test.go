// Package commandtest tests the command layer against the real kernel in
// the VM (vmtest.Main): behaviour that only shows with real data, such as
// the two ways of reading destinations for a listing.
package commandtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/names"
	"github.com/ipvsadm-go/ipvsadm/internal/sockopt"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// TestMain runs the package's tests in a VM with two CPUs where the host
// has them: a restore then parses while the kernel works (see
// TestRestoreAcrossBatchesLineByLine).
func TestMain(m *testing.M) {
	os.Exit(vmtest.Main(m, vmtest.WithMemory(2048), vmtest.WithCPUs(min(runtime.NumCPU(), 2))))
}

// counting counts the destination dumps a listing asks for, and the
// reads of /proc/net/ip_vs.
type counting struct {
	command.Kernel
	dumps, procReads int
}

func (c *counting) Destinations(k ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	c.dumps++
	return c.Client.Destinations(k)
}

// The ways a plain listing can read destinations, as runner sets them up.
const (
	viaDumps  = iota // one dump per service
	viaProc          // /proc/net/ip_vs, dumps where it cannot tell
	viaTables        // as the program does: the socket-option interface, /proc, dumps
)

// runner returns a Runner on a fresh namespace whose plain listings read
// destinations the way via says.
func runner(t *testing.T, c *counting, ns *vmtest.NetNS, via int) (*command.Runner, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	r := &command.Runner{Backend: c, Info: info, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm", Names: names.New("", "", nil)}
	if via == viaProc || via == viaTables {
		r.OpenTable = func() (io.ReadCloser, error) {
			c.procReads++
			var f *os.File
			err := ns.Do(func() (err error) {
				f, err = os.Open("/proc/thread-self/net/ip_vs")
				return err
			})
			return f, err
		}
	}
	if via == viaTables {
		r.OpenSockopt = func() (*sockopt.Table, error) { return openSockopt(ns) }
	}
	return r, &stdout, &stderr
}

// openSockopt opens the socket-option interface in ns.
func openSockopt(ns *vmtest.NetNS) (*sockopt.Table, error) { return sockopt.Open(ns.Do) }

// randomTable fills the namespace with n random services, each with up to
// maxDests destinations, covering what a listing shows: families, fwmarks
// (also one mark used by both families), schedulers and their flags,
// persistence, one-packet, methods, tunnels (also to a destination of the
// other family), weights, thresholds.
func randomTable(t *testing.T, c *ipvs.Client, rng *rand.Rand, n, maxDests int) {
	t.Helper()
	scheds := []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}
	// The draws added later come from a second generator, so that rng's
	// tables stay what they were (some tests' seeds were picked on them).
	extra := rand.New(rand.NewPCG(uint64(n), uint64(maxDests)))
	var reqs []ipvs.Request
	for i := 0; i < n; i++ {
		var k ipvs.ServiceKey
		switch rng.IntN(5) {
		case 0:
			k = ipvs.ServiceKey{Family: ipvs.INET, FWMark: uint32(1 + i%40)}
			if rng.IntN(3) == 0 {
				k.Family = ipvs.INET6
			}
		case 1:
			k = ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP,
				Addr: netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}), Port: uint16(rng.IntN(3) * 443)}
		default:
			k = ipvs.ServiceKey{Family: ipvs.INET, Protocol: []ipvs.Protocol{ipvs.TCP, ipvs.UDP, ipvs.SCTP}[rng.IntN(3)],
				Addr: netip.AddrFrom4([4]byte{10, byte(rng.IntN(4)), byte(i >> 8), byte(i)}), Port: uint16(rng.IntN(2) * 80)}
		}
		s := ipvs.Service{ServiceKey: k, Scheduler: scheds[rng.IntN(len(scheds))], Netmask: 0xffffffff}
		if k.Family == ipvs.INET6 {
			s.Netmask = 128
		}
		if rng.IntN(3) == 0 || (k.FWMark == 0 && k.Port == 0) {
			s.Flags |= ipvs.FlagPersistent
			s.Timeout = time.Duration(1+rng.IntN(3000)) * time.Second
		}
		if rng.IntN(4) == 0 {
			s.Flags |= ipvs.ServiceFlags(rng.IntN(8)) << 3
		}
		if k.Protocol == ipvs.UDP && rng.IntN(2) == 0 {
			s.Flags |= ipvs.FlagOnePacket
		}
		reqs = append(reqs, ipvs.NewServiceRequest(s))
		for j := rng.IntN(maxDests + 1); j > 0; j-- {
			d := ipvs.Destination{Family: k.Family, Method: []ipvs.ForwardMethod{ipvs.Masquerade, ipvs.Route, ipvs.Tunnel}[rng.IntN(3)],
				Weight: uint32(rng.IntN(3) * rng.IntN(100000)), Port: uint16(rng.IntN(3) * 8080)}
			if k.Family == ipvs.INET6 {
				d.Addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 13: byte(j), 14: byte(i >> 8), 15: byte(i)})
			} else {
				d.Addr = netip.AddrFrom4([4]byte{172, 16 + byte(j), byte(i >> 8), byte(i)})
			}
			if d.Method == ipvs.Tunnel && rng.IntN(2) == 0 {
				d.TunnelType, d.TunnelPort = ipvs.TunnelGUE, 6080
			}
			if d.Method == ipvs.Tunnel && extra.IntN(4) == 0 { // the other family
				if k.Family == ipvs.INET6 {
					d.Family, d.Addr = ipvs.INET, netip.AddrFrom4([4]byte{192, 168 + byte(j), byte(i >> 8), byte(i)})
				} else {
					d.Family, d.Addr = ipvs.INET6, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 2, 13: byte(j), 14: byte(i >> 8), 15: byte(i)})
				}
			}
			if extra.IntN(4) == 0 {
				d.UpperThreshold = uint32(1 + extra.IntN(1000))
				d.LowerThreshold = uint32(extra.IntN(int(d.UpperThreshold)))
			}
			reqs = append(reqs, ipvs.NewDestinationRequest(k, d))
		}
	}
	for i, err := range c.Batch(reqs) {
		if err != nil && !errors.Is(err, os.ErrExist) { // random keys may repeat
			t.Fatalf("request %d: %v", i, err)
		}
	}
}

// TestListingPathsAgree proves that a plain listing built from /proc (one
// read for every destination), and one built as the program builds it
// (IPv4 services' destinations through the socket-option interface, the
// others' from /proc), print exactly the bytes of the listing built from
// one destination dump per service, on random tables.
func TestListingPathsAgree(t *testing.T) {
	for _, size := range []struct{ services, dests int }{{30, 4}, {300, 6}, {3000, 3}} {
		t.Run(fmt.Sprintf("%dx%d", size.services, size.dests), func(t *testing.T) {
			ns := vmtest.NewNetNS(t)
			c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			randomTable(t, c, rand.New(rand.NewPCG(uint64(size.services), 7)), size.services, size.dests)
			for _, args := range [][]string{{"-L"}, {"-Ln"}, {"-Ln", "--nosort"}, {"-Ln", "--exact"}, {"-Sn"}, {"-S"}} {
				byDumps, byProc, byTables := &counting{Kernel: command.Kernel{Client: c}}, &counting{Kernel: command.Kernel{Client: c}}, &counting{Kernel: command.Kernel{Client: c}}
				dumps, out1, err1 := runner(t, byDumps, ns, viaDumps)
				proc, out2, err2 := runner(t, byProc, ns, viaProc)
				tables, out3, err3 := runner(t, byTables, ns, viaTables)
				s1, s2, s3 := dumps.Main(args), proc.Main(args), tables.Main(args)
				// Only services whose fwmark both families use need a dump
				// of their own on the /proc path, and services with a
				// destination of the other family on the socket-option
				// one (and, for a save, services with a tunnelling
				// destination).
				for _, by := range []*counting{byProc, byTables} {
					if by.dumps > byDumps.dumps*3/4 {
						t.Errorf("%v: a listing from the tables still dumped %d of %d services", args, by.dumps, byDumps.dumps)
					}
				}
				if s1 != 0 || s2 != 0 || s3 != 0 || err1.Len()+err2.Len()+err3.Len() != 0 {
					t.Fatalf("%v: status %d/%d/%d, stderr %q / %q / %q", args, s1, s2, s3, err1, err2, err3)
				}
				if out1.Len() < 100*size.services/10 {
					t.Fatalf("%v: listing too short to mean anything:\n%s", args, out1)
				}
				if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
					t.Errorf("%v: the /proc listing differs from the dump listing\n--- dumps:\n%s\n--- proc:\n%s", args, out1, out2)
				}
				if !bytes.Equal(out1.Bytes(), out3.Bytes()) {
					t.Errorf("%v: the program's listing differs from the dump listing\n--- dumps:\n%s\n--- program:\n%s", args, out1, out3)
				}
			}
		})
	}
}
