//go:build linux

package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// This file injects the netlink faults a client must survive: replies and
// errors with a stale sequence number, dumps marked interrupted
// (NLM_F_DUMP_INTR), and replies dropped for a full receive buffer
// (ENOBUFS).

// fwmarkService is the attribute payload of a dumped service with mark m.
func fwmarkService(m uint32) []byte {
	return nest(cmdAttrService, attr(svcAttrAF, u16(2)), attr(svcAttrFWMark, u32(m)),
		attr(svcAttrSchedName, str("rr")), attr(svcAttrFlags, u32(2), u32(0xffffffff)),
		attr(svcAttrTimeout, u32(0)), attr(svcAttrNetmask, b32(0xffffffff)))
}

// serviceDump answers a service dump with marks 1 to n, and the other
// gets as answerGets does.
func serviceDump(n int) func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
	var payloads [][]byte
	for m := 1; m <= n; m++ {
		payloads = append(payloads, fwmarkService(uint32(m)))
	}
	dump := replyWith(cmdNewService, payloads...)
	dests := replyWith(cmdNewDest, nest(cmdAttrDest,
		attr(destAttrAddrFamily, u16(2)), attr(destAttrAddr, ip16("10.0.0.3")), attr(destAttrPort, b16(80)),
		attr(destAttrFwdMethod, u32(3)), attr(destAttrWeight, u32(1)),
		attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)),
		attr(destAttrActiveConns, u32(0)), attr(destAttrInactConns, u32(0)), attr(destAttrPersistConns, u32(0))))
	return func(g genetlink.Message, req netlink.Message) ([]genetlink.Message, error) {
		switch {
		case req.Header.Flags&netlink.Dump == 0:
		case g.Header.Command == cmdGetService:
			return dump(g, req)
		case g.Header.Command == cmdGetDest:
			return dests(g, req)
		}
		return answerGets(g, req)
	}
}

// marks returns the fwmarks of services.
func marks(svcs []ServiceEntry) []uint32 {
	var out []uint32
	for _, s := range svcs {
		out = append(out, s.FWMark)
	}
	return out
}

// earlierSeq runs one exchange and returns its sequence number, which is
// stale from then on.
func earlierSeq(t *testing.T, c *Client, k *fakeKernel) netlink.Message {
	t.Helper()
	if _, err := c.Info(); err != nil {
		t.Fatal(err)
	}
	return k.requests[len(k.requests)-1]
}

// checkInStep checks that nothing is left queued, that no read deadline is
// left set, and that the next request gets its own answer.
func checkInStep(t *testing.T, c *Client, k *fakeKernel) {
	t.Helper()
	if len(k.queue) != 0 {
		t.Errorf("%d datagrams left unread", len(k.queue))
	}
	if k.deadline {
		t.Error("read deadline left set")
	}
	k.capacity = 0
	if info, err := c.Info(); err != nil || info.ConnTableSize != 4096 {
		t.Errorf("next request: %+v, %v", info, err)
	}
}

