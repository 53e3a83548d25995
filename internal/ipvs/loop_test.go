//go:build linux

package ipvs

import (
	"errors"
	"math"
	"net/netip"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The tests of this file drive the one receive loop (Client.receive)
// through what it must get right for every request, batch and dump:
// sequence numbers that wrap around, the errno that ends a dump, a reply
// that fails to decode in the middle of a dump, a datagram that does not
// parse. faults_test.go injects the netlink faults (stale sequence
// numbers, NLM_F_DUMP_INTR, ENOBUFS); the fake kernel sits beneath the
// same loop as the socket does in production. TestSocketTransport runs the
// loop over the production socket against the host's own kernel.

// TestSequenceWrap runs a batch whose sequence numbers wrap around zero:
// each error must still reach its own request.
func TestSequenceWrap(t *testing.T) {
	c, _ := newTestClient(t, func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		if p := portOf(t, g.Data); p != 0 && p%2 == 0 {
			return nil, unix.EEXIST
		}
		return answerGets(g, n)
	})
	c.seq = math.MaxUint32 - 2 // the batch is numbered MaxUint32-1, MaxUint32, 0, 1, ...
	reqs := make([]Request, 6)
	for i := range reqs {
		reqs[i] = NewServiceRequest(Service{ServiceKey: ServiceKey{Family: INET, Protocol: TCP,
			Addr: netip.MustParseAddr("192.0.2.1"), Port: uint16(i + 1)}, Scheduler: "rr"})
	}
	for i, err := range c.Batch(reqs) {
		if want := i%2 == 1; want != errors.Is(err, unix.EEXIST) || (!want && err != nil) {
			t.Errorf("request %d (port %d): %v", i, i+1, err)
		}
	}
	if info, err := c.Info(); err != nil || info.ConnTableSize != 4096 {
		t.Errorf("Info after the wrap: %+v, %v", info, err)
	}
}

// TestDumpEndsWithErrno checks that an errno in the NLMSG_DONE that ends a
// dump (the kernel puts a dump's failure there) is the dump's error.
func TestDumpEndsWithErrno(t *testing.T) {
	c, k := newTestClient(t, serviceDump(10))
	k.perDgram = 4
	k.doneErrno = unix.EMSGSIZE
	_, err := c.Services()
	var e *Error
	if !errors.As(err, &e) || e.Op != "get services" || e.Err != unix.EMSGSIZE {
		t.Errorf("Services = %v, want an *Error for get services with EMSGSIZE", err)
	}
	k.doneErrno = 0
	checkInStep(t, c, k)
}

// TestDumpDecodeError checks that a reply that does not decode fails the
// dump with errInvalidReply only after the dump is read to its end, so
// the next request gets its own answer.
func TestDumpDecodeError(t *testing.T) {
	c, k := newTestClient(t, replyWith(cmdNewService, fwmarkService(1), []byte{1, 2, 3}, fwmarkService(3), fwmarkService(4)))
	k.perDgram = 1
	if _, err := c.Services(); !errors.Is(err, errInvalidReply) {
		t.Errorf("Services = %v, want errInvalidReply", err)
	}
	k.handle = answerGets
	checkInStep(t, c, k)
}

// TestMalformedDatagram checks that a datagram whose netlink framing is
// broken fails the request with errInvalidReply.
func TestMalformedDatagram(t *testing.T) {
	c, k := newTestClient(t, answerGets)
	k.lose = true
	k.queue = append(k.queue, []netlink.Message{{Header: netlink.Header{Type: testFamilyID}}})
	k.malformed = true
	if _, err := c.Info(); !errors.Is(err, errInvalidReply) {
		t.Errorf("Info = %v, want errInvalidReply", err)
	}
}

// TestSocketTransport runs the receive loop over the production socket
// against the host's kernel, which has generic netlink whether or not it
// has IPVS: a request (the controller's own family, looked up by name) and
// a multi-part dump (every family).
func TestSocketTransport(t *testing.T) {
	nc, err := netlink.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		t.Skipf("no generic netlink socket here: %v", err)
	}
	s, err := newSocket(nc)
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	c := &Client{t: s, buf: make([]byte, receiveBufferSize)}
	defer c.Close()

	attrs := appendStr(nil, ctrlAttrFamilyName, "nlctrl")
	id, err := get(c, "get family", ctrlFamilyID, ctrlCmdGetFamily, ctrlVersion, attrs, decodeFamilyID)
	if err != nil || id != ctrlFamilyID {
		t.Errorf("the controller's family id = %#x, %v; want %#x", id, err, ctrlFamilyID)
	}

	attrs = appendStr(nil, ctrlAttrFamilyName, "no such family")
	if _, err := get(c, "get family", ctrlFamilyID, ctrlCmdGetFamily, ctrlVersion, attrs, decodeFamilyID); !errors.Is(err, unix.ENOENT) {
		t.Errorf("looking up a missing family: %v, want ENOENT", err)
	}

	var ids []uint16
	err = c.request("get families", ctrlFamilyID, ctrlCmdGetFamily, ctrlVersion, true, nil, func(b []byte) error {
		id, err := decodeFamilyID(b)
		ids = append(ids, id)
		return err
	})
	if err != nil || len(ids) < 2 || ids[0] != ctrlFamilyID {
		t.Errorf("dump of every family: ids %v, %v; want the controller's first, and more", ids, err)
	}
	if id, err := get(c, "get family", ctrlFamilyID, ctrlCmdGetFamily, ctrlVersion, attrs, decodeFamilyID); !errors.Is(err, unix.ENOENT) {
		t.Errorf("request after the dump: %#x, %v; want its own answer, ENOENT", id, err)
	}
}
