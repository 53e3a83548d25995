package ipvs

import (
	"errors"

	"github.com/mdlayher/netlink"
)

// Request is one pre-encoded mutation of the kernel's IPVS tables, built by
// an Encoder or the *Request functions and run by Client.Do or, many at a
// time, by Client.Batch. The zero Request is not valid.
type Request struct {
	op    string
	cmd   uint8
	attrs []byte
}

// Encoder builds requests whose attributes share blocks of memory, each
// block twice the size of the one before up to 64 KiB: building many
// requests (a restore's batches) costs an allocation per block instead of
// one per request. The Encoder never writes over a Request it returned.
// The zero Encoder is ready to use.
type Encoder struct {
	block []byte
	built int // bytes of attributes built since the last Reset
}

const (
	// firstBlock is the size of an Encoder's first block: room for a
	// destination request, the largest common one. A request starts a new
	// block when less than this is left.
	firstBlock = 192
	maxBlock   = 64 << 10
)

// buffer returns the free part of the current block, for the next
// request's attributes to be appended to.
func (e *Encoder) buffer() []byte {
	if cap(e.block)-len(e.block) < firstBlock {
		size := firstBlock
		if cap(e.block) > 0 {
			size = min(2*cap(e.block), maxBlock)
		}
		e.block = make([]byte, 0, size)
	}
	return e.block[len(e.block):len(e.block)]
}

// request is a request of cmd with attrs, appended to what buffer
// returned (nil: no attributes). Attributes that outgrew the block's free
// part (long names) have an array of their own and leave the block as it
// is.
func (e *Encoder) request(op string, cmd uint8, attrs []byte) Request {
	if len(attrs) <= cap(e.block)-len(e.block) {
		e.block = e.block[:len(e.block)+len(attrs)]
	}
	e.built += len(attrs)
	return Request{op: op, cmd: cmd, attrs: attrs[:len(attrs):len(attrs)]}
}

// Reset lets the Encoder build its next requests in the memory of the
// ones it has built, which must not be used after it (Client.Do and
// Client.Batch copy what they send, so a request may be reset once they
// have returned). The Encoder keeps one block with room for as much as
// was built since the last Reset, so that building as much again
// allocates nothing: a restore's batches, one after the other.
func (e *Encoder) Reset() {
	if need := e.built + firstBlock; cap(e.block) < need {
		e.block = make([]byte, 0, need+need/8)
	}
	e.block, e.built = e.block[:0], 0
}

// service is a request with one SERVICE nest holding s.
func (e *Encoder) service(op string, cmd uint8, s Service) Request {
	return e.request(op, cmd, appendService(e.buffer(), s))
}

// NewService adds the virtual service s (NEW_SERVICE).
func (e *Encoder) NewService(s Service) Request {
	return e.service("new service", cmdNewService, s)
}

// UpdateService changes the virtual service s.ServiceKey to s's settings
// (SET_SERVICE). An empty s.PE removes the persistence engine.
func (e *Encoder) UpdateService(s Service) Request {
	return e.service("update service", cmdSetService, s)
}

// DeleteService removes the virtual service key (DEL_SERVICE).
func (e *Encoder) DeleteService(key ServiceKey) Request {
	return e.service("delete service", cmdDelService, keyService(key, defaultNetmask(key.Family)))
}

// destination is a destination command: the service nest for key, then
// the destination nest for d.
func (e *Encoder) destination(op string, cmd uint8, key ServiceKey, d Destination) Request {
	attrs := appendService(e.buffer(), keyService(key, defaultNetmask(key.Family)))
	return e.request(op, cmd, appendDestination(attrs, key.Family, d))
}

// NewDestination adds d to the virtual service key (NEW_DEST).
func (e *Encoder) NewDestination(key ServiceKey, d Destination) Request {
	return e.destination("new destination", cmdNewDest, key, d)
}