func TestStaleSequence(t *testing.T) {
	t.Run("reply", func(t *testing.T) {
		c, k := newTestClient(t, answerGets)
		old := earlierSeq(t, c, k)
		b, _ := (&genetlink.Message{Header: genetlink.Header{Command: cmdSetInfo, Version: 1},
			Data: cat(attr(infoAttrVersion, u32(0x010201)), attr(infoAttrConnTabSize, u32(1)))}).MarshalBinary()
		k.queue = append(k.queue, []netlink.Message{reply(old, testFamilyID, 0, b)})
		info, err := c.Info()
		if err != nil || info.ConnTableSize != 4096 {
			t.Errorf("Info = %+v, %v; want the current reply (size 4096), not the stale one", info, err)
		}
		checkInStep(t, c, k)
	})
	t.Run("error before the ack", func(t *testing.T) {
		c, k := newTestClient(t, answerGets)
		old := earlierSeq(t, c, k)
		k.queue = append(k.queue, []netlink.Message{ack(old, unix.EEXIST)})
		if err := c.Do(FlushRequest()); err != nil {
			t.Errorf("Flush = %v; a stale error was taken for its answer", err)
		}
		checkInStep(t, c, k)
	})
	t.Run("ack before the error", func(t *testing.T) {
		c, k := newTestClient(t, answerGets)
		old := earlierSeq(t, c, k)
		k.queue = append(k.queue, []netlink.Message{ack(old, 0)})
		k.handle = func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return nil, unix.ENOENT }
		if err := c.Do(FlushRequest()); !errors.Is(err, unix.ENOENT) {
			t.Errorf("Flush = %v; want ENOENT, not the stale ack", err)
		}
		k.handle = answerGets
		checkInStep(t, c, k)
	})
	t.Run("dump", func(t *testing.T) {
		c, k := newTestClient(t, serviceDump(10))
		old := earlierSeq(t, c, k)
		// The tail of an earlier dump: two parts and its DONE.
		part := func(m uint32) netlink.Message {
			b, _ := (&genetlink.Message{Header: genetlink.Header{Command: cmdNewService, Version: 1}, Data: fwmarkService(m)}).MarshalBinary()
			return reply(old, testFamilyID, netlink.Multi, b)
		}
		k.queue = append(k.queue, []netlink.Message{part(100), part(101)},
			[]netlink.Message{reply(old, netlink.Done, netlink.Multi, make([]byte, 4))})
		svcs, err := c.Services()
		if err != nil {
			t.Fatal(err)
		}
		if got := marks(svcs); len(got) != 10 || got[0] != 1 || got[9] != 10 {
			t.Errorf("Services = marks %v, want 1 to 10 only", got)
		}
		checkInStep(t, c, k)
	})
	t.Run("batch", func(t *testing.T) {
		c, k := newTestClient(t, func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
			if portOf(t, g.Data) == 3 {
				return nil, unix.ESRCH
			}
			return answerGets(g, n)
		})
		old := earlierSeq(t, c, k)
		k.queue = append(k.queue, []netlink.Message{ack(old, unix.EEXIST)}, []netlink.Message{ack(old, 0)})
		reqs := make([]Request, 5)
		for i := range reqs {
			reqs[i] = DeleteServiceRequest(ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: uint16(i + 1)})
		}
		errs := c.Batch(reqs)
		for i, err := range errs {
			if want := i == 2; want != errors.Is(err, unix.ESRCH) || (!want && err != nil) {
				t.Errorf("request %d: %v", i, err)
			}
		}
		checkInStep(t, c, k)
	})
}

func TestDumpInterrupted(t *testing.T) {
	c, k := newTestClient(t, serviceDump(20))
	k.perDgram = 3
	k.dumpFlags = netlink.DumpInterrupted
	_, err := c.Services()
	var e *Error
	if !errors.Is(err, ErrDumpInterrupted) || !errors.As(err, &e) || e.Op != "get services" {
		t.Fatalf("Services of an interrupted dump = %v, want an *Error for get services matching ErrDumpInterrupted", err)
	}
	if len(k.queue) != 0 {
		t.Errorf("%d datagrams of the interrupted dump left unread", len(k.queue))
	}
	if _, err := c.Destinations(testKey); !errors.Is(err, ErrDumpInterrupted) {
		t.Errorf("Destinations of an interrupted dump = %v", err)
	}
	k.dumpFlags = 0
	if d, err := c.Destinations(testKey); err != nil || len(d) != 1 {
		t.Errorf("Destinations after the interruption = %v, %v", d, err)
	}
	svcs, err := c.Services()
	if err != nil || len(svcs) != 20 {
		t.Errorf("Services after the interruption = %d entries, %v; want 20", len(svcs), err)
	}
	checkInStep(t, c, k)
}

// wantLost checks that err says the request's replies were lost.
func wantLost(t *testing.T, what string, err error) {
	t.Helper()
	var e *Error
	if !errors.Is(err, unix.ENOBUFS) || !errors.As(err, &e) || !strings.Contains(err.Error(), "replies were lost") {
		t.Errorf("%s: %v; want an *Error matching ENOBUFS that says replies were lost", what, err)
	}
}

