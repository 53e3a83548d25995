//go:build linux

package ipvs

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// This file holds the test fakes: a transport, plugged in beneath the
// Client's one receive loop as the socket is in production, that answers
// the way the kernel's netlink core and genetlink do (one datagram per reply or
// ack, errors for failing requests even without NLM_F_ACK, dumps in
// several datagrams ended by NLMSG_DONE|NLM_F_MULTI), with the IPVS
// commands answered by a genltest.Func; and helpers that build attribute
// bytes by hand, independently of netlink.AttributeEncoder.

const testFamilyID = 0x22

// fakeKernel is a transport standing in for the kernel.
type fakeKernel struct {
	t        *testing.T
	noFamily bool          // answer the IPVS family lookup with ENOENT
	handle   genltest.Func // answers IPVS requests; an error must be a unix.Errno
	perDgram int           // dump parts per datagram
	lose     bool          // drop every answer to IPVS requests

	// The receive buffer, modelled on the kernel's: with capacity > 0 the
	// queue holds that many datagrams of replies; one more is dropped,
	// and so is every later one until the queue is read empty
	// (congested), and the next Receive fails with ENOBUFS (overrun).
	// Dump parts are never dropped, as the kernel makes them only when
	// there is room.
	capacity  int
	congested bool
	overrun   bool
	dropped   int                 // datagrams dropped
	deadline  bool                // a read deadline is set: an empty queue times out
	dumpFlags netlink.HeaderFlags // added to every dump part, such as netlink.DumpInterrupted
	doneErrno unix.Errno          // carried by the NLMSG_DONE that ends a dump
	malformed bool                // cut the next datagram received short of its first header's length
	afterDump [][]netlink.Message // datagrams queued after a dump's NLMSG_DONE, such as stale ones

	requests []netlink.Message   // every IPVS request, as sent
	sends    int                 // datagrams of IPVS requests sent
	queue    [][]netlink.Message // datagrams waiting to be received
	closed   bool
}

func (k *fakeKernel) close() error { k.closed = true; return nil }

// send takes a datagram of requests and answers each in turn.
func (k *fakeKernel) send(b []byte) error {
	var ms []netlink.Message
	for len(b) > 0 {
		n := int(binary.NativeEndian.Uint32(b))
		if n < 16 || n > len(b) {
			k.t.Fatalf("request datagram with a message of length %d in %d bytes", n, len(b))
		}
		var m netlink.Message
		if err := m.UnmarshalBinary(b[:n]); err != nil {
			k.t.Fatalf("bad request: %v", err)
		}
		ms = append(ms, m)
		b = b[min((n+3)&^3, len(b)):]
	}
	if len(ms) > 0 && ms[0].Header.Type != unix.GENL_ID_CTRL {
		k.sends++
	}
	for _, m := range ms {
		k.process(m)
	}
	return nil
}

