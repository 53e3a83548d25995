package command

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// fakeKernel is a Backend whose table is a table in memory, changed as the
// package's model changes it (see table.change) and reported as the
// kernel reports its own: every service flagged hashed, each service's
// servers newest first, an unknown service's lookups refused with ESRCH.
// Besides the model it refuses, as the kernel does, a scheduler or
// persistence engine the kernel lacks with ENOENT (after the checks of
// the table, as the kernel looks the service up first):
// TestConvergeKernelRefusal in commandtest shows the kernel's refusal of
// "-s nosuch". It keeps the --set timeouts and holds no sync daemons.
// Services are listed in the order they were added, where the kernel
// lists them in the order of its hash table.
type fakeKernel struct {
	table    *table
	timeouts ipvs.Timeouts

	// sent counts the changes carried out or refused; batches has the
	// size of every Changes call.
	sent    int
	batches []int
	// beforeChange, if set, runs before each change with its number
	// (counting from 0 over every call): a test changes the table there
	// as another program would, or delivers an interruption.
	beforeChange func(n int, c *rule.Command)
	// onRead, if set, runs when the list of services is read.
	onRead func()
}

// newFakeKernel returns a fakeKernel holding the table that restoring
// rules (a save file) onto an empty one makes.
func newFakeKernel(t testing.TB, rules string) *fakeKernel {
	t.Helper()
	k := &fakeKernel{table: newTable(), timeouts: ipvs.Timeouts{TCP: 900 * time.Second, TCPFin: 120 * time.Second, UDP: 300 * time.Second}}
	var stderr strings.Builder
	r := &Runner{Backend: k, Stderr: &stderr, Prog: "ipvsadm"}
	if st := r.Restore(strings.NewReader(rules)); st != 0 || stderr.Len() != 0 {
		t.Fatalf("restoring the starting table: status %d, stderr %q", st, stderr.String())
	}
	k.sent, k.batches = 0, nil
	return k
}

// fakeKernelHolding returns a fakeKernel holding services as given, in
// the order the kernel lists them, each with its servers as the kernel
// lists them (newest first), counters and all: for the listings.
func fakeKernelHolding(services []render.Service) *fakeKernel {
	k := &fakeKernel{table: newTable()}
	for _, svc := range services {
		k.table.addListed(svc.ServiceEntry, svc.Destinations)
	}
	return k
}

// fakeSchedulers are the schedulers of Debian 12's 6.1 kernel, whose
// modules the test VM loads.
var fakeSchedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}

func (k *fakeKernel) Info() (ipvs.Info, error) {
	return ipvs.Info{Version: ipvs.Version{Major: 1, Minor: 2, Patch: 1}, ConnTableSize: 4096}, nil
}

func (k *fakeKernel) Services() ([]ipvs.ServiceEntry, error) {
	if k.onRead != nil {
		k.onRead()
	}
	out := make([]ipvs.ServiceEntry, len(k.table.services))
	for i, s := range k.table.services {
		out[i] = reported(s)
	}
	return out, nil
}

// reported is a service as the kernel reports it: flagged hashed.
func reported(s *tableService) ipvs.ServiceEntry {
	e := s.ServiceEntry
	e.Flags |= ipvs.FlagHashed
	return e
}

func (k *fakeKernel) Service(key ipvs.ServiceKey) (ipvs.ServiceEntry, error) {
	s, ok := k.table.index[key]
	if !ok {
		return ipvs.ServiceEntry{}, unix.ESRCH
	}
	return reported(s), nil
}

func (k *fakeKernel) Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, error) {
	s, ok := k.table.index[key]
	if !ok {
		return nil, unix.ESRCH
	}
	out := slices.Clone(s.dests)
	slices.Reverse(out)
	return out, nil
}

func (k *fakeKernel) Timeouts() (ipvs.Timeouts, error) { return k.timeouts, nil }

func (k *fakeKernel) Daemons() ([]ipvs.Daemon, error) { return nil, nil }

func (k *fakeKernel) Change(c *rule.Command) error {
	if k.beforeChange != nil {
		k.beforeChange(k.sent, c)
	}
	k.sent++
	switch c.Kind {
	case rule.SetTimeouts: // zero leaves a timeout as it is
		for _, p := range []struct {
			to   *time.Duration
			from time.Duration
		}{
			{&k.timeouts.TCP, c.Timeouts.TCP}, {&k.timeouts.TCPFin, c.Timeouts.TCPFin}, {&k.timeouts.UDP, c.Timeouts.UDP},
		} {
			if p.from != 0 {
				*p.to = p.from
			}
		}
		return nil
	case rule.StartDaemon, rule.StopDaemon:
		return errors.New("the fake kernel has no sync daemons")
	case rule.AddService, rule.EditService:
		_, exists := k.table.index[c.Service.ServiceKey]
		if exists == (c.Kind == rule.EditService) && !k.has(c.Service) {
			return unix.ENOENT
		}
	}
	return k.table.change(c)
}

// has reports whether the kernel has s's scheduler and persistence engine.
func (k *fakeKernel) has(s ipvs.Service) bool {
	return slices.Contains(fakeSchedulers, s.Scheduler) && (s.PE == "" || s.PE == "sip")
}

func (k *fakeKernel) Changes(cs []rule.Command) []error {
	k.batches = append(k.batches, len(cs))
	errs := make([]error, len(cs))
	for i := range cs {
		errs[i] = k.Change(&cs[i])
	}
	return errs
}

// String is the table as lines of a save, each service's servers oldest
// first, with a service's counters after it when they are not zero.
func (k *fakeKernel) String() string {
	var b strings.Builder
	for _, s := range k.table.services {
		fmt.Fprintln(&b, rule.FormatChange(&rule.Command{Kind: rule.AddService, HasService: true, Service: s.Service}, rule.NumericAddrPort))
		if s.Stats != (ipvs.Stats{}) {
			fmt.Fprintf(&b, "# %d connections\n", s.Stats.Connections)
		}
		for _, d := range s.dests {
			fmt.Fprintln(&b, rule.FormatChange(&rule.Command{Kind: rule.AddServer, HasService: true, Service: s.Service, HasServer: true, Server: d.Destination}, rule.NumericAddrPort))
			if d.Stats != (ipvs.Stats{}) {
				fmt.Fprintf(&b, "# %d connections\n", d.Stats.Connections)
			}
		}
	}
	return b.String()
}

// traffic gives the service key and its servers counters, as connections
// through them would.
func (k *fakeKernel) traffic(t *testing.T, key ipvs.ServiceKey, connections uint64) {
	t.Helper()
	s, ok := k.table.index[key]
	if !ok {
		t.Fatalf("no service %v", key)
	}
	s.Stats.Connections += connections
	for i := range s.dests {
		s.dests[i].Stats.Connections += connections
	}
}

// meanwhile carries out line as another program would, on the fake's
// table, bypassing the fake's hooks.
func (k *fakeKernel) meanwhile(t *testing.T, line string) {
	t.Helper()
	c, err := rule.Parse("ipvsadm", strings.Fields(line), rule.Options{})
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if err := k.table.change(c); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
}
