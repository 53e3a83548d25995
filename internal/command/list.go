package command

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/proctable"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
	"golang.org/x/sys/unix"
)

// renderOptions maps the parsed list options to render's.
func renderOptions(l rule.ListOptions) render.Options {
	return render.Options{
		Numeric: l.Numeric, Stats: l.Stats, Rate: l.Rate, Thresholds: l.Thresholds,
		PersistentConn: l.PersistentConn, TunInfo: l.TunInfo, Exact: l.Exact, NoSort: l.NoSort,
	}
}

// namer returns the name service for output, or nil for -n.
func (r *Runner) namer(numeric bool) render.Namer {
	if numeric || r.Names == nil {
		return nil
	}
	return r.Names
}

func (r *Runner) list(c *rule.Command) Outcome {
	if r.JSON {
		return r.listJSON(c)
	}
	opts := renderOptions(c.List)
	switch {
	case c.List.Connection:
		return r.listConnections(opts)
	case c.List.Timeout:
		t, err := r.Backend.Timeouts()
		if err != nil {
			return listFailed // the original prints nothing here
		}
		render.Timeouts(r.Stdout, t)
		return ok
	case c.List.Daemon:
		d, err := r.Backend.Daemons()
		if err != nil {
			return listFailed // the original prints nothing here
		}
		render.Daemons(r.Stdout, d)
		return ok
	case c.HasService:
		return r.listService(c.Service.ServiceKey, opts)
	}
	return r.listAll(opts)
}

// listAll is -L: the version line, then (once the services are read) the
// title and every service with its servers.
func (r *Runner) listAll(opts render.Options) Outcome {
	render.Header(r.Stdout, r.Info)
	services, fetched := r.services(!opts.NoSort)
	if !fetched {
		return listFailed
	}
	render.Title(r.Stdout, opts)
	n := r.namer(opts.Numeric)
	table := r.readTable(opts, services)
	var (
		dests  []ipvs.DestinationEntry // reused for every service read from /proc
		sorter render.DestinationSorter
	)
	for i := range services {
		if d, ok := table.AppendDestinations(dests[:0], services[i].ServiceKey); ok {
			if !opts.NoSort {
				sorter.Sort(d)
			}
			services[i].Destinations, dests = d, d
		} else if err := r.fillDestinations(&services[i], opts.NoSort); err != nil {
			fmt.Fprintln(r.Stderr, kernelMessage(opGetServers, err))
			return listFailed
		}
		render.ServiceLines(r.Stdout, services[i], opts, n)
		services[i].Destinations = nil // done with it
	}
	return ok
}

// services reads every service, sorted as the original sorts them if
// sorted; on failure it prints the message and reports false.
func (r *Runner) services(sorted bool) ([]render.Service, bool) {
	entries, err := retryInterrupted(r.Backend.Services)
	if err != nil {
		fmt.Fprintln(r.Stderr, kernelMessage(opOther, err))
		return nil, false
	}
	services := make([]render.Service, len(entries))
	for i := range entries {
		services[i].ServiceEntry = entries[i]
	}
	if sorted {
		render.SortServices(services)
	}
	return services, true
}

// dumpAttempts is how many times a listing reads a dump that the kernel
// marks interrupted (ipvs.ErrDumpInterrupted: the table changed meanwhile)
// before it gives up.
const dumpAttempts = 3

// retryInterrupted calls read again while its dump is interrupted, at most
// dumpAttempts times in all. Giving up, it returns an error that also
// matches EAGAIN, whose text ("Resource temporarily unavailable") is what
// the listing then prints.
func retryInterrupted[T any](read func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		v, err := read()
		if !errors.Is(err, ipvs.ErrDumpInterrupted) {
			return v, err
		}
		if attempt == dumpAttempts {
			return v, fmt.Errorf("%w (%d reads in a row): %w", err, attempt, unix.EAGAIN)
		}
	}
}

// readTable reads every service's destinations from /proc in one go when
// the listing shows nothing of them that /proc lacks. It returns an empty
// table (every service then falls back to its own dump) when that cannot
// be done; a service missing from the table, because it was added after
// the read, falls back the same way.
//
// /proc does not say a firewall-mark service's family, so a mark that an
// IPv4 and an IPv6 service of services share is left to the dumps. The
// table notices a mark it lists twice, but a read racing with changes can
// miss one of the two: the kernel resumes its walk by position in a table
// that all namespaces share, so even a namespace being torn down elsewhere
// can make it skip a service.
func (r *Runner) readTable(opts render.Options, services []render.Service) *proctable.Table {
	if r.OpenTable == nil || opts.Stats || opts.Rate || opts.Thresholds || opts.PersistentConn || opts.TunInfo {
		return &proctable.Table{}
	}
	f, err := r.OpenTable()
	if err != nil {
		return &proctable.Table{}
	}
	defer f.Close()
	t, err := proctable.Read(f)
	if err != nil {
		return &proctable.Table{}
	}
	families := make(map[uint32]ipvs.Family)
	for i := range services {
		if mark := services[i].FWMark; mark != 0 {
			if f, seen := families[mark]; seen && f != services[i].Family {
				t.SetAmbiguous(mark)
			}
			families[mark] = services[i].Family
		}
	}
	return t
}

// fillDestinations reads a service's servers, sorted unless noSort.
func (r *Runner) fillDestinations(s *render.Service, noSort bool) error {
	dests, err := retryInterrupted(func() ([]ipvs.DestinationEntry, error) { return r.Backend.Destinations(s.ServiceKey) })
	if err != nil {
		return err
	}
	if !noSort {
		render.SortDestinations(dests)
	}
	s.Destinations = dests
	return nil
}

// listService is -L with a service: no version line.
func (r *Runner) listService(key ipvs.ServiceKey, opts render.Options) Outcome {
	entry, err := r.Backend.Service(key)
	if err != nil {
		fmt.Fprintln(r.Stderr, kernelMessage(opGetService, err))
		return listFailed
	}
	render.Title(r.Stdout, opts)
	s := render.Service{ServiceEntry: entry}
	if err := r.fillDestinations(&s, opts.NoSort); err != nil {
		fmt.Fprintln(r.Stderr, kernelMessage(opGetServers, err))
		return listFailed
	}
	render.ServiceLines(r.Stdout, s, opts, r.namer(opts.Numeric))
	return ok
}

// openConnections opens /proc/net/ip_vs_conn for -Lc; on failure it
// prints the original's message and reports false.
func (r *Runner) openConnections() (io.ReadCloser, bool) {
	open := r.OpenConnections
	if open == nil {
		open = func() (io.ReadCloser, error) { return os.Open(connections.ProcFile) }
	}
	f, err := open()
	if err != nil {
		fmt.Fprintln(r.Stderr, connections.CannotOpenMessage)
		return nil, false
	}
	return f, true
}

// listConnections is -Lc: the connection table streamed from /proc.
func (r *Runner) listConnections(opts render.Options) Outcome {
	f, opened := r.openConnections()
	if !opened {
		return listFailed
	}
	defer f.Close()
	switch err := connections.Write(r.Stdout, f, opts, r.namer(opts.Numeric)); {
	case err == nil:
		return ok
	case errors.Is(err, connections.ErrNoHeader):
		fmt.Fprintln(r.Stderr, err)
	case errors.Is(err, connections.ErrBlankLine):
		// the original stops without a word
	default:
		fmt.Fprintln(r.Stderr, err)
	}
	return listFailed
}
