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
	NewService(s ipvs.Service) error
	UpdateService(s ipvs.Service) error
	DeleteService(key ipvs.ServiceKey) error
	Destinations(key ipvs.ServiceKey) ([]ipvs.DestinationEntry, error)
	NewDestination(key ipvs.ServiceKey, d ipvs.Destination) error
	UpdateDestination(key ipvs.ServiceKey, d ipvs.Destination) error
	DeleteDestination(key ipvs.ServiceKey, d ipvs.Destination) error
	Timeouts() (ipvs.Timeouts, error)
	SetTimeouts(t ipvs.Timeouts) error
	Daemons() ([]ipvs.Daemon, error)
	StartDaemon(d ipvs.Daemon) error
	StopDaemon(d ipvs.Daemon) error
	ZeroAll() error
	Zero(key ipvs.ServiceKey) error
	Flush() error
}

var _ Backend = (*ipvs.Client)(nil)