// receive hands over the next queued datagram, its messages laid out as
// the kernel does.
func (k *fakeKernel) receive(b []byte) (int, error) {
	if k.overrun {
		k.overrun = false
		return 0, os.NewSyscallError("recvfrom", unix.ENOBUFS)
	}
	if len(k.queue) == 0 {
		if k.deadline {
			return 0, os.ErrDeadlineExceeded
		}
		return 0, errors.New("fake kernel: nothing to receive (a real socket would block)")
	}
	d := k.queue[0]
	k.queue = k.queue[1:]
	if len(k.queue) == 0 {
		k.congested = false
	}
	var out []byte
	for _, m := range d {
		h := m.Header
		out = binary.NativeEndian.AppendUint32(out, uint32(16+len(m.Data)))
		out = binary.NativeEndian.AppendUint16(out, uint16(h.Type))
		out = binary.NativeEndian.AppendUint16(out, uint16(h.Flags))
		out = binary.NativeEndian.AppendUint32(out, h.Sequence)
		out = binary.NativeEndian.AppendUint32(out, h.PID)
		out = append(out, m.Data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	if k.malformed {
		k.malformed = false
		out = out[:8]
	}
	if len(out) > len(b) {
		k.t.Fatalf("datagram of %d bytes for a buffer of %d", len(out), len(b))
	}
	return copy(b, out), nil
}

// deliver queues a datagram of replies, or drops it when the receive
// buffer is full (see capacity).
func (k *fakeKernel) deliver(d []netlink.Message) {
	if k.capacity > 0 && (k.congested || len(k.queue) >= k.capacity) {
		k.congested, k.overrun = true, true
		k.dropped++
		return
	}
	k.queue = append(k.queue, d)
}

func (k *fakeKernel) setReadDeadline(t time.Time) error { k.deadline = !t.IsZero(); return nil }

// reply builds a message answering req.
func reply(req netlink.Message, typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) netlink.Message {
	return netlink.Message{
		Header: netlink.Header{
			Length:   uint32(16 + len(data)),
			Type:     typ,
			Flags:    flags,
			Sequence: req.Header.Sequence,
			PID:      req.Header.PID,
		},
		Data: data,
	}
}

// ack builds the NLMSG_ERROR message for req with errno (0 for an ack),
// carrying a copy of the request as the kernel does.
func ack(req netlink.Message, errno unix.Errno) netlink.Message {
	req.Header.Length = uint32(16 + len(req.Data))
	orig, err := req.MarshalBinary()
	if err != nil {
		panic(err)
	}
	data := binary.NativeEndian.AppendUint32(nil, uint32(-int32(errno)))
	return reply(req, netlink.Error, 0, append(data, orig...))
}

func (k *fakeKernel) process(req netlink.Message) {
	if req.Header.Flags&netlink.Request == 0 {
		k.t.Errorf("request without NLM_F_REQUEST: %+v", req.Header)
	}
	var greq genetlink.Message
	if err := greq.UnmarshalBinary(req.Data); err != nil {
		k.t.Errorf("bad genetlink request: %v", err)
		k.queue = append(k.queue, []netlink.Message{ack(req, unix.EINVAL)})
		return
	}

	if req.Header.Type == unix.GENL_ID_CTRL {
		if k.noFamily {
			k.queue = append(k.queue, []netlink.Message{ack(req, unix.ENOENT)})
			return
		}
		f := genetlink.Family{ID: testFamilyID, Name: genlName, Version: genlVersion}
		msgs, err := genltest.ServeFamily(f, nil)(greq, req)
		if err != nil || len(msgs) != 1 {
			k.t.Fatalf("family lookup: %v", err)
		}
		b, _ := msgs[0].MarshalBinary()
		k.queue = append(k.queue, []netlink.Message{reply(req, unix.GENL_ID_CTRL, 0, b)})
		if req.Header.Flags&netlink.Acknowledge != 0 {
			k.queue = append(k.queue, []netlink.Message{ack(req, 0)})
		}
		return
	}

	if req.Header.Type != testFamilyID {
		k.t.Errorf("request to family %d, want %d", req.Header.Type, testFamilyID)
	}
	k.requests = append(k.requests, req)
	if k.lose {
		return
	}
	var msgs []genetlink.Message
	var err error
	if k.handle != nil {
		msgs, err = k.handle(greq, req)
	}
	if err != nil {
		var errno unix.Errno
		if !errors.As(err, &errno) {
			k.t.Fatalf("handler error is not an errno: %v", err)
		}
		k.deliver([]netlink.Message{ack(req, errno)})
		return
	}

	var replies []netlink.Message
	for _, m := range msgs {
		b, err := m.MarshalBinary()
		if err != nil {
			k.t.Fatalf("marshal reply: %v", err)
		}
		replies = append(replies, reply(req, testFamilyID, 0, b))
	}

	if req.Header.Flags&netlink.Dump == netlink.Dump {
		per := k.perDgram
		if per <= 0 {
			per = 7
		}
		done := reply(req, netlink.Done, netlink.Multi, binary.NativeEndian.AppendUint32(nil, uint32(-int32(k.doneErrno))))
		doneSent := false
		for len(replies) > 0 {
			n := min(per, len(replies))
			d := append([]netlink.Message(nil), replies[:n]...)
			for i := range d {
				d[i].Header.Flags |= netlink.Multi | k.dumpFlags
			}
			replies = replies[n:]
			if len(replies) == 0 && n < per {
				d = append(d, done) // DONE fits in the last datagram
				doneSent = true
			}
			k.queue = append(k.queue, d)
		}
		if !doneSent {
			k.queue = append(k.queue, []netlink.Message{done})
		}
		k.queue = append(k.queue, k.afterDump...)
		return
	}
	for _, r := range replies {
		k.deliver([]netlink.Message{r})
	}
	if req.Header.Flags&netlink.Acknowledge != 0 {
		k.deliver([]netlink.Message{ack(req, 0)})
	}
}

// newTestClient returns a Client talking to a fake kernel that answers
// IPVS requests with handle.
func newTestClient(t *testing.T, handle genltest.Func) (*Client, *fakeKernel) {
	t.Helper()
	k := &fakeKernel{t: t, handle: handle}
	c, err := newClient(k)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, k
}

// replyWith answers every request with msgs built from attribute payloads.
func replyWith(cmd uint8, payloads ...[]byte) genltest.Func {
	return func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		msgs := make([]genetlink.Message, 0, len(payloads))
		for _, p := range payloads {
			msgs = append(msgs, genetlink.Message{
				Header: genetlink.Header{Command: cmd, Version: genlVersion},
				Data:   p,
			})
		}
		return msgs, nil
	}
}

// cmpOpts compares netip.Addr values by ==.
var cmpOpts = cmp.Options{cmp.Comparer(func(a, b netip.Addr) bool { return a == b })}

// Hand-made attribute bytes, host byte order unless the name says be.

// attr is one attribute with its header and padding.
func attr(typ uint16, data ...[]byte) []byte {
	var payload []byte
	for _, d := range data {
		payload = append(payload, d...)
	}
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// nest is a nested attribute (NLA_F_NESTED set) holding attrs.
func nest(typ uint16, attrs ...[]byte) []byte { return attr(typ|0x8000, attrs...) }

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func u8(v uint8) []byte   { return []byte{v} }
func u16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }
func b16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func b32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func str(s string) []byte { return append([]byte(s), 0) }
func ip16(s string) []byte { // 16-byte union nf_inet_addr
	a := netip.MustParseAddr(s)
	b := make([]byte, 16)
	if a.Is4() {
		v := a.As4()
		copy(b, v[:])
	} else {
		v := a.As16()
		copy(b, v[:])
	}
	return b
}
func ip(s string) []byte { return netip.MustParseAddr(s).AsSlice() }
