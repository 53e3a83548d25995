package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Config configures a Client. A nil *Config is the same as the zero Config.
type Config struct {
	// NetNS is a file descriptor of a network namespace to open the socket
	// in; 0 means the current namespace.
	NetNS int
	// ReceiveBufferSize, if positive, sets the socket's receive buffer
	// (SO_RCVBUF) in bytes; the kernel doubles it and keeps it between its
	// minimum and net.core.rmem_max. 0 keeps the system's default. Tests set
	// it small to make the kernel drop replies (ENOBUFS; see Batch).
	ReceiveBufferSize int
}

// ErrDumpInterrupted is returned, wrapped in an *Error, by a listing whose
// dump the kernel marked interrupted (NLM_F_DUMP_INTR): the table changed
// while it was being read, so what was read may miss or repeat entries.
// Reading again is the remedy. (The IPVS family of Linux 6.1 never sets the
// flag; this guards against a kernel that does.)
var ErrDumpInterrupted = errors.New("dump interrupted: the table changed while it was being read (NLM_F_DUMP_INTR)")

// repliesLost is the error of a request some of whose replies the kernel
// dropped because the socket's receive buffer was full: the receive failed
// with ENOBUFS. It matches unix.ENOBUFS.
type repliesLost struct {
	outcome string // what this means for the request
}

func (e repliesLost) Error() string {
	return "receive buffer overflow (ENOBUFS): kernel replies were lost; " + e.outcome
}

// Unwrap returns unix.ENOBUFS.
func (repliesLost) Unwrap() error { return unix.ENOBUFS }

var (
	lostDump    = repliesLost{"the listing may be incomplete"}
	lostOutcome = repliesLost{"the request was carried out, but whether it succeeded is unknown"}
)

// drainWait bounds each receive after the kernel dropped replies
// (ENOBUFS). By then everything still to come is queued: the kernel answers
// a request while it handles the sendmsg, and makes the next part of a dump
// while the previous one is read. So a receive that waits this long has
// found the queue empty; the wait is paid once per overflow.
const drainWait = 200 * time.Millisecond

// overflowed reports whether a receive failed because the kernel dropped
// messages for a full receive buffer: ENOBUFS from recvmsg itself, not an
// NLMSG_ERROR reply (which carries a sequence number).
func overflowed(err error) bool {
	var oe *netlink.OpError
	return errors.As(err, &oe) && oe.Sequence == 0 && errors.Is(err, unix.ENOBUFS)
}

// drainUntil arms (or re-arms) the read deadline after an overflow, so
// that reading the rest of the queue cannot block; it reports false when
// the socket has no deadlines (then nothing more can safely be read).
func drainUntil(set func(time.Time) error) bool {
	return set(time.Now().Add(drainWait)) == nil
}

