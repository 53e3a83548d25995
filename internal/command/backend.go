// Package command carries out parsed ipvsadm commands against the kernel:
// the effects, the output, the original's error messages and exit
// statuses, and the restore loop.
package command

import "github.com/ipvsadm-go/ipvsadm/internal/ipvs"

// Backend is what the commands need of the kernel. *ipvs.Client implements
// it; tests use fakes.
type Backend interface {
	Info() (ipvs.Info, error)
	Services() ([]ipvs.ServiceEntry, error)
	Service(key ipvs.ServiceKey) (ipvs.ServiceEntry, error)
	Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, error)
	Timeouts() (ipvs.Timeouts, error)
	Daemons() ([]ipvs.Daemon, error)

	// Do carries out one change.
	Do(r ipvs.Request) error
	// Batch carries out many changes in order, in as few exchanges with
	// the kernel as it can, and returns each one's error.
	Batch(rs []ipvs.Request) []error
}

var _ Backend = (*ipvs.Client)(nil)
