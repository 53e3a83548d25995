package command

import (
	"fmt"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// Backend is what the commands need of the kernel: its table and settings
// to read, and changes to make, each given as the command that asks for
// it. Kernel is the kernel's; the package's tests use a fake that holds
// its table in memory.
type Backend interface {
	Info() (ipvs.Info, error)
	Services() ([]ipvs.ServiceEntry, error)
	Service(key ipvs.ServiceKey) (ipvs.ServiceEntry, error)
	Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, error)
	Timeouts() (ipvs.Timeouts, error)
	Daemons() ([]ipvs.Daemon, error)

	// Change carries out c, a command that changes the kernel's state
	// (see changeOperation).
	Change(c *rule.Command) error
	// Changes carries out cs in order, in as few exchanges with the
	// kernel as it can, and returns each one's error: a failed change
	// does not stop the ones after it.
	Changes(cs []rule.Command) []error
}

// Kernel is the Backend of the kernel's IPVS table, reached through an
// ipvs.Client: each change goes to it as the request that makes it. The
// Kernel made by NewKernel builds every batch's requests in the same
// memory; a Kernel with only a Client gives each batch its own.
type Kernel struct {
	*ipvs.Client
	batch *kernelBatch
}

// kernelBatch is the memory Kernel.Changes builds a batch's requests in,
// reused by the next batch once the Client has sent them.
type kernelBatch struct {
	enc  ipvs.Encoder
	reqs []ipvs.Request
}

// NewKernel returns the Kernel of c, which reuses its memory from one
// batch of changes to the next (a restore's).
func NewKernel(c *ipvs.Client) Kernel { return Kernel{Client: c, batch: new(kernelBatch)} }

var _ Backend = Kernel{}

// Change sends the request for c and waits for the kernel's answer.
func (k Kernel) Change(c *rule.Command) error {
	req, err := request(new(ipvs.Encoder), c)
	if err != nil {
		return err
	}
	return k.Client.Do(req)
}

// Changes sends the requests for cs in batches (see ipvs.Client.Batch).
func (k Kernel) Changes(cs []rule.Command) []error {
	kb := k.batch
	if kb == nil {
		kb = new(kernelBatch)
	}
	reqs, bad := kb.requests(cs)
	errs := k.Client.Batch(reqs) // a zero Request fails on its own
	kb.enc.Reset()               // Batch has copied the requests
	for i, err := range bad {
		errs[i] = err
	}
	return errs
}

// requests builds the requests for cs, in memory that the next call
// reuses (after kb.enc.Reset). Commands that are not changes get a zero
// Request and an error in bad.
func (kb *kernelBatch) requests(cs []rule.Command) (reqs []ipvs.Request, bad map[int]error) {
	reqs = kb.reqs[:0]
	for i := range cs {
		req, err := request(&kb.enc, &cs[i])
		if err != nil {
			if bad == nil {
				bad = map[int]error{}
			}
			bad[i] = err
		}
		reqs = append(reqs, req)
	}
	kb.reqs = reqs
	return reqs, bad
}

// request is the kernel request that carries out c, built by enc.
func request(enc *ipvs.Encoder, c *rule.Command) (ipvs.Request, error) {
	key := c.Service.ServiceKey
	switch c.Kind {
	case rule.AddService:
		return enc.NewService(c.Service), nil
	case rule.EditService:
		return enc.UpdateService(c.Service), nil
	case rule.DeleteService:
		return enc.DeleteService(key), nil
	case rule.Flush:
		return enc.Flush(), nil
	case rule.AddServer:
		return enc.NewDestination(key, c.Server), nil
	case rule.EditServer:
		return enc.UpdateDestination(key, c.Server), nil
	case rule.DeleteServer:
		return enc.DeleteDestination(key, c.Server), nil
	case rule.Zero:
		if zeroesAll(c) {
			return enc.ZeroAll(), nil
		}
		return enc.Zero(key), nil
	case rule.SetTimeouts:
		return enc.SetTimeouts(c.Timeouts), nil
	case rule.StartDaemon:
		return enc.StartDaemon(c.Daemon), nil
	case rule.StopDaemon:
		return enc.StopDaemon(c.Daemon), nil
	}
	return ipvs.Request{}, fmt.Errorf("command %v is not a change", c.Kind)
}