// drained reports a receive that timed out: after an overflow, the queue
// is empty.
func drained(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// ErrNotSupported is returned (wrapped in an *Error) by Dial when the kernel
// has no IPVS generic-netlink family, typically because the ip_vs module is
// not loaded, and on operating systems other than Linux. errors.Is matches
// it both as itself and as os.ErrNotExist.
var ErrNotSupported error = notSupportedError{}

type notSupportedError struct{}

func (notSupportedError) Error() string { return "IPVS generic netlink family not available" }

// Is makes ErrNotSupported match os.ErrNotExist and errors.ErrUnsupported.
func (notSupportedError) Is(target error) bool {
	return target == os.ErrNotExist || target == errors.ErrUnsupported
}

// Error is the error of a failed operation. Err is the kernel's errno (a
// unix.Errno, so errors.Is(err, unix.ESRCH) or errors.Is(err,
// os.ErrExist) work) when the kernel refused the request, or another error
// (such as one wrapping ErrInvalidReply) otherwise.
type Error struct {
	// Op names the operation, such as "new service" or "get destinations".
	Op  string
	Err error
}

// Error returns "ipvs: <op>: <err>".
func (e *Error) Error() string { return "ipvs: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// opError wraps err for operation op, replacing a *netlink.OpError that
// carries an errno by the bare errno.
func opError(op string, err error) error {
	var oe *netlink.OpError
	if errors.As(err, &oe) {
		var errno unix.Errno
		if errors.As(oe.Err, &errno) {
			err = errno
		}
	}
	return &Error{Op: op, Err: err}
}

// Client talks to the kernel's IPVS over one generic-netlink socket. Its
// methods must not be called concurrently.
type Client struct {
	conn   *genetlink.Conn
	nl     *netlink.Conn // the conn under conn, for Batch; nil in some tests
	family uint16        // the IPVS family's dynamic id
	// raw runs dumps on the socket directly where the platform allows
	// (see rawDumper); nil means through the netlink package.
	raw interface {
		dump(c *Client, op string, cmd uint8, attrs []byte, fn func([]byte) error) error
	}
}

// Dial opens a generic-netlink socket and looks the IPVS family up once for
// the client's lifetime. Without IPVS in the kernel the error matches
// ErrNotSupported and os.ErrNotExist.
func Dial(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	return dial(cfg)
}

// initClient builds a Client over conn, resolving the IPVS family; it closes
// conn on failure.
func initClient(conn *genetlink.Conn) (*Client, error) {
	f, err := conn.GetFamily(genlName)
	if err != nil {
		_ = conn.Close()
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{Op: "dial", Err: fmt.Errorf("%w: %w", ErrNotSupported, err)}
		}
		return nil, opError("dial", err)
	}
	return &Client{conn: conn, family: f.ID}, nil
}

// Close closes the socket.
func (c *Client) Close() error { return c.conn.Close() }

// execute sends one request and returns the kernel's replies. Every request
// asks for an ack, as ipvsadm's do; a dump (flags has netlink.Dump) ends
// with NLMSG_DONE instead, other requests with the ack. Messages with
// another sequence number (left over from an earlier, failed exchange) are
// skipped. Errors are wrapped as *Error for op.
//
// A dump that the kernel marks interrupted (NLM_F_DUMP_INTR on any of its
// messages) is read to its end and reported as ErrDumpInterrupted. When
// the kernel drops replies for a full receive buffer (ENOBUFS), the rest of
// the queue is read: a request whose own ack or error is still there gets
// it; otherwise, and always for a dump, the error matches unix.ENOBUFS and
// says that replies were lost. Reading the queue empty leaves nothing of
// this exchange (such as the rest of a dump) to be mistaken for the reply
// to a later one.
func (c *Client) execute(op string, cmd uint8, flags netlink.HeaderFlags, attrs []byte) ([]genetlink.Message, error) {
	req := genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: genlVersion},
		Data:   attrs,
	}
	sent, err := c.conn.Send(req, c.family, netlink.Request|netlink.Acknowledge|flags)
	if err != nil {
		return nil, opError(op, err)
	}
	seq := sent.Header.Sequence
	dump := flags&netlink.Dump == netlink.Dump

	var (
		replies     []genetlink.Message
		interrupted bool // a message of the dump has NLM_F_DUMP_INTR
		lost        bool // the kernel dropped replies: reading the queue empty
	)
	defer func() {
		if lost {
			_ = c.conn.SetReadDeadline(time.Time{})
		}
	}()
	lostErr := func() error {
		if dump {
			return &Error{Op: op, Err: lostDump}
		}
		return &Error{Op: op, Err: lostOutcome}
	}
	for {
		gmsgs, nmsgs, err := c.conn.Receive()
		if err != nil {
			var oe *netlink.OpError
			switch {
			case lost && drained(err):
				return nil, lostErr() // our ack or error was not in the queue
			case overflowed(err):
				if lost = drainUntil(c.conn.SetReadDeadline); !lost {
					return nil, lostErr()
				}
				continue
			case !errors.As(err, &oe):
				// Not from the netlink layer: a message too short for a
				// generic-netlink header.
				return nil, &Error{Op: op, Err: invalid("%v", err)}
			case oe.Sequence != 0 && oe.Sequence != seq:
				if lost {
					drainUntil(c.conn.SetReadDeadline)
				}
				continue // an error for an earlier request
			}
			return nil, opError(op, err)
		}
		if lost {
			drainUntil(c.conn.SetReadDeadline)
		}
		ours, end := false, false
		for i, m := range nmsgs {
			if m.Header.Sequence != seq {
				continue
			}
			ours = true
			if m.Header.Flags&netlink.DumpInterrupted != 0 {
				interrupted = true
			}
			switch m.Header.Type {
			case netlink.Error, netlink.Done: // ack (errno 0) or end of dump
				end = true
			case netlink.Noop, netlink.Overrun:
			default:
				replies = append(replies, gmsgs[i])
			}
			if end {
				break
			}
		}
		// The netlink package reads a dump up to and without its DONE: one
		// Receive with something of ours, or with nothing at all (an empty
		// dump), is the whole dump. Dumps are not acked.
		end = end || dump && (ours || len(nmsgs) == 0)
		switch {
		case !end, lost && dump:
			// After an overflow a dump is read on until the queue is
			// empty: it is reported lost whatever arrives.
			continue
		case interrupted:
			return nil, &Error{Op: op, Err: ErrDumpInterrupted}
		}
		return replies, nil
	}
}