func TestBatchOverflow(t *testing.T) {
	// Even ports fail with EEXIST.
	handle := func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		if p := portOf(t, g.Data); p != 0 && p%2 == 0 {
			return nil, unix.EEXIST
		}
		return answerGets(g, n)
	}
	requests := func(n int) []Request {
		reqs := make([]Request, n)
		for i := range reqs {
			reqs[i] = NewServiceRequest(Service{ServiceKey: ServiceKey{Family: INET, Protocol: TCP,
				Addr: netip.MustParseAddr("192.0.2.1"), Port: uint16(i + 1)}, Scheduler: "rr"})
		}
		return reqs
	}
	t.Run("replies dropped", func(t *testing.T) {
		c, k := newTestClient(t, handle)
		k.capacity = 3 // the errors of ports 2, 4 and 6 fit; those of 8 and 10 (the last, so no ack of its own) do not
		errs := c.Batch(requests(10))
		for i, err := range errs[:6] {
			if want := i%2 == 1; want != errors.Is(err, unix.EEXIST) || (!want && err != nil) {
				t.Errorf("request %d (before the last reply read): %v", i, err)
			}
		}
		for i, err := range errs[6:] {
			wantLost(t, fmt.Sprintf("request %d", 6+i), err)
		}
		if k.dropped != 2 {
			t.Errorf("the fake dropped %d datagrams, want 2", k.dropped)
		}
		if len(k.requests) != 10 {
			t.Errorf("%d requests reached the kernel, want 10", len(k.requests))
		}
		checkInStep(t, c, k)
	})
	t.Run("next window goes on", func(t *testing.T) {
		c, k := newTestClient(t, handle)
		k.capacity = 3
		n := batchWindow + 6
		errs := c.Batch(requests(n))
		lost := 0
		for i, err := range errs[:batchWindow] {
			if errors.Is(err, unix.ENOBUFS) {
				lost++
			} else if want := i%2 == 1; want != errors.Is(err, unix.EEXIST) || (!want && err != nil) {
				t.Errorf("request %d: %v", i, err)
			}
		}
		if want := batchWindow - 6; lost != want {
			t.Errorf("%d requests of the first window reported lost, want %d", lost, want)
		}
		// The second window has three errors and its ack: they fit.
		for i := batchWindow; i < n; i++ {
			if want := i%2 == 1; want != errors.Is(errs[i], unix.EEXIST) || (!want && errs[i] != nil) {
				t.Errorf("request %d (second window): %v", i, errs[i])
			}
		}
		if k.sends != 2 {
			t.Errorf("%d sends, want 2", k.sends)
		}
		checkInStep(t, c, k)
	})
	t.Run("exactly full", func(t *testing.T) {
		c, k := newTestClient(t, handle)
		k.capacity = 3 // errors of ports 2 and 4, then the final ack of port 5
		errs := c.Batch(requests(5))
		for i, err := range errs {
			if want := i%2 == 1; want != errors.Is(err, unix.EEXIST) || (!want && err != nil) {
				t.Errorf("request %d: %v", i, err)
			}
		}
		if k.dropped != 0 {
			t.Errorf("%d datagrams dropped", k.dropped)
		}
		checkInStep(t, c, k)
	})
	t.Run("everything dropped", func(t *testing.T) {
		c, k := newTestClient(t, handle)
		old := earlierSeq(t, c, k)
		k.capacity = 1
		k.queue = append(k.queue, []netlink.Message{ack(old, 0)}) // the buffer is already full
		for i, err := range c.Batch(requests(4)) {
			wantLost(t, fmt.Sprintf("request %d", i), err)
		}
		checkInStep(t, c, k)
	})
}

