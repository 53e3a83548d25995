//go:build linux

package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// portOf returns the service port of a request's attributes.
func portOf(t *testing.T, data []byte) uint16 {
	t.Helper()
	svc, err := nested(data, cmdAttrService, "service")
	if err != nil {
		return 0 // no service: not a request the test counts
	}
	var port uint16
	r := attrReader{b: svc}
	for r.next() {
		if r.typ == svcAttrPort {
			port = r.be16()
		}
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return port
}

func TestBatch(t *testing.T) {
	const n = 200
	// The fake kernel fails requests for ports divisible by 7 with EEXIST,
	// and by 11 with ESRCH.
	errnoFor := func(port uint16) error {
		switch {
		case port%7 == 0:
			return unix.EEXIST
		case port%11 == 0:
			return unix.ESRCH
		}
		return nil
	}
	c, k := newTestClient(t, func(g genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		port := portOf(t, g.Data)
		if port == 0 {
			return answerGets(g, n)
		}
		return nil, errnoFor(port)
	})
	reqs := make([]Request, n)
	want := make([]error, n)
	for i := range reqs {
		port := uint16(i + 1)
		key := ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: port}
		if i%2 == 0 {
			reqs[i] = NewServiceRequest(Service{ServiceKey: key, Scheduler: "rr"})
		} else {
			reqs[i] = NewDestinationRequest(key, testDest)
		}
		if err := errnoFor(port); err != nil {
			want[i] = &Error{Op: reqs[i].op, Err: err}
		}
	}
	reqs[n-1] = NewServiceRequest(Service{ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Port: 7}}) // last one fails
	want[n-1] = &Error{Op: "new service", Err: unix.EEXIST}

	got := k.batch(t, c, reqs)
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	for i, err := range got {
		var e *Error
		if err != nil && (!errors.As(err, &e) || !errors.Is(err, want[i].(*Error).Err)) {
			t.Errorf("request %d: %#v is not an *Error with the errno", i, err)
		}
	}

	if wantSends := (n + batchWindow - 1) / batchWindow; k.sends != wantSends {
		t.Errorf("%d sends, want %d", k.sends, wantSends)
	}
	if len(k.requests) != n {
		t.Fatalf("%d requests reached the kernel, want %d", len(k.requests), n)
	}
	for i, m := range k.requests {
		wantFlags := netlink.Request
		if (i+1)%batchWindow == 0 || i == n-1 {
			wantFlags |= netlink.Acknowledge
		}
		if m.Header.Flags != wantFlags {
			t.Errorf("request %d: flags %v, want %v", i, m.Header.Flags, wantFlags)
		}
	}
	if len(k.queue) != 0 {
		t.Errorf("%d datagrams left unread", len(k.queue))
	}
	// The client is still in step.
	if _, err := c.Info(); err != nil {
		t.Errorf("Info after batch: %v", err)
	}
}

// batch runs c.Batch and returns its errors.
func (k *fakeKernel) batch(t *testing.T, c *Client, reqs []Request) []error {
	t.Helper()
	errs := c.Batch(reqs)
	if len(errs) != len(reqs) {
		t.Fatalf("%d errors for %d requests", len(errs), len(reqs))
	}
	return errs
}

func TestBatchEdgeCases(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		c, k := newTestClient(t, nil)
		if errs := c.Batch(nil); len(errs) != 0 {
			t.Errorf("Batch(nil) = %v", errs)
		}
		if k.sends != 0 {
			t.Errorf("%d sends for nothing", k.sends)
		}
	})
	t.Run("zero request is refused locally", func(t *testing.T) {
		c, k := newTestClient(t, nil)
		errs := c.Batch([]Request{{}, FlushRequest(), {}})
		if errs[0] == nil || errs[1] != nil || errs[2] == nil {
			t.Errorf("errors = %v, want [error nil error]", errs)
		}
		if len(k.requests) != 1 || k.requests[0].Header.Flags != netlink.Request|netlink.Acknowledge {
			t.Errorf("requests = %+v, want one acked flush", k.requests)
		}
		if err := c.Do(Request{}); err == nil {
			t.Error("Do(Request{}) succeeded")
		}
	})
	t.Run("transport failure", func(t *testing.T) {
		c, k := newTestClient(t, nil)
		k.lose = true // the answers get lost: the receive fails
		reqs := make([]Request, batchWindow+3)
		for i := range reqs {
			reqs[i] = ZeroAllRequest()
		}
		errs := c.Batch(reqs)
		for i, err := range errs {
			var e *Error
			if !errors.As(err, &e) || e.Op != "zero" {
				t.Errorf("request %d: error %v, want an *Error for zero", i, err)
			}
		}
		if k.sends != 1 {
			t.Errorf("%d sends, want 1 (stop after a transport failure)", k.sends)
		}
	})
}
