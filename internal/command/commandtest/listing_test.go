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
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/names"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

func TestMain(m *testing.M) { os.Exit(vmtest.Main(m, vmtest.WithMemory(2048))) }

// counting counts the destination dumps a listing asks for.
type counting struct {
	command.Kernel
	dumps int
}

func (c *counting) Destinations(k ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	c.dumps++
	return c.Client.Destinations(k)
}

// runner returns a Runner on a fresh namespace, with or without the /proc
// table for plain listings.
func runner(t *testing.T, c *counting, ns *vmtest.NetNS, useProc bool) (*command.Runner, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	r := &command.Runner{Backend: c, Info: info, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm", Names: names.New("", "", nil)}
	if useProc {
		r.OpenTable = func() (io.ReadCloser, error) {
			var f *os.File
			err := ns.Do(func() (err error) {
				f, err = os.Open("/proc/thread-self/net/ip_vs")
				return err
			})
			return f, err
		}
	}
	return r, &stdout, &stderr
}

// randomTable fills the namespace with n random services, each with up to
// maxDests destinations, covering what a listing shows: families, fwmarks
// (also one mark used by both families), schedulers and their flags,
// persistence, one-packet, methods, tunnels, weights.
func randomTable(t *testing.T, c *ipvs.Client, rng *rand.Rand, n, maxDests int) {
	t.Helper()
	scheds := []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}
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
// read for every destination) prints exactly the bytes of the listing built
// from one destination dump per service, on random tables.
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
				viaDumps, viaProc := &counting{Kernel: command.Kernel{Client: c}}, &counting{Kernel: command.Kernel{Client: c}}
				dumps, out1, err1 := runner(t, viaDumps, ns, false)
				proc, out2, err2 := runner(t, viaProc, ns, true)
				s1, s2 := dumps.Main(args), proc.Main(args)
				// Only services whose fwmark both families use need a dump
				// of their own on the /proc path
				// (and, for a save, services with a tunnelling destination).
				if viaProc.dumps > viaDumps.dumps*3/4 {
					t.Errorf("%v: the /proc listing still dumped %d of %d services", args, viaProc.dumps, viaDumps.dumps)
				}
				if s1 != 0 || s2 != 0 || err1.Len()+err2.Len() != 0 {
					t.Fatalf("%v: status %d/%d, stderr %q / %q", args, s1, s2, err1, err2)
				}
				if out1.Len() < 100*size.services/10 {
					t.Fatalf("%v: listing too short to mean anything:\n%s", args, out1)
				}
				if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
					t.Errorf("%v: the /proc listing differs from the dump listing\n--- dumps:\n%s\n--- proc:\n%s", args, out1, out2)
				}
			}
		})
	}
}