// single runs a non-dump request that expects exactly one reply message
// and returns its attributes.
func (c *Client) single(op string, cmd uint8, attrs []byte) ([]byte, error) {
	msgs, err := c.execute(op, cmd, 0, attrs)
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, &Error{Op: op, Err: invalid("%d reply messages, want 1", len(msgs))}
	}
	return msgs[0].Data, nil
}

// dump runs a dump request and decodes each reply with fn.
func dump[T any](c *Client, op string, cmd uint8, attrs []byte, fn func([]byte) (T, error)) ([]T, error) {
	if c.raw != nil {
		out := make([]T, 0, 16)
		err := c.raw.dump(c, op, cmd, attrs, func(b []byte) error {
			v, err := fn(b)
			out = append(out, v)
			return err
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	msgs, err := c.execute(op, cmd, netlink.Dump, attrs)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(msgs))
	for _, m := range msgs {
		v, err := fn(m.Data)
		if err != nil {
			return nil, &Error{Op: op, Err: err}
		}
		out = append(out, v)
	}
	return out, nil
}

// Info returns the kernel's IPVS version and connection table size.
func (c *Client) Info() (Info, error) {
	const op = "get info"
	b, err := c.single(op, cmdGetInfo, nil)
	if err != nil {
		return Info{}, err
	}
	info, err := decodeInfo(b)
	if err != nil {
		return Info{}, &Error{Op: op, Err: err}
	}
	return info, nil
}

// Services returns every virtual service, in the kernel's order. An empty
// table gives an empty slice and no error.
//
// The kernel resumes a multi-part service dump by position in a hash table
// that every network namespace shares, so while services are added or
// deleted (in any namespace) a dump can repeat one; Services lists each
// service once.
func (c *Client) Services() ([]ServiceEntry, error) {
	all, err := dump(c, "get services", cmdGetService, nil, decodeServiceMessage)
	if err != nil {
		return nil, err
	}
	seen := make(map[ServiceKey]bool, len(all))
	out := all[:0]
	for _, s := range all {
		if !seen[s.ServiceKey] {
			seen[s.ServiceKey] = true
			out = append(out, s)
		}
	}
	return out, nil
}

// Service returns the virtual service key names; a missing service is an
// error matching unix.ESRCH.
func (c *Client) Service(key ServiceKey) (ServiceEntry, error) {
	const op = "get service"
	// ipvsadm -L <service> sends the full nest with netmask 0.
	w := newAttrWriter()
	w.service(keyService(key, 0))
	b, err := c.single(op, cmdGetService, w.b)
	if err != nil {
		return ServiceEntry{}, err
	}
	e, err := decodeServiceMessage(b)
	if err != nil {
		return ServiceEntry{}, &Error{Op: op, Err: err}
	}
	return e, nil
}

// Destinations returns the destinations of the service key names, in the
// kernel's order (newest first). The kernel answers an unknown service
// with an empty list.
//
// The kernel resumes a multi-part destination dump by position in the
// service's list, and adds destinations at its front, so while
// destinations are added a dump can repeat one (seen in the VM:
// robusttest's TestListingDuringChanges); Destinations lists each
// destination (address and port) once.
func (c *Client) Destinations(key ServiceKey) ([]DestinationEntry, error) {
	const op = "get destinations"
	w := newAttrWriter()
	w.serviceKey(key)
	all, err := dump(c, op, cmdGetDest, w.b, func(b []byte) (DestinationEntry, error) {
		return decodeDestinationMessage(b, key.Family)
	})
	if err != nil || len(all) < 2 {
		return all, err
	}
	return dedupDestinations(all), nil
}

// dedupLinearMax is the longest list dedupDestinations checks pairwise,
// without allocating; longer ones use a map.
const dedupLinearMax = 32

// dedupDestinations drops, in place, every destination that repeats an
// earlier one's address and port (a dump racing with changes elsewhere in
// the kernel's table can repeat one), keeping the first.
func dedupDestinations(all []DestinationEntry) []DestinationEntry {
	same := func(a, b *DestinationEntry) bool {
		return a.Port == b.Port && a.Family == b.Family && a.Addr == b.Addr
	}
	out := all[:0]
	if len(all) <= dedupLinearMax {
	next:
		for i := range all {
			for j := range out {
				if same(&out[j], &all[i]) {
					continue next
				}
			}
			out = append(out, all[i])
		}
		return out
	}
	type destKey struct {
		family Family
		addr   netip.Addr
		port   uint16
	}
	seen := make(map[destKey]bool, len(all))
	for _, d := range all {
		k := destKey{d.Family, d.Addr, d.Port}
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}

// Timeouts returns the TCP, TCP FIN and UDP connection timeouts.
func (c *Client) Timeouts() (Timeouts, error) {
	const op = "get timeouts"
	b, err := c.single(op, cmdGetConfig, nil)
	if err != nil {
		return Timeouts{}, err
	}
	t, err := decodeTimeouts(b)
	if err != nil {
		return Timeouts{}, &Error{Op: op, Err: err}
	}
	return t, nil
}

// Daemons returns the running connection-synchronisation daemons (at most
// one master and one backup).
func (c *Client) Daemons() ([]Daemon, error) {
	return dump(c, "get daemons", cmdGetDaemon, nil, decodeDaemonMessage)
}

// NewService adds the virtual service s.
func (c *Client) NewService(s Service) error { return c.Do(NewServiceRequest(s)) }

// UpdateService changes the virtual service s.ServiceKey to s's settings;
// an empty s.PE removes the persistence engine.
func (c *Client) UpdateService(s Service) error { return c.Do(UpdateServiceRequest(s)) }

// DeleteService removes the virtual service key and its destinations.
func (c *Client) DeleteService(key ServiceKey) error { return c.Do(DeleteServiceRequest(key)) }

// NewDestination adds d to the virtual service key.
func (c *Client) NewDestination(key ServiceKey, d Destination) error {
	return c.Do(NewDestinationRequest(key, d))
}

// UpdateDestination changes the destination d.Addr:d.Port of the virtual
// service key to d's settings.
func (c *Client) UpdateDestination(key ServiceKey, d Destination) error {
	return c.Do(UpdateDestinationRequest(key, d))
}

// DeleteDestination removes the destination d.Addr:d.Port from the virtual
// service key.
func (c *Client) DeleteDestination(key ServiceKey, d Destination) error {
	return c.Do(DeleteDestinationRequest(key, d))
}

// SetTimeouts sets the connection timeouts; a zero timeout is left
// unchanged.
func (c *Client) SetTimeouts(t Timeouts) error { return c.Do(SetTimeoutsRequest(t)) }

// StartDaemon starts a connection-synchronisation daemon.
func (c *Client) StartDaemon(d Daemon) error { return c.Do(StartDaemonRequest(d)) }

// StopDaemon stops the connection-synchronisation daemon d.State with
// d.Interface and d.SyncID.
func (c *Client) StopDaemon(d Daemon) error { return c.Do(StopDaemonRequest(d)) }

// ZeroAll zeroes the counters of every service and destination.
func (c *Client) ZeroAll() error { return c.Do(ZeroAllRequest()) }

// Zero zeroes the counters of the service key and its destinations.
func (c *Client) Zero(key ServiceKey) error { return c.Do(ZeroRequest(key)) }

// Flush removes every virtual service.
func (c *Client) Flush() error { return c.Do(FlushRequest()) }