// UpdateDestination changes the destination d.Addr:d.Port of the virtual
// service key to d's settings (SET_DEST).
func (e *Encoder) UpdateDestination(key ServiceKey, d Destination) Request {
	return e.destination("update destination", cmdSetDest, key, d)
}

// DeleteDestination removes the destination d.Addr:d.Port from the
// virtual service key (DEL_DEST).
func (e *Encoder) DeleteDestination(key ServiceKey, d Destination) Request {
	return e.destination("delete destination", cmdDelDest, key, d)
}

// SetTimeouts sets the connection timeouts (SET_CONFIG); zero leaves a
// timeout unchanged.
func (e *Encoder) SetTimeouts(t Timeouts) Request {
	return e.request("set timeouts", cmdSetConfig, appendTimeouts(e.buffer(), t))
}

// StartDaemon starts a connection-synchronisation daemon (NEW_DAEMON).
func (e *Encoder) StartDaemon(d Daemon) Request {
	return e.request("start daemon", cmdNewDaemon, appendStartDaemon(e.buffer(), d))
}

// StopDaemon stops a connection-synchronisation daemon (DEL_DAEMON); only
// d.State, d.Interface and d.SyncID are sent.
func (e *Encoder) StopDaemon(d Daemon) Request {
	return e.request("stop daemon", cmdDelDaemon, appendStopDaemon(e.buffer(), d))
}

// ZeroAll zeroes every counter (ZERO without attributes).
func (e *Encoder) ZeroAll() Request { return e.request("zero", cmdZero, nil) }

// Zero zeroes the counters of the service key and its destinations (ZERO
// with a service nest).
func (e *Encoder) Zero(key ServiceKey) Request {
	return e.service("zero", cmdZero, keyService(key, defaultNetmask(key.Family)))
}

// Flush removes every virtual service (FLUSH).
func (e *Encoder) Flush() Request { return e.request("flush", cmdFlush, nil) }

// The *Request functions build one request each, with an Encoder of its
// own: the request's attributes take one allocation.

// NewServiceRequest is Encoder.NewService.
func NewServiceRequest(s Service) Request { return new(Encoder).NewService(s) }

// UpdateServiceRequest is Encoder.UpdateService.
func UpdateServiceRequest(s Service) Request { return new(Encoder).UpdateService(s) }

// DeleteServiceRequest is Encoder.DeleteService.
func DeleteServiceRequest(key ServiceKey) Request { return new(Encoder).DeleteService(key) }

// NewDestinationRequest is Encoder.NewDestination.
func NewDestinationRequest(key ServiceKey, d Destination) Request {
	return new(Encoder).NewDestination(key, d)
}

// UpdateDestinationRequest is Encoder.UpdateDestination.
func UpdateDestinationRequest(key ServiceKey, d Destination) Request {
	return new(Encoder).UpdateDestination(key, d)
}

// DeleteDestinationRequest is Encoder.DeleteDestination.
func DeleteDestinationRequest(key ServiceKey, d Destination) Request {
	return new(Encoder).DeleteDestination(key, d)
}

// SetTimeoutsRequest is Encoder.SetTimeouts.
func SetTimeoutsRequest(t Timeouts) Request { return new(Encoder).SetTimeouts(t) }

// StartDaemonRequest is Encoder.StartDaemon.
func StartDaemonRequest(d Daemon) Request { return new(Encoder).StartDaemon(d) }

// StopDaemonRequest is Encoder.StopDaemon.
func StopDaemonRequest(d Daemon) Request { return new(Encoder).StopDaemon(d) }

// ZeroAllRequest is Encoder.ZeroAll.
func ZeroAllRequest() Request { return new(Encoder).ZeroAll() }

// ZeroRequest is Encoder.Zero.
func ZeroRequest(key ServiceKey) Request { return new(Encoder).Zero(key) }

// FlushRequest is Encoder.Flush.
func FlushRequest() Request { return new(Encoder).Flush() }

