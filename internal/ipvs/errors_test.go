//go:build linux

package ipvs

import (
	"errors"
	"net/netip"
	"os"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// methods lists every request-making method with the Op its errors carry.
var methods = []struct {
	op   string
	call func(c *Client) error
}{
	{"get info", func(c *Client) error { _, err := c.Info(); return err }},
	{"get services", func(c *Client) error { _, err := c.Services(); return err }},
	{"get service", func(c *Client) error { _, err := c.Service(testKey); return err }},
	{"new service", func(c *Client) error { return c.Do(NewServiceRequest(Service{ServiceKey: testKey, Scheduler: "rr"})) }},
	{"update service", func(c *Client) error {
		return c.Do(UpdateServiceRequest(Service{ServiceKey: testKey, Scheduler: "rr"}))
	}},
	{"delete service", func(c *Client) error { return c.Do(DeleteServiceRequest(testKey)) }},
	{"get destinations", func(c *Client) error { _, err := c.Destinations(testKey); return err }},
	{"new destination", func(c *Client) error { return c.Do(NewDestinationRequest(testKey, testDest)) }},
	{"update destination", func(c *Client) error { return c.Do(UpdateDestinationRequest(testKey, testDest)) }},
	{"delete destination", func(c *Client) error { return c.Do(DeleteDestinationRequest(testKey, testDest)) }},
	{"get timeouts", func(c *Client) error { _, err := c.Timeouts(); return err }},
	{"set timeouts", func(c *Client) error { return c.Do(SetTimeoutsRequest(Timeouts{})) }},
	{"get daemons", func(c *Client) error { _, err := c.Daemons(); return err }},
	{"start daemon", func(c *Client) error { return c.Do(StartDaemonRequest(Daemon{State: Master, Interface: "eth0"})) }},
	{"stop daemon", func(c *Client) error { return c.Do(StopDaemonRequest(Daemon{State: Master})) }},
	{"zero", func(c *Client) error { return c.Do(ZeroAllRequest()) }},
	{"zero", func(c *Client) error { return c.Do(ZeroRequest(testKey)) }},
	{"flush", func(c *Client) error { return c.Do(FlushRequest()) }},
	{"new service", func(c *Client) error { return c.Batch([]Request{NewServiceRequest(Service{ServiceKey: testKey})})[0] }},
}

var (
	testKey  = ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("192.0.2.1"), Port: 80}
	testDest = Destination{Addr: netip.MustParseAddr("10.0.0.1"), Port: 80, Weight: 1}
)

func TestErrnoMatrix(t *testing.T) {
	sentinels := []error{os.ErrExist, os.ErrNotExist, os.ErrPermission}
	tests := []struct {
		errno unix.Errno
		is    error // the one os sentinel it must match, nil for none
	}{
		{unix.EEXIST, os.ErrExist},
		{unix.ENOENT, os.ErrNotExist},
		{unix.ESRCH, nil},
		{unix.EPERM, os.ErrPermission},
		{unix.EINVAL, nil},
	}
	for _, m := range methods {
		for _, tt := range tests {
			t.Run(m.op+"/"+unix.ErrnoName(tt.errno), func(t *testing.T) {
				c, _ := newTestClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
					return nil, tt.errno
				})
				err := m.call(c)
				if !errors.Is(err, tt.errno) {
					t.Fatalf("error = %v, want errno %v", err, tt.errno)
				}
				var e *Error
				if !errors.As(err, &e) || e.Op != m.op {
					t.Errorf("error = %#v, want *Error with Op %q", err, m.op)
				} else if e.Err != tt.errno {
					t.Errorf("Error.Err = %#v, want the bare errno %#v", e.Err, tt.errno)
				}
				for _, s := range sentinels {
					if got, want := errors.Is(err, s), s == tt.is; got != want {
						t.Errorf("errors.Is(err, %v) = %v, want %v", s, got, want)
					}
				}
				// The failed exchange left nothing behind: the next request
				// gets its own answer.
				if err := c.Do(FlushRequest()); !errors.Is(err, tt.errno) {
					t.Errorf("next request: %v, want %v", err, tt.errno)
				}
			})
		}
	}
}

func TestDialWithoutIPVS(t *testing.T) {
	k := &fakeKernel{t: t, noFamily: true}
	_, err := newClient(k)
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want ErrNotSupported and os.ErrNotExist", err)
	}
	if errors.Is(err, os.ErrPermission) {
		t.Errorf("error %v matches os.ErrPermission", err)
	}
	if !k.closed {
		t.Error("connection not closed after a failed family lookup")
	}
}

func TestErrorText(t *testing.T) {
	c, _ := newTestClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return nil, unix.EEXIST })
	err := c.Do(NewServiceRequest(Service{ServiceKey: testKey, Scheduler: "rr"}))
	if got, want := err.Error(), "ipvs: new service: file exists"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestStaleReplies checks that messages of an earlier exchange (such as a
// late error) are skipped rather than taken for the current reply.
func TestStaleReplies(t *testing.T) {
	c, k := newTestClient(t, answerGets)
	old := netlink.Message{Header: netlink.Header{Length: 20, Type: testFamilyID, Sequence: 1, PID: 4242}, Data: []byte{1, 1, 0, 0}}
	k.queue = append(k.queue, []netlink.Message{ack(old, unix.EEXIST)}, []netlink.Message{ack(old, 0)})
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.ConnTableSize != 4096 {
		t.Errorf("info = %+v", info)
	}
}

func TestShortGenetlinkReply(t *testing.T) {
	var k *fakeKernel
	c, k := newTestClient(t, func(_ genetlink.Message, n netlink.Message) ([]genetlink.Message, error) {
		k.queue = append(k.queue, []netlink.Message{reply(n, testFamilyID, 0, []byte{1})})
		return nil, nil
	})
	if _, err := c.Info(); !errors.Is(err, errInvalidReply) {
		t.Errorf("error = %v, want errInvalidReply", err)
	}
	k.handle = answerGets
	if _, err := c.Info(); err != nil {
		t.Errorf("next request: %v", err)
	}
}
