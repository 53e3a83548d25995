package command

import (
	"fmt"
	"net/netip"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// table is an IPVS table in memory, changed by commands as the kernel
// changes its own: Check runs restore input against one, Converge reads
// the input into one, and the package's tests use one as the kernel.
//
// It has what the kernel's table has that these need: the services, each
// with its settings and counters, and its servers in the order they were
// added. It refuses what the kernel refuses for the table's own sake (a
// service or server added twice, one edited, deleted or zeroed that is not
// there) with the kernel's errno; it does not check what only the kernel
// knows, such as which schedulers exist.
type table struct {
	services []*tableService // in the order they were added
	index    map[ipvs.ServiceKey]*tableService
}

// tableService is a service of a table.
type tableService struct {
	ipvs.ServiceEntry
	dests []ipvs.DestinationEntry // oldest first
	has   map[destKey]bool        // the servers in dests
}

// destKey identifies a server within its service, as the kernel does.
type destKey struct {
	addr netip.Addr
	port uint16
}

func serverKey(d ipvs.Destination) destKey { return destKey{d.Addr, d.Port} }

func newTable() *table { return &table{index: map[ipvs.ServiceKey]*tableService{}} }

// readTable reads the backend's whole table.
func readTable(b Backend) (*table, error) {
	svcs, err := b.Services()
	if err != nil {
		return nil, err
	}
	t := newTable()
	for _, e := range svcs {
		dests, err := b.Destinations(e.ServiceKey)
		if err != nil {
			return nil, err
		}
		t.addListed(e, dests)
	}
	return t, nil
}

// addListed adds a service with its servers in the order the kernel lists
// them: newest first.
func (t *table) addListed(e ipvs.ServiceEntry, dests []ipvs.DestinationEntry) {
	s := t.add(e)
	for i := range dests {
		s.addServer(dests[len(dests)-1-i])
	}
}

func (t *table) add(e ipvs.ServiceEntry) *tableService {
	s := &tableService{ServiceEntry: e, has: map[destKey]bool{}}
	t.services = append(t.services, s)
	t.index[e.ServiceKey] = s
	return s
}

func (s *tableService) addServer(d ipvs.DestinationEntry) {
	s.dests = append(s.dests, d)
	s.has[serverKey(d.Destination)] = true
}

// servers returns the service's servers, oldest first.
func (s *tableService) servers() []ipvs.Destination {
	out := make([]ipvs.Destination, len(s.dests))
	for i, d := range s.dests {
		out[i] = d.Destination
	}
	return out
}

// isTableChange reports whether commands of kind k change the table (the
// others change the kernel's settings or nothing).
func isTableChange(k rule.Kind) bool {
	switch k {
	case rule.AddService, rule.EditService, rule.DeleteService, rule.Flush,
		rule.AddServer, rule.EditServer, rule.DeleteServer, rule.Zero:
		return true
	}
	return false
}

// change carries out c, a table change (see isTableChange), as the kernel
// would, or returns the errno the kernel refuses it with: EEXIST for a
// service or server that is there already, ESRCH for a service that is
// not there, ENOENT for a server that is not there. An edit replaces the
// settings and keeps the counters and, for a server, its place among the
// others; a new server comes after the others.
func (t *table) change(c *rule.Command) error {
	if !isTableChange(c.Kind) {
		return fmt.Errorf("command %v is not a change to the table", c.Kind)
	}
	key := c.Service.ServiceKey
	s, exists := t.index[key]
	switch c.Kind {
	case rule.AddService:
		if exists {
			return unix.EEXIST
		}
		t.add(ipvs.ServiceEntry{Service: c.Service})
		return nil
	case rule.Flush:
		t.services, t.index = nil, map[ipvs.ServiceKey]*tableService{}
		return nil
	case rule.Zero:
		if zeroesAll(c) {
			for _, s := range t.services {
				s.zero()
			}
			return nil
		}
	}
	if !exists {
		return unix.ESRCH
	}
	switch c.Kind {
	case rule.EditService:
		s.Service = c.Service
		return nil
	case rule.DeleteService:
		delete(t.index, key)
		t.services = slices.DeleteFunc(t.services, func(o *tableService) bool { return o == s })
		return nil
	case rule.Zero:
		s.zero()
		return nil
	}
	k := serverKey(c.Server)
	switch {
	case c.Kind == rule.AddServer && s.has[k]:
		return unix.EEXIST
	case c.Kind == rule.AddServer:
		s.addServer(ipvs.DestinationEntry{Destination: c.Server})
		return nil
	case !s.has[k]:
		return unix.ENOENT
	}
	i := slices.IndexFunc(s.dests, func(d ipvs.DestinationEntry) bool { return serverKey(d.Destination) == k })
	if c.Kind == rule.EditServer {
		s.dests[i].Destination = c.Server
	} else {
		s.dests = slices.Delete(s.dests, i, i+1)
		delete(s.has, k)
	}
	return nil
}

// zero clears the counters of the service and its servers.
func (s *tableService) zero() {
	s.Stats = ipvs.Stats{}
	for i := range s.dests {
		s.dests[i].Stats = ipvs.Stats{}
	}
}