// Do runs one request and waits for the kernel's ack.
func (c *Client) Do(r Request) error {
	if err := r.valid(); err != nil {
		return err
	}
	return c.request(r.op, c.family, r.cmd, genlVersion, false, r.attrs, func([]byte) error { return nil })
}

// valid reports a zero Request.
func (r Request) valid() error {
	if r.cmd == 0 {
		return &Error{Op: "request", Err: errors.New("zero Request")}
	}
	return nil
}

// batchWindow is how many requests Batch sends per sendmsg. The kernel
// answers each failing request with its own error message (only its
// header, with CapAcknowledge) before the window's final ack; dial sizes
// the socket's receive buffer for a window of those (and a smaller buffer
// loses replies, which Batch reports rather than misattributes).
const batchWindow = 256

// Batch runs reqs in order, many per system call, and returns one error per
// request: nil for success, or an *Error as Do would return it. The kernel
// carries on after a failing request, so every request is tried; only a
// transport failure (which all later requests then report) stops the batch.
// Replies the kernel drops for a full receive buffer do not stop it: the
// requests whose verdict was lost report an error matching unix.ENOBUFS
// (see window).
func (c *Client) Batch(reqs []Request) []error {
	errs := make([]error, len(reqs))
	for start := 0; start < len(reqs); start += batchWindow {
		end := min(start+batchWindow, len(reqs))
		if err := c.window(reqs[start:end], errs[start:end]); err != nil {
			for i := end; i < len(reqs); i++ {
				errs[i] = &Error{Op: reqs[i].op, Err: err}
			}
			break
		}
	}
	return errs
}

// window sends reqs in one sendmsg, asking for an ack only on the last,
// and stores the kernel's verdict on each in errs. It returns a transport
// error, after storing it in errs for every request whose fate is unknown.
//
// If the kernel drops replies because the socket's receive buffer is full
// (the receive fails with ENOBUFS), it has still carried out every request
// of the window. The replies that did fit are read, and every request after
// the latest of them gets an error matching unix.ENOBUFS that says its
// reply may have been lost; the next window goes on as usual.
func (c *Client) window(reqs []Request, errs []error) error {
	index := make([]int, 0, len(reqs)) // the request numbered first+k is reqs[index[k]]
	for i, r := range reqs {
		if errs[i] = r.valid(); errs[i] == nil {
			index = append(index, i)
		}
	}
	if len(index) == 0 {
		return nil
	}
	first := c.seq + 1
	b := c.req[:0]
	for k, i := range index {
		flags := netlink.Request
		if k == len(index)-1 {
			flags |= netlink.Acknowledge
		}
		b = appendRequest(b, c.family, flags, c.nextSeq(), reqs[i].cmd, genlVersion, reqs[i].attrs)
	}
	c.req = b

	fail := func(err error) error {
		for _, i := range index {
			if errs[i] == nil {
				errs[i] = &Error{Op: reqs[i].op, Err: err}
			}
		}
		return err
	}
	if err := c.t.send(b); err != nil {
		return fail(err)
	}
	latest := -1 // the k of the latest reply of this window read
	answered, _, err := c.receive(first, c.seq, false, func(m message) {
		if m.typ != netlink.Error {
			return
		}
		k := int(m.seq - first)
		if errno := m.errno(); errno != 0 {
			errs[index[k]] = &Error{Op: reqs[index[k]].op, Err: errno}
		}
		latest = max(latest, k)
	})
	switch {
	case err != nil:
		return fail(err)
	case !answered:
		// The final ack was lost. The kernel queues a window's replies
		// while it handles the sendmsg, in order, and once it drops one
		// for a full buffer it drops every later one too (the socket
		// stays congested until it is read empty). So each request up to
		// the latest reply read has its verdict (no error reply:
		// success), and each later one may have lost its error.
		for _, i := range index[latest+1:] {
			if errs[i] == nil {
				errs[i] = &Error{Op: reqs[i].op, Err: lostOutcome}
			}
		}
	}
	return nil
}
