package ipvs

import (
	"encoding/binary"
	"errors"
	"os"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// transport carries netlink datagrams between a Client and the kernel: on
// Linux a netlink socket (see socket_linux.go), in the host tests a fake
// kernel. It knows nothing of sequence numbers, replies or errors; the
// Client's receive loop does.
type transport interface {
	// send sends b, one or more netlink messages, as one datagram.
	send(b []byte) error
	// receive reads the next datagram into b and returns its length. It
	// fails with an error matching unix.ENOBUFS when the kernel dropped
	// replies because the receive buffer was full, and with one matching
	// os.ErrDeadlineExceeded when a read deadline passed.
	receive(b []byte) (int, error)
	// setReadDeadline bounds receives; the zero time removes the bound.
	setReadDeadline(t time.Time) error
	close() error
}

// Sizes of the netlink and generic-netlink headers.
const (
	nlmsghdrLen = 16
	genlHdrLen  = 4
)

// receiveBufferSize is the buffer each receive reads into: larger than any
// datagram the kernel sends (dump parts are at most 32 KiB), so that one
// receive is one system call, without a peek to learn the size first.
const receiveBufferSize = 64 << 10

// appendRequest appends a generic-netlink request to b: the netlink header
// (message type typ, flags, sequence number seq; port id 0 addresses the
// kernel), the generic-netlink header (cmd, version) and attrs.
func appendRequest(b []byte, typ uint16, flags netlink.HeaderFlags, seq uint32, cmd, version uint8, attrs []byte) []byte {
	b = binary.NativeEndian.AppendUint32(b, uint32(nlmsghdrLen+genlHdrLen+len(attrs)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, uint16(flags))
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = append(b, cmd, version, 0, 0)
	return append(b, attrs...) // attributes are padded: the message is too
}

// message is one netlink message of a received datagram. data, the
// payload after the netlink header, points into the receive buffer: it is
// valid until the next receive.
type message struct {
	typ   netlink.HeaderType
	flags netlink.HeaderFlags
	seq   uint32
	data  []byte
}

// nextMessage splits the first netlink message off the datagram b.
func nextMessage(b []byte) (m message, rest []byte, err error) {
	if len(b) < nlmsghdrLen {
		return message{}, nil, invalid("netlink header of %d bytes", len(b))
	}
	n := int(binary.NativeEndian.Uint32(b))
	if n < nlmsghdrLen || n > len(b) {
		return message{}, nil, invalid("netlink message of length %d with %d bytes left", n, len(b))
	}
	m = message{
		typ:   netlink.HeaderType(binary.NativeEndian.Uint16(b[4:])),
		flags: netlink.HeaderFlags(binary.NativeEndian.Uint16(b[6:])),
		seq:   binary.NativeEndian.Uint32(b[8:]),
		data:  b[nlmsghdrLen:n],
	}
	return m, b[min((n+3)&^3, len(b)):], nil
}

// errno returns the error number of an NLMSG_ERROR or NLMSG_DONE message:
// 0 for an ack or the plain end of a dump.
func (m message) errno() unix.Errno {
	if len(m.data) >= 4 {
		if e := int32(binary.NativeEndian.Uint32(m.data)); e < 0 {
			return unix.Errno(-e)
		}
	}
	return 0
}

// drainWait bounds each receive after the kernel dropped replies
// (ENOBUFS). By then everything still to come is queued: the kernel answers
// a request while it handles the sendmsg, and makes the next part of a dump
// while the previous one is read. So a receive that waits this long has
// found the queue empty; the wait is paid once per overflow.
const drainWait = 200 * time.Millisecond

// receive is the one receive loop under every request, batch and dump. It
// reads the replies to the requests numbered first to last, which were
// sent together, until the kernel has answered the last one: its ack or
// error, or the NLMSG_DONE that ends its dump. Each message numbered first
// to last goes to fn, the answer of the last one included; messages with
// other sequence numbers (left over from an earlier, failed exchange) and
// NLMSG_NOOP are skipped.
//
// When the kernel drops replies for a full receive buffer (the receive
// fails with ENOBUFS), lost is set and the rest of the queue is read, each
// receive bounded by drainWait: up to the answer, or to the end of the
// queue if the answer was dropped (answered is false then) or this is a
// dump (whose replies may be missing, so the listing is lost whatever
// arrives). Reading the queue empty leaves nothing of this exchange to be
// mistaken for the reply to a later one.
//
// err is a transport failure or a datagram that does not parse.
func (c *Client) receive(first, last uint32, dump bool, fn func(message)) (answered, lost bool, err error) {
	drainUntil := func() bool { return c.t.setReadDeadline(time.Now().Add(drainWait)) == nil }
	defer func() {
		if lost {
			_ = c.t.setReadDeadline(time.Time{})
		}
	}()
	for {
		n, err := c.t.receive(c.buf)
		switch {
		case err == nil:
		case lost && errors.Is(err, os.ErrDeadlineExceeded):
			return answered, lost, nil // the queue is empty
		case errors.Is(err, unix.ENOBUFS):
			// Without a deadline nothing more can safely be read.
			if lost = true; !drainUntil() {
				return answered, lost, nil
			}
			continue
		default:
			return answered, lost, err
		}
		if lost {
			drainUntil()
		}
		for b := c.buf[:n]; len(b) > 0; {
			var m message
			if m, b, err = nextMessage(b); err != nil {
				return answered, lost, err
			}
			if answered || m.seq-first > last-first || m.typ == netlink.Noop || m.typ == netlink.Overrun {
				continue
			}
			fn(m)
			answered = m.seq == last && (m.typ == netlink.Error || m.typ == netlink.Done)
		}
		if answered && !(lost && dump) {
			return answered, lost, nil
		}
	}
}