func TestExecuteOverflow(t *testing.T) {
	t.Run("reply kept", func(t *testing.T) {
		c, k := newTestClient(t, answerGets)
		old := earlierSeq(t, c, k)
		// An earlier overflow is reported first; the reply is behind a
		// stale message.
		k.overrun = true
		k.queue = append(k.queue, []netlink.Message{ack(old, unix.EEXIST)})
		if info, err := c.Info(); err != nil || info.ConnTableSize != 4096 {
			t.Errorf("Info = %+v, %v; want the reply found after the overflow", info, err)
		}
		checkInStep(t, c, k)
	})
	t.Run("error kept", func(t *testing.T) {
		c, k := newTestClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return nil, unix.ESRCH })
		k.overrun = true
		if err := c.Do(ZeroRequest(testKey)); !errors.Is(err, unix.ESRCH) {
			t.Errorf("Zero = %v; want the kernel's ESRCH found after the overflow", err)
		}
		k.handle = answerGets
		checkInStep(t, c, k)
	})
	t.Run("reply lost", func(t *testing.T) {
		c, k := newTestClient(t, answerGets)
		old := earlierSeq(t, c, k)
		k.capacity = 1
		k.queue = append(k.queue, []netlink.Message{ack(old, 0)})
		err := c.Do(FlushRequest())
		wantLost(t, "Flush", err)
		if !strings.Contains(err.Error(), "flush") || !strings.Contains(err.Error(), "unknown") {
			t.Errorf("error %q does not name the operation and say the outcome is unknown", err)
		}
		checkInStep(t, c, k)
	})
	t.Run("dump", func(t *testing.T) {
		c, k := newTestClient(t, serviceDump(30))
		k.perDgram = 4
		k.overrun = true
		_, err := c.Services()
		wantLost(t, "Services", err)
		if !strings.Contains(err.Error(), "incomplete") {
			t.Errorf("error %q does not say the listing may be incomplete", err)
		}
		if len(k.queue) != 0 {
			t.Errorf("%d datagrams of the dump left unread", len(k.queue))
		}
		svcs, err := c.Services()
		if err != nil || len(svcs) != 30 {
			t.Errorf("next Services: %d entries, %v; want 30", len(svcs), err)
		}
		checkInStep(t, c, k)
	})
	t.Run("dump reads the queue empty", func(t *testing.T) {
		// After an overflow a dump is read on past its end, until the
		// queue is empty: a stale answer queued behind it is gone too.
		c, k := newTestClient(t, serviceDump(5))
		old := earlierSeq(t, c, k)
		k.overrun = true
		k.afterDump = [][]netlink.Message{{ack(old, unix.EEXIST)}}
		_, err := c.Services()
		wantLost(t, "Services", err)
		if len(k.queue) != 0 {
			t.Errorf("%d datagrams left behind the dump", len(k.queue))
		}
		k.afterDump = nil
		checkInStep(t, c, k)
	})
	t.Run("dump start refused", func(t *testing.T) {
		// The kernel cannot start a dump into a full buffer: it answers
		// the request with ENOBUFS, which is the request's own error.
		c, k := newTestClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return nil, unix.ENOBUFS })
		_, err := c.Services()
		if !errors.Is(err, unix.ENOBUFS) {
			t.Errorf("Services = %v, want ENOBUFS", err)
		}
		k.handle = answerGets
		checkInStep(t, c, k)
	})
}

// TestDestinationsRepeated checks that a destination the kernel's dump
// repeats (it resumes by position in a list it adds to at the front) is
// listed once.
func TestDestinationsRepeated(t *testing.T) {
	dest := func(addr string) []byte {
		return nest(cmdAttrDest,
			attr(destAttrAddrFamily, u16(2)), attr(destAttrAddr, ip16(addr)), attr(destAttrPort, b16(80)),
			attr(destAttrFwdMethod, u32(0)), attr(destAttrWeight, u32(1)),
			attr(destAttrUThresh, u32(0)), attr(destAttrLThresh, u32(0)),
			attr(destAttrActiveConns, u32(0)), attr(destAttrInactConns, u32(0)), attr(destAttrPersistConns, u32(0)))
	}
	c, k := newTestClient(t, replyWith(cmdNewDest, dest("10.0.0.1"), dest("10.0.0.2"), dest("10.0.0.1"), dest("10.0.0.3")))
	k.perDgram = 2 // as the kernel's parts: the repeat comes in the second
	got, err := c.Destinations(testKey)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, d := range got {
		addrs = append(addrs, d.Addr.String())
	}
	if want := "10.0.0.1 10.0.0.2 10.0.0.3"; strings.Join(addrs, " ") != want {
		t.Errorf("Destinations = %v, want %s", addrs, want)
	}
}

// TestDedupDestinations checks both ways of dropping repeats: pairwise for
// short lists and with a map for long ones, keeping the first of each and
// the kernel's order; the same address on another port is no repeat.
func TestDedupDestinations(t *testing.T) {
	for _, n := range []int{3, dedupLinearMax, dedupLinearMax + 1, 4 * dedupLinearMax} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			var in, want []DestinationEntry
			for i := 0; i < n; i++ {
				d := DestinationEntry{Destination: Destination{Family: INET,
					Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Port: 80, Weight: uint32(i)}}
				in = append(in, d)
				want = append(want, d)
				if i%3 == 0 { // a repeat, with other settings: the first one stays
					r := d
					r.Weight = 1000
					in = append(in, r)
				}
				if i%5 == 0 { // another port: a destination of its own
					o := d
					o.Port = 81
					in = append(in, o)
					want = append(want, o)
				}
			}
			if len(in) <= dedupLinearMax && n > dedupLinearMax {
				t.Fatalf("input of %d is not long enough for the map path", len(in))
			}
			got := dedupDestinations(in)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("dedupDestinations of %d: got %d destinations, want %d\ngot  %v\nwant %v", len(in), len(got), len(want), got, want)
			}
		})
	}
}
