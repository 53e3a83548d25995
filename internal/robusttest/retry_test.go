package robusttest

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// interrupting is a kernel whose dumps come back marked interrupted
// (ipvs.ErrDumpInterrupted) a given number of times before they succeed.
// The IPVS family of Linux 6.1 never marks a dump, so the marks are
// injected here, over the real kernel.
type interrupting struct {
	command.Kernel
	services int // how many service dumps in a row are interrupted
	dests    int // how many destination dumps of each service in a row are interrupted

	serviceCalls int
	destCalls    map[ipvs.ServiceKey]int
}

func (b *interrupting) Services() ([]ipvs.ServiceEntry, error) {
	b.serviceCalls++
	if b.serviceCalls <= b.services {
		return nil, &ipvs.Error{Op: "get services", Err: ipvs.ErrDumpInterrupted}
	}
	return b.Client.Services()
}

func (b *interrupting) Destinations(k ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	b.destCalls[k]++
	if b.destCalls[k] <= b.dests {
		return nil, &ipvs.Error{Op: "get destinations", Err: ipvs.ErrDumpInterrupted}
	}
	return b.Client.Destinations(k)
}

// TestListingRetriesInterruptedDumps checks that a listing reads a dump
// marked interrupted again, up to three times, and then gives up with
// status 1 and a message.
func TestListingRetriesInterruptedDumps(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	dir := t.TempDir()
	g := gen{r: rand.New(rand.NewPCG(vmtest.Seed(t), 4<<32)), tunnel: 0.3}
	rs := newRuleSet()
	for i := 0; i < 5; i++ {
		g.addServiceWithDests(rs, 2)
	}
	writeFile(t, filepath.Join(dir, "rules"), rs.file())
	mustRun(t, ns, dir, time.Minute, ours+" -R <rules")
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	list := func(b command.Backend, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		r := &command.Runner{Backend: b, Info: info, Stdout: &stdout, Stderr: &stderr, Prog: "ipvsadm"}
		status := r.Main(args)
		return status, stdout.String(), stderr.String()
	}

	for _, args := range [][]string{{"-Ln"}, {"-Ln", "--stats"}, {"-Sn"}} {
		_, want, _ := list(command.Kernel{Client: c}, args...)
		if len(want) < 100 {
			t.Fatalf("%v: listing too short to mean anything: %q", args, want)
		}
		for _, tc := range []struct {
			name            string
			services, dests int
			fails           bool
		}{
			{"services read on the third try", 2, 0, false},
			{"destinations read on the third try", 0, 2, false},
			{"services never read", 1000, 0, true},
			{"destinations never read", 0, 1000, true},
		} {
			b := &interrupting{Kernel: command.Kernel{Client: c}, services: tc.services, dests: tc.dests, destCalls: map[ipvs.ServiceKey]int{}}
			status, stdout, stderr := list(b, args...)
			switch {
			case b.serviceCalls > 3:
				t.Errorf("%v, %s: %d service dumps, want at most 3", args, tc.name, b.serviceCalls)
			case !tc.fails && (status != 0 || stderr != "" || stdout != want):
				t.Errorf("%v, %s: status %d, stderr %q, stdout:\n%s\nwant:\n%s", args, tc.name, status, stderr, stdout, want)
			case tc.fails && (status != 1 || stderr != "Resource temporarily unavailable\n"):
				t.Errorf("%v, %s: status %d, stderr %q; want 1 and the EAGAIN text", args, tc.name, status, stderr)
			}
			for k, n := range b.destCalls {
				if n > 3 {
					t.Errorf("%v, %s: %d destination dumps of %v, want at most 3", args, tc.name, n, k)
				}
			}
		}
	}
}
