package ipvs

import (
	"errors"

	"github.com/mdlayher/netlink"
)

// Request is one pre-encoded mutation of the kernel's IPVS tables, built by
// the *Request functions and run by Client.Do or, many at a time, by
// Client.Batch. The zero Request is not valid.
type Request struct {
	op    string
	cmd   uint8
	attrs []byte
}

// newRequest is a request of cmd with the attributes w holds (none if w
// is nil).
func newRequest(op string, cmd uint8, w *attrWriter) Request {
	r := Request{op: op, cmd: cmd}
	if w != nil {
		r.attrs = w.b
	}
	return r
}

// serviceRequest is a request with one SERVICE nest holding s.
func serviceRequest(op string, cmd uint8, s Service) Request {
	w := newAttrWriter()
	w.service(s)
	return newRequest(op, cmd, w)
}

// NewServiceRequest adds the virtual service s (NEW_SERVICE).
func NewServiceRequest(s Service) Request {
	return serviceRequest("new service", cmdNewService, s)
}

// UpdateServiceRequest changes the virtual service s.ServiceKey to s's
// settings (SET_SERVICE). An empty s.PE removes the persistence engine.
func UpdateServiceRequest(s Service) Request {
	return serviceRequest("update service", cmdSetService, s)
}

// DeleteServiceRequest removes the virtual service key (DEL_SERVICE).
func DeleteServiceRequest(key ServiceKey) Request {
	return serviceRequest("delete service", cmdDelService, keyService(key, defaultNetmask(key.Family)))
}

// destRequest is a destination command: the service nest for key, then the
// destination nest for d.
func destRequest(op string, cmd uint8, key ServiceKey, d Destination) Request {
	w := newAttrWriter()
	w.service(keyService(key, defaultNetmask(key.Family)))
	w.destination(key.Family, d)
	return newRequest(op, cmd, w)
}

// NewDestinationRequest adds d to the virtual service key (NEW_DEST).
func NewDestinationRequest(key ServiceKey, d Destination) Request {
	return destRequest("new destination", cmdNewDest, key, d)
}

// UpdateDestinationRequest changes the destination d.Addr:d.Port of the
// virtual service key to d's settings (SET_DEST).
func UpdateDestinationRequest(key ServiceKey, d Destination) Request {
	return destRequest("update destination", cmdSetDest, key, d)
}

// DeleteDestinationRequest removes the destination d.Addr:d.Port from the
// virtual service key (DEL_DEST).
func DeleteDestinationRequest(key ServiceKey, d Destination) Request {
	return destRequest("delete destination", cmdDelDest, key, d)
}

// SetTimeoutsRequest sets the connection timeouts (SET_CONFIG); zero
// leaves a timeout unchanged.
func SetTimeoutsRequest(t Timeouts) Request {
	w := newAttrWriter()
	w.timeouts(t)
	return newRequest("set timeouts", cmdSetConfig, w)
}

// StartDaemonRequest starts a connection-synchronisation daemon
// (NEW_DAEMON).
func StartDaemonRequest(d Daemon) Request {
	w := newAttrWriter()
	w.startDaemon(d)
	return newRequest("start daemon", cmdNewDaemon, w)
}

// StopDaemonRequest stops a connection-synchronisation daemon
// (DEL_DAEMON); only d.State, d.Interface and d.SyncID are sent.
func StopDaemonRequest(d Daemon) Request {
	w := newAttrWriter()
	w.stopDaemon(d)
	return newRequest("stop daemon", cmdDelDaemon, w)
}

// ZeroAllRequest zeroes every counter (ZERO without attributes).
func ZeroAllRequest() Request { return newRequest("zero", cmdZero, nil) }

// ZeroRequest zeroes the counters of the service key and its destinations
// (ZERO with a service nest).
func ZeroRequest(key ServiceKey) Request {
	return serviceRequest("zero", cmdZero, keyService(key, defaultNetmask(key.Family)))
}

// FlushRequest removes every virtual service (FLUSH).
func FlushRequest() Request { return newRequest("flush", cmdFlush, nil) }

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
