package command

import (
	"fmt"
	"net/netip"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// save is -S: every service and its servers as the command lines that
// restore them, always sorted.
func (r *Runner) save(c *rule.Command) Outcome {
	services, fetched := r.services(true)
	if !fetched {
		return listFailed
	}
	addrPort := r.saveAddrPort(c.List.Numeric)
	table := r.readTable(render.Options{}, services)
	var (
		dests  []ipvs.DestinationEntry // reused for every service read from /proc
		sorter render.DestinationSorter
		text   []byte // one line at a time
	)
	for i := range services {
		s := &services[i]
		// /proc has what a save line shows of a destination, except the
		// tunnel settings: a service with a tunnelling destination is
		// dumped on its own.
		if d, ok := table.AppendDestinations(dests[:0], s.ServiceKey); ok && !hasTunnel(d) {
			sorter.Sort(d)
			s.Destinations, dests = d, d
		} else if err := r.fillDestinations(s, false); err != nil {
			fmt.Fprintln(r.Stderr, kernelMessage(opGetServers, err))
			return listFailed
		}
		line := rule.Command{Kind: rule.AddService, HasService: true, Service: s.Service}
		text = append(rule.AppendFormat(text[:0], &line, addrPort), '\n')
		r.Stdout.Write(text)
		line.Kind, line.HasServer = rule.AddServer, true
		for _, d := range s.Destinations {
			line.Server = d.Destination
			text = append(rule.AppendFormat(text[:0], &line, addrPort), '\n')
			r.Stdout.Write(text)
		}
		s.Destinations = nil
	}
	return ok
}

// saveAddrPort renders addresses in save lines: numeric with -n (nil,
// which rule.AppendFormat writes without allocating), else with names as
// listings show them.
func (r *Runner) saveAddrPort(numeric bool) rule.AddrPortFunc {
	n := r.namer(numeric)
	if n == nil {
		return nil
	}
	return func(_ ipvs.Family, addr netip.Addr, port uint16, proto ipvs.Protocol) string {
		return render.AddrPort(addr, port, proto, n)
	}
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
