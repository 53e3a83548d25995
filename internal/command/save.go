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
	l, err := r.readListing(nil, true)
	if err != nil {
		fmt.Fprintln(r.Stderr, err)
		return listFailed
	}
	defer l.close()
	// The tables have what a save line shows of a destination, except the
	// tunnel settings.
	l.useTables(true)
	addrPort := r.saveAddrPort(c.List.Numeric)
	var text []byte // one line at a time
	for s, err := range l.all() {
		if err != nil {
			fmt.Fprintln(r.Stderr, err)
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
