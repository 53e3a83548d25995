package ipvs

import (
	"errors"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// Request is one pre-encoded mutation of the kernel's IPVS tables, built by
// the *Request functions and run by Client.Do or, many at a time, by
// Client.Batch. The zero Request is not valid.
type Request struct {
	op    string
	cmd   uint8
	attrs []byte
	err   error // from encoding
}

// Op names the request's operation, as in Error.Op.
func (r Request) Op() string { return r.op }

// newRequest encodes the attributes fn adds (none if fn is nil).
func newRequest(op string, cmd uint8, fn func(ae *netlink.AttributeEncoder)) Request {
	attrs, err := encode(fn)
	return Request{op: op, cmd: cmd, attrs: attrs, err: err}
}

// NewServiceRequest adds the virtual service s (NEW_SERVICE).
func NewServiceRequest(s Service) Request {
	return newRequest("new service", cmdNewService, withService(s, nil))
}

// UpdateServiceRequest changes the virtual service s.ServiceKey to s's
// settings (SET_SERVICE). An empty s.PE removes the persistence engine.
func UpdateServiceRequest(s Service) Request {
	return newRequest("update service", cmdSetService, withService(s, nil))
}

// DeleteServiceRequest removes the virtual service key (DEL_SERVICE).
func DeleteServiceRequest(key ServiceKey) Request {
	return newRequest("delete service", cmdDelService, withService(keyService(key, defaultNetmask(key.Family)), nil))
}

// destRequest is a destination command: the service nest for key, then the
// destination nest for d.
func destRequest(op string, cmd uint8, key ServiceKey, d Destination) Request {
	return newRequest(op, cmd, withService(keyService(key, defaultNetmask(key.Family)), func(ae *netlink.AttributeEncoder) {
		ae.Nested(cmdAttrDest, func(nae *netlink.AttributeEncoder) error {
			encodeDestination(nae, key.Family, d)
			return nil
		})
	}))
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
	return newRequest("set timeouts", cmdSetConfig, func(ae *netlink.AttributeEncoder) {
		encodeTimeouts(ae, t)
	})
}

// StartDaemonRequest starts a connection-synchronisation daemon
// (NEW_DAEMON).
func StartDaemonRequest(d Daemon) Request {
	return newRequest("start daemon", cmdNewDaemon, func(ae *netlink.AttributeEncoder) {
		ae.Nested(cmdAttrDaemon, func(nae *netlink.AttributeEncoder) error {
			encodeStartDaemon(nae, d)
			return nil
		})
	})
}

// StopDaemonRequest stops a connection-synchronisation daemon
// (DEL_DAEMON); only d.State, d.Interface and d.SyncID are sent.
func StopDaemonRequest(d Daemon) Request {
	return newRequest("stop daemon", cmdDelDaemon, func(ae *netlink.AttributeEncoder) {
		ae.Nested(cmdAttrDaemon, func(nae *netlink.AttributeEncoder) error {
			encodeStopDaemon(nae, d)
			return nil
		})
	})
}

// ZeroAllRequest zeroes every counter (ZERO without attributes).
func ZeroAllRequest() Request { return newRequest("zero", cmdZero, nil) }

// ZeroRequest zeroes the counters of the service key and its destinations
// (ZERO with a service nest).
func ZeroRequest(key ServiceKey) Request {
	return newRequest("zero", cmdZero, withService(keyService(key, defaultNetmask(key.Family)), nil))
}

// FlushRequest removes every virtual service (FLUSH).
func FlushRequest() Request { return newRequest("flush", cmdFlush, nil) }

// Do runs one request and waits for the kernel's ack.
func (c *Client) Do(r Request) error {
	if err := r.valid(); err != nil {
		return err
	}
	_, err := c.execute(r.op, r.cmd, 0, r.attrs)
	return err
}

// valid reports an encoding error or a zero Request.
func (r Request) valid() error {
	switch {
	case r.err != nil:
		return &Error{Op: r.op, Err: r.err}
	case r.cmd == 0:
		return &Error{Op: "request", Err: errors.New("zero Request")}
	}
	return nil
}

// batchWindow is how many requests Batch sends per sendmsg. The kernel
// answers each failing request with its own error message (holding a copy
// of the request) before the window's final ack; the window keeps those
// well inside a default socket receive buffer.
const batchWindow = 64

// Batch runs reqs in order, many per system call, and returns one error per
// request: nil for success, or an *Error as Do would return it. The kernel
// carries on after a failing request, so every request is tried; only a
// transport failure (which all later requests then report) stops the batch.
func (c *Client) Batch(reqs []Request) []error {
	errs := make([]error, len(reqs))
	if c.nl == nil { // a Client over a bare genetlink.Conn: no SendMessages
		for i, r := range reqs {
			errs[i] = c.Do(r)
		}
		return errs
	}
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
func (c *Client) window(reqs []Request, errs []error) error {
	msgs := make([]netlink.Message, 0, len(reqs))
	index := make([]int, 0, len(reqs)) // msgs[i] is reqs[index[i]]
	for i, r := range reqs {
		if errs[i] = r.valid(); errs[i] != nil {
			continue
		}
		b, err := (&genetlink.Message{
			Header: genetlink.Header{Command: r.cmd, Version: genlVersion},
			Data:   r.attrs,
		}).MarshalBinary()
		if err != nil {
			errs[i] = &Error{Op: r.op, Err: err}
			continue
		}
		msgs = append(msgs, netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(c.family), Flags: netlink.Request},
			Data:   b,
		})
		index = append(index, i)
	}
	if len(msgs) == 0 {
		return nil
	}
	msgs[len(msgs)-1].Header.Flags |= netlink.Acknowledge

	fail := func(err error) error {
		for _, i := range index {
			if errs[i] == nil {
				errs[i] = opError(reqs[i].op, err)
			}
		}
		return err
	}

	sent, err := c.nl.SendMessages(msgs)
	if err != nil {
		return fail(err)
	}
	bySeq := make(map[uint32]int, len(sent))
	for k, m := range sent {
		bySeq[m.Header.Sequence] = index[k]
	}
	last := sent[len(sent)-1].Header.Sequence

	for {
		replies, err := c.nl.Receive()
		if err != nil {
			var oe *netlink.OpError
			if !errors.As(err, &oe) || oe.Sequence == 0 {
				return fail(err)
			}
			if i, ok := bySeq[oe.Sequence]; ok {
				errs[i] = opError(reqs[i].op, err)
			}
			if oe.Sequence == last {
				return nil
			}
			continue
		}
		for _, m := range replies {
			if m.Header.Type == netlink.Error && m.Header.Sequence == last {
				return nil // the final ack: the kernel has run the window
			}
		}
	}
}
