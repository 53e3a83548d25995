//go:build linux

package ipvs

import (
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// batchReceiveBuffer is the socket receive buffer asked for: room for the
// error replies of a whole batch window several times over (each takes
// under 1 KiB of the buffer, the kernel's overhead included). Going past
// net.core.rmem_max needs CAP_NET_ADMIN, which changing IPVS needs anyway;
// without it the system's limit applies.
const batchReceiveBuffer = 1 << 20

// dial opens the generic-netlink socket, in cfg.NetNS if set.
func dial(cfg *Config) (*Client, error) {
	nc, err := netlink.Dial(unix.NETLINK_GENERIC, &netlink.Config{NetNS: cfg.NetNS})
	if err != nil {
		return nil, &Error{Op: "dial", Err: err}
	}
	// Error replies need not echo the whole request: the header is enough
	// to match them to it, and small replies keep a batch's errors well
	// within the socket's receive buffer. Older kernels lack the option.
	_ = nc.SetOption(netlink.CapAcknowledge, true)
	if cfg.ReceiveBufferSize > 0 {
		if err := nc.SetReadBuffer(cfg.ReceiveBufferSize); err != nil {
			_ = nc.Close()
			return nil, &Error{Op: "dial", Err: fmt.Errorf("setting the receive buffer to %d bytes: %w", cfg.ReceiveBufferSize, err)}
		}
	} else {
		forceReadBuffer(nc, batchReceiveBuffer)
	}
	s, err := newSocket(nc)
	if err != nil {
		_ = nc.Close()
		return nil, &Error{Op: "dial", Err: err}
	}
	return newClient(s)
}

// forceReadBuffer sets the socket's receive buffer to n bytes, past
// net.core.rmem_max when the process may (SO_RCVBUFFORCE); otherwise as
// far as the limit allows. A failure leaves the default, which Batch's
// handling of lost replies copes with.
func forceReadBuffer(nc *netlink.Conn, n int) {
	if raw, err := nc.SyscallConn(); err == nil {
		var serr error
		if raw.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
		}) == nil && serr == nil {
			return
		}
	}
	_ = nc.SetReadBuffer(n)
}

// socket is the transport on Linux: the netlink package's socket (which
// dials it, in a namespace if asked, and keeps its deadlines), written and
// read with raw system calls.
//
// Raw system calls skip the runtime's bookkeeping: the socket is
// non-blocking, so they never wait, and when one would (EAGAIN) the
// runtime's poller waits instead. A system call made the ordinary way that
// lasts over 20 us, as the kernel's work for a dump part easily does, lets
// the runtime hand the caller's processor to another thread; on a one-CPU
// machine that costs two context switches per call.
type socket struct {
	nc   *netlink.Conn
	conn syscall.RawConn
	to   unix.RawSockaddrNetlink // the kernel's address, where requests go

	// The buffer of the current send or receive, its results, and the
	// functions handed to conn, made once so that no call allocates.
	b        []byte
	n, flags int
	err      error
	sendFn   func(fd uintptr) bool
	recvFn   func(fd uintptr) bool
}

func newSocket(nc *netlink.Conn) (*socket, error) {
	conn, err := nc.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &socket{nc: nc, conn: conn}
	s.to.Family = unix.AF_NETLINK
	s.sendFn = func(fd uintptr) bool {
		_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.b))), uintptr(len(s.b)),
			0, uintptr(unsafe.Pointer(&s.to)), unix.SizeofSockaddrNetlink)
		s.err = errnoErr(e)
		return e != unix.EAGAIN
	}
	s.recvFn = func(fd uintptr) bool {
		// MSG_TRUNC: the datagram's full length, even when it is longer
		// than the buffer.
		r, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(s.b))), uintptr(len(s.b)),
			unix.MSG_TRUNC, 0, 0)
		s.n, s.err = int(r), errnoErr(e)
		return e != unix.EAGAIN
	}
	return s, nil
}

// errnoErr is nil for 0 and the errno otherwise.
func errnoErr(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func (s *socket) send(b []byte) error {
	s.b = b
	err := s.conn.Write(s.sendFn)
	if err == nil {
		err = s.err
	}
	if err != nil {
		return os.NewSyscallError("sendto", err)
	}
	return nil
}

func (s *socket) receive(b []byte) (int, error) {
	s.b = b
	err := s.conn.Read(s.recvFn)
	if err == nil {
		err = s.err
	}
	switch {
	case err != nil:
		return 0, os.NewSyscallError("recvfrom", err)
	case s.n > len(b):
		return 0, invalid("reply of %d bytes, larger than %d", s.n, len(b))
	}
	return s.n, nil
}

func (s *socket) setReadDeadline(t time.Time) error { return s.nc.SetReadDeadline(t) }

func (s *socket) close() error { return s.nc.Close() }
