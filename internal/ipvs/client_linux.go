//go:build linux

package ipvs

import (
	"fmt"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// receiveBufferSize is the buffer each receive reads into: larger than any
// datagram the kernel sends (dump parts are at most 32 KiB), so that one
// receive is one system call, without a peek to learn the size first.
const receiveBufferSize = 64 << 10

// batchReceiveBuffer is the socket receive buffer asked for: room for the
// error replies of a whole batch window several times over (each takes
// under 1 KiB of the buffer, the kernel's overhead included). Going past
// net.core.rmem_max needs CAP_NET_ADMIN, which changing IPVS needs anyway;
// without it the system's limit applies.
const batchReceiveBuffer = 1 << 20

// dial opens the generic-netlink socket, in cfg.NetNS if set.
func dial(cfg *Config) (*Client, error) {
	nc, err := netlink.Dial(unix.NETLINK_GENERIC, &netlink.Config{NetNS: cfg.NetNS, MessageBufferSize: receiveBufferSize})
	if err != nil {
		return nil, opError("dial", err)
	}
	// Error replies need not echo the whole request: the header is enough
	// to match them to it, and small replies keep a batch's errors well
	// within the socket's receive buffer. Older kernels lack the option.
	_ = nc.SetOption(netlink.CapAcknowledge, true)
	if cfg.ReceiveBufferSize > 0 {
		if err := nc.SetReadBuffer(cfg.ReceiveBufferSize); err != nil {
			_ = nc.Close()
			return nil, opError("dial", fmt.Errorf("setting the receive buffer to %d bytes: %w", cfg.ReceiveBufferSize, err))
		}
	} else {
		forceReadBuffer(nc, batchReceiveBuffer)
	}
	c, err := initClient(genetlink.NewConn(nc))
	if err != nil {
		return nil, err // initClient closed nc
	}
	c.nl = nc
	raw, err := nc.SyscallConn()
	if err != nil {
		_ = c.Close()
		return nil, opError("dial", err)
	}
	c.raw = newRawDumper(raw)
	return c, nil
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
