//go:build linux

package ipvs

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// rawDumper runs dumps on the client's socket directly: it writes the
// request itself and reads the replies into one buffer that it reuses,
// handing each message to the caller before the next receive. Listings
// make one dump per service, and the netlink package allocates a fresh
// buffer for every receive and keeps every message of a dump until its
// end; this costs three system calls and no allocation per dump.
//
// The calls are raw system calls (no runtime bookkeeping): the socket is
// non-blocking, so they never wait, and when one would (EAGAIN) the
// runtime's poller waits instead. A system call made the ordinary way
// that lasts over 20 us, as the kernel's work for a dump part easily does,
// lets the runtime hand the caller's processor to another thread; on a
// one-CPU machine that costs two context switches per call, which
// measured about a third of the time of "ipvsadm -Ln --stats" (10,000
// services) in the VM.
type rawDumper struct {
	conn syscall.RawConn
	seq  uint32
	req  []byte                  // the request being sent
	buf  []byte                  // the receive buffer
	to   unix.RawSockaddrNetlink // the kernel's address, where requests go

	// The results of the last send or receive, and the functions handed
	// to conn, made once so that no call allocates.
	n, flags int
	err      error
	send     func(fd uintptr) bool
	recv     func(fd uintptr) bool
}

func newRawDumper(conn syscall.RawConn) *rawDumper {
	d := &rawDumper{conn: conn, seq: rand.Uint32(), buf: make([]byte, receiveBufferSize)}
	d.to.Family = unix.AF_NETLINK
	d.send = func(fd uintptr) bool {
		d.err = rawSendto(fd, d.req, &d.to)
		return d.err != unix.EAGAIN
	}
	d.recv = func(fd uintptr) bool {
		d.n, d.flags, d.err = rawRecv(fd, d.buf)
		return d.err != unix.EAGAIN
	}
	return d
}

// rawSendto sends b to the netlink address to.
func rawSendto(fd uintptr, b []byte, to *unix.RawSockaddrNetlink) error {
	_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
		0, uintptr(unsafe.Pointer(to)), unix.SizeofSockaddrNetlink)
	if e != 0 {
		return e
	}
	return nil
}

// rawRecv receives one datagram into b; flags has unix.MSG_TRUNC when the
// datagram was longer than b.
func rawRecv(fd uintptr, b []byte) (n, flags int, err error) {
	r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)),
		unix.MSG_TRUNC, 0, 0)
	if e != 0 {
		return 0, 0, e
	}
	if n = int(r); n > len(b) {
		return len(b), unix.MSG_TRUNC, nil
	}
	return n, 0, nil
}

// nlmsghdrLen and genlHdrLen are the sizes of the netlink and
// generic-netlink headers.
const (
	nlmsghdrLen = 16
	genlHdrLen  = 4
)

// dump sends the dump request cmd with attrs and calls fn with the
// attributes of each reply message, in order. The errors are those of
// Client.execute: an *Error for op, ErrDumpInterrupted when the kernel
// marks the dump interrupted (after reading it to its end), an error
// matching unix.ENOBUFS when replies were lost.
func (d *rawDumper) dump(c *Client, op string, cmd uint8, attrs []byte, fn func([]byte) error) error {
	d.seq++
	seq := d.seq
	n := nlmsghdrLen + genlHdrLen + len(attrs)
	b := d.req[:0]
	b = binary.NativeEndian.AppendUint32(b, uint32(n))
	b = binary.NativeEndian.AppendUint16(b, c.family)
	b = binary.NativeEndian.AppendUint16(b, uint16(netlink.Request|netlink.Acknowledge|netlink.Dump))
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel's
	b = append(b, cmd, genlVersion, 0, 0)
	b = append(b, attrs...)
	d.req = b

	err := d.conn.Write(d.send)
	if err == nil {
		err = d.err
	}
	if err != nil {
		return opError(op, os.NewSyscallError("sendto", err))
	}

	interrupted := false
	var fnErr error // the first error of fn; the dump is still read to its end
	for {
		err := d.conn.Read(d.recv)
		if err == nil {
			err = d.err
		}
		switch {
		case errors.Is(err, unix.ENOBUFS):
			d.drain(c)
			return &Error{Op: op, Err: lostDump}
		case err != nil:
			return opError(op, os.NewSyscallError("recvfrom", err))
		case d.flags&unix.MSG_TRUNC != 0:
			return &Error{Op: op, Err: invalid("reply larger than %d bytes", len(d.buf))}
		}
		done, err := d.messages(d.buf[:d.n], seq, &interrupted, func(data []byte) {
			if fnErr == nil {
				fnErr = fn(data)
			}
		})
		switch {
		case err != nil:
			return &Error{Op: op, Err: err}
		case !done:
			continue
		case fnErr != nil:
			return &Error{Op: op, Err: fnErr}
		case interrupted:
			return &Error{Op: op, Err: ErrDumpInterrupted}
		}
		return nil
	}
}

// messages walks the netlink messages of one datagram and reports whether
// the dump with sequence number seq ended in it. Messages of other
// sequence numbers (left over from an earlier exchange) are skipped.
func (d *rawDumper) messages(b []byte, seq uint32, interrupted *bool, fn func([]byte)) (done bool, err error) {
	for len(b) > 0 {
		if len(b) < nlmsghdrLen {
			return false, invalid("netlink header of %d bytes", len(b))
		}
		n := int(binary.NativeEndian.Uint32(b))
		if n < nlmsghdrLen || n > len(b) {
			return false, invalid("netlink message of length %d with %d bytes left", n, len(b))
		}
		typ := netlink.HeaderType(binary.NativeEndian.Uint16(b[4:]))
		flags := netlink.HeaderFlags(binary.NativeEndian.Uint16(b[6:]))
		msgSeq := binary.NativeEndian.Uint32(b[8:])
		payload := b[nlmsghdrLen:n]
		b = b[min((n+3)&^3, len(b)):]
		if msgSeq != seq {
			continue
		}
		switch typ {
		case netlink.Done, netlink.Error:
			if len(payload) >= 4 {
				if errno := int32(binary.NativeEndian.Uint32(payload)); errno < 0 {
					return true, unix.Errno(-errno)
				}
			}
			return true, nil
		case netlink.Noop, netlink.Overrun:
			continue
		}
		if flags&netlink.DumpInterrupted != 0 {
			*interrupted = true
		}
		if len(payload) < genlHdrLen {
			return false, invalid("generic netlink message of %d bytes", len(payload))
		}
		fn(payload[genlHdrLen:])
	}
	return false, nil
}

// drain reads and drops whatever is queued on the socket after the kernel
// lost replies, so nothing of this dump is taken for the reply to a later
// request.
func (d *rawDumper) drain(c *Client) {
	defer c.nl.SetReadDeadline(time.Time{})
	for {
		if c.nl.SetReadDeadline(time.Now().Add(drainWait)) != nil {
			return
		}
		err := d.conn.Read(d.recv)
		if err == nil {
			err = d.err
		}
		if err != nil && !errors.Is(err, unix.ENOBUFS) {
			return // the deadline passed: the queue is empty
		}
	}
}
