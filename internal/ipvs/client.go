package ipvs

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"

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
	// minimum and net.core.rmem_max. 0 asks for room for the replies of
	// several batch windows. Tests set it small to make the kernel drop
	// replies (ENOBUFS; see Batch).
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
// (such as one wrapping errInvalidReply) otherwise.
type Error struct {
	// Op names the operation, such as "new service" or "get destinations".
	Op  string
	Err error
}

// Error returns "ipvs: <op>: <err>".
func (e *Error) Error() string { return "ipvs: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Client talks to the kernel's IPVS over one generic-netlink socket. Its
// methods must not be called concurrently.
type Client struct {
	t      transport
	family uint16 // the IPVS family's dynamic id
	seq    uint32 // the sequence number of the latest request
	req    []byte // the request being sent, reused
	buf    []byte // the receive buffer, reused
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

// Generic-netlink controller constants (include/uapi/linux/genetlink.h),
// for looking the IPVS family up.
const (
	ctrlFamilyID       = 0x10 // GENL_ID_CTRL
	ctrlVersion        = 1
	ctrlCmdGetFamily   = 3 // CTRL_CMD_GETFAMILY
	ctrlAttrFamilyID   = 1 // CTRL_ATTR_FAMILY_ID, u16
	ctrlAttrFamilyName = 2 // CTRL_ATTR_FAMILY_NAME, string
)

// newClient builds a Client over t, resolving the IPVS family; it closes t
// on failure.
func newClient(t transport) (*Client, error) {
	c := &Client{t: t, seq: rand.Uint32(), buf: make([]byte, receiveBufferSize)}
	attrs := appendStr(nil, ctrlAttrFamilyName, genlName)
	id, err := get(c, "dial", ctrlFamilyID, ctrlCmdGetFamily, ctrlVersion, attrs, decodeFamilyID)
	if err != nil {
		_ = t.close()
		if errors.Is(err, unix.ENOENT) {
			return nil, &Error{Op: "dial", Err: fmt.Errorf("%w: %w", ErrNotSupported, unix.ENOENT)}
		}
		return nil, err
	}
	c.family = id
	return c, nil
}

// decodeFamilyID returns the family id of the controller's answer to
// CTRL_CMD_GETFAMILY.
func decodeFamilyID(b []byte) (uint16, error) {
	r := attrReader{b: b}
	for r.next() {
		if r.typ == ctrlAttrFamilyID {
			id := r.u16()
			return id, r.err
		}
	}
	if r.err != nil {
		return 0, r.err
	}
	return 0, invalid("no family id attribute")
}

// Close closes the socket.
func (c *Client) Close() error { return c.t.close() }

// nextSeq returns the sequence number of the next request.
func (c *Client) nextSeq() uint32 {
	c.seq++
	return c.seq
}

// request sends one request, of message type typ (the IPVS family or the
// controller) and command cmd, with attrs, asking for an ack as ipvsadm's
// requests do; a dump request (dump set) ends with NLMSG_DONE instead. It
// hands the attributes of each reply message to fn, in order, and reads
// the replies to their end even after fn fails. Errors are wrapped as
// *Error for op: the kernel's errno; an error matching unix.ENOBUFS that
// says replies were lost (see Client.receive); fn's first error;
// ErrDumpInterrupted when the kernel marked a message of the dump
// NLM_F_DUMP_INTR.
func (c *Client) request(op string, typ uint16, cmd, version uint8, dump bool, attrs []byte, fn func([]byte) error) error {
	flags := netlink.Request | netlink.Acknowledge
	if dump {
		flags |= netlink.Dump
	}
	seq := c.nextSeq()
	c.req = appendRequest(c.req[:0], typ, flags, seq, cmd, version, attrs)
	if err := c.t.send(c.req); err != nil {
		return &Error{Op: op, Err: err}
	}
	var (
		errno       unix.Errno
		interrupted bool
		fnErr       error
	)
	answered, lost, err := c.receive(seq, seq, dump, func(m message) {
		if m.flags&netlink.DumpInterrupted != 0 {
			interrupted = true
		}
		switch {
		case m.typ == netlink.Error || m.typ == netlink.Done:
			errno = m.errno()
		case fnErr != nil:
		case len(m.data) < genlHdrLen:
			fnErr = invalid("generic netlink message of %d bytes", len(m.data))
		default:
			fnErr = fn(m.data[genlHdrLen:])
		}
	})
	switch {
	case err != nil:
		return &Error{Op: op, Err: err}
	case lost && dump:
		return &Error{Op: op, Err: lostDump}
	case !answered:
		return &Error{Op: op, Err: lostOutcome}
	case errno != 0:
		return &Error{Op: op, Err: errno}
	case fnErr != nil:
		return &Error{Op: op, Err: fnErr}
	case interrupted:
		return &Error{Op: op, Err: ErrDumpInterrupted}
	}
	return nil
}

// get runs a request that expects exactly one reply message and decodes
// it.
func get[T any](c *Client, op string, typ uint16, cmd, version uint8, attrs []byte, decode func([]byte) (T, error)) (T, error) {
	var v T
	n := 0
	err := c.request(op, typ, cmd, version, false, attrs, func(b []byte) error {
		if n++; n > 1 {
			return nil
		}
		var err error
		v, err = decode(b)
		return err
	})
	if err == nil && n != 1 {
		err = &Error{Op: op, Err: invalid("%d reply messages, want 1", n)}
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}

// dump runs a dump request and decodes each reply with fn.
func dump[T any](c *Client, op string, cmd uint8, attrs []byte, fn func([]byte) (T, error)) ([]T, error) {
	out := make([]T, 0, 16)
	err := c.request(op, c.family, cmd, genlVersion, true, attrs, func(b []byte) error {
		v, err := fn(b)
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Info returns the kernel's IPVS version and connection table size.
func (c *Client) Info() (Info, error) {
	return get(c, "get info", c.family, cmdGetInfo, genlVersion, nil, decodeInfo)
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
	// ipvsadm -L <service> sends the full nest with netmask 0.
	attrs := appendService(nil, keyService(key, 0))
	return get(c, "get service", c.family, cmdGetService, genlVersion, attrs, decodeServiceMessage)
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
	attrs := appendServiceKey(nil, key)
	all, err := dump(c, op, cmdGetDest, attrs, func(b []byte) (DestinationEntry, error) {
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
	return get(c, "get timeouts", c.family, cmdGetConfig, genlVersion, nil, decodeTimeouts)
}

// Daemons returns the running connection-synchronisation daemons (at most
// one master and one backup).
func (c *Client) Daemons() ([]Daemon, error) {
	return dump(c, "get daemons", cmdGetDaemon, nil, decodeDaemonMessage)
}
