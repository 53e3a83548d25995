package command

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/proctable"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
	"github.com/ipvsadm-go/ipvsadm/internal/sockopt"
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
	}
	return r.listServices(c, opts)
}

// listServices is -L of every service (the version line, then, once the
// services are read, the title and every service with its servers) or of
// the one service c names (no version line).
func (r *Runner) listServices(c *rule.Command, opts render.Options) Outcome {
	if !c.HasService {
		render.Header(r.Stdout, r.Info)
	}
	l, err := r.readListing(listedService(c), !opts.NoSort)
	if err != nil {
		fmt.Fprintln(r.Stderr, err)
		return listFailed
	}
	defer l.close()
	render.Title(r.Stdout, opts)
	// The tables have what a plain listing shows of a destination.
	if !c.HasService && !(opts.Stats || opts.Rate || opts.Thresholds || opts.PersistentConn || opts.TunInfo) {
		l.useTables(false)
	}
	n := r.namer(opts.Numeric)
	for s, err := range l.all() {
		if err != nil {
			fmt.Fprintln(r.Stderr, err)
			return listFailed
		}
		render.ServiceLines(r.Stdout, s, opts, n)
	}
	return ok
}

// serviceListing is the assembly under every listing of virtual services
// (-L and -l of all services or of one, -S, --json): it reads the
// services, then hands them out one at a time with their destinations,
// taken from the tables (useTables) where the listing allows it, else from
// one dump per service; both sorted as the original sorts them unless the
// listing keeps the kernel's order (--nosort).
type serviceListing struct {
	r        *Runner
	services []ipvs.ServiceEntry
	sorted   bool
	// legacy answers for IPv4 services through the socket-option
	// interface; nil unless useTables opened it.
	legacy *sockopt.Table
	// table holds every service's destinations as /proc/net/ip_vs listed
	// them; it is empty unless useTables read it.
	table *proctable.Table
	// tunnels is set when the listing shows tunnel settings, which neither
	// table has: a service with a tunnelling destination is then dumped.
	tunnels bool
	dests   []ipvs.DestinationEntry // reused for every service read from a table
	sorter  render.DestinationSorter
}

// listingError is a failed read of a listing; its text is the line
// ipvsadm prints.
type listingError struct {
	op  operation
	err error
}

func (e *listingError) Error() string { return kernelMessage(e.op, e.err) }
func (e *listingError) Unwrap() error { return e.err }

// listedService is the service a listing command names, or nil for all.
func listedService(c *rule.Command) *ipvs.ServiceKey {
	if c.HasService {
		return &c.Service.ServiceKey
	}
	return nil
}

// readListing reads the services a listing shows: the one key names, or,
// if key is nil, every service, sorted if sorted.
func (r *Runner) readListing(key *ipvs.ServiceKey, sorted bool) (*serviceListing, error) {
	l := &serviceListing{r: r, sorted: sorted, table: &proctable.Table{}}
	if key != nil {
		entry, err := r.Backend.Service(*key)
		if err != nil {
			return nil, &listingError{opGetService, err}
		}
		l.services = []ipvs.ServiceEntry{entry}
		return l, nil
	}
	entries, err := retryInterrupted(r.Backend.Services)
	if err != nil {
		return nil, &listingError{opOther, err}
	}
	l.services = entries
	if sorted {
		render.SortServices(l.services)
	}
	return l, nil
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

// useTables lets a listing of every service, which shows nothing of a
// destination that the tables lack (except tunnel settings, if tunnels),
// take the destinations from them instead of from one dump per service:
// IPv4 services' from the socket-option interface (package sockopt: one
// hash lookup in the kernel per service), and, if any service is of
// another family, every other service's from /proc/net/ip_vs in one read
// (useProcTable). A service neither table can answer for, because it was
// added meanwhile or has what they cannot show, falls back to its own dump.
func (l *serviceListing) useTables(tunnels bool) {
	if len(l.services) == 0 {
		return
	}
	l.tunnels = tunnels
	if l.r.OpenSockopt != nil {
		if t, err := l.r.OpenSockopt(); err == nil {
			t.ReadAll() // in the kernel's order, whatever the listing's
			l.legacy = t
		}
	}
	if l.legacy == nil || !onlyIPv4(l.services) {
		l.useProcTable()
	}
}

// onlyIPv4 reports whether every one of services is an IPv4 service.
func onlyIPv4(services []ipvs.ServiceEntry) bool {
	for i := range services {
		if services[i].Family != ipvs.INET {
			return false
		}
	}
	return true
}

// close releases what useTables opened.
func (l *serviceListing) close() { l.legacy.Close() }

// useProcTable reads every service's destinations from /proc/net/ip_vs in
// one read. When that cannot be done the table stays empty.
//
// /proc does not say a firewall-mark service's family, so a mark that an
// IPv4 and an IPv6 service share is left to the dumps. The table notices a
// mark it lists twice, but a read racing with changes can miss one of the
// two: the kernel resumes its walk by position in a table that all
// namespaces share, so even a namespace being torn down elsewhere can make
// it skip a service (TestProcTableSharedMarkUsesDumps).
func (l *serviceListing) useProcTable() {
	if l.r.OpenTable == nil {
		return
	}
	f, err := l.r.OpenTable()
	if err != nil {
		return
	}
	defer f.Close()
	t, err := proctable.Read(f)
	if err != nil {
		return
	}
	families := make(map[uint32]ipvs.Family)
	for i := range l.services {
		if mark := l.services[i].FWMark; mark != 0 {
			if f, seen := families[mark]; seen && f != l.services[i].Family {
				t.SetAmbiguous(mark)
			}
			families[mark] = l.services[i].Family
		}
	}
	l.table = t
}

// all yields each service in turn with its destinations, both valid
// until the next one. It stops at the first service whose destinations
// cannot be read, yielding the error.
func (l *serviceListing) all() iter.Seq2[*render.Service, error] {
	return func(yield func(*render.Service, error) bool) {
		s := new(render.Service) // the one being handed out
		for i := range l.services {
			*s = render.Service{ServiceEntry: l.services[i]}
			if err := l.fill(s); err != nil {
				yield(nil, &listingError{opGetServers, err})
				return
			}
			if !yield(s, nil) {
				return
			}
		}
	}
}

// fill sets the destinations of s, from a table that has them all, else
// from a dump.
func (l *serviceListing) fill(s *render.Service) error {
	d, ok := l.legacy.AppendDestinations(l.dests[:0], s.ServiceKey)
	if !ok {
		d, ok = l.table.AppendDestinations(l.dests[:0], s.ServiceKey)
	}
	if ok && !(l.tunnels && hasTunnel(d)) {
		s.Destinations, l.dests = d, d
	} else {
		d, err := retryInterrupted(func() ([]ipvs.DestinationEntry, error) { return l.r.Backend.Destinations(s.ServiceKey) })
		if err != nil {
			return err
		}
		s.Destinations = d
	}
	if l.sorted {
		l.sorter.Sort(s.Destinations)
	}
	return nil
}

// hasTunnel reports whether any of dests forwards by tunnelling.
func hasTunnel(dests []ipvs.DestinationEntry) bool {
	for _, d := range dests {
		if d.Method == ipvs.Tunnel {
			return true
		}
	}
	return false
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
