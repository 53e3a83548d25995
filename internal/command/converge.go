package command

import (
	"fmt"
	"io"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// Converge is -R (or ipvsadm-restore) with --converge or --dry-run: it
// makes the kernel's table equal to the table the input would leave after
// a restore onto an empty one, by changing only what differs. Services and
// servers the input does not have are deleted, those it has with other
// settings are edited in place (-E, -e), missing ones are added, and the
// rest is not touched, so their connections and counters survive.
//
// The kernel keeps a service's servers in the order they were added, and
// some schedulers (rr, wrr, sh, mh) depend on it; Converge keeps the
// input's order, deleting and adding again the servers that stand in the
// way of it.
//
// The whole input is read and checked first: when any line cannot be
// parsed or makes no sense (a server of an undefined service, a service
// added twice, a command that is not a table change), every such line is
// reported as "line N: ..." and nothing is changed (status 1). With DryRun
// the changes are printed on stdout as command lines and not made. A
// change the kernel refuses is reported with the line that made it and
// the others go on; the status is then 1. With Verbose a summary ends the
// output: the changes made (those the kernel refused are not) and how many
// were refused, or for a dry run the changes planned.
func (r *Runner) Converge(in io.Reader) int {
	want, status := r.readWanted(in)
	if want == nil {
		return status
	}
	plan, err := planChanges(r.Backend, want)
	if err != nil {
		fmt.Fprintf(r.Stderr, "%s: reading the kernel's table: %s\n", r.Prog, KernelMessage(err))
		return 1
	}
	if r.RestoreOptions.DryRun {
		for i := range plan {
			fmt.Fprintln(r.Stdout, rule.FormatChange(&plan[i], rule.NumericAddrPort))
		}
		if r.RestoreOptions.Verbose {
			var planned changeCounts
			for i := range plan {
				planned.add(plan[i].Kind)
			}
			fmt.Fprintf(r.Stderr, "%s: converge: %s (dry run: nothing changed)\n", r.Prog, planned.summary("planned", len(want.services)))
		}
		return 0
	}
	return r.applyPlan(plan, len(want.services))
}

// applyPlan carries the changes out in batches and reports the refused
// ones; wanted is the number of services in the input.
func (r *Runner) applyPlan(plan []rule.Command, wanted int) int {
	var made changeCounts
	failed := 0
	for start := 0; start < len(plan); start += batchLimit {
		select {
		case sig := <-r.RestoreOptions.Interrupt:
			fmt.Fprintf(r.Stderr, "%s: converge interrupted by %s: %d of %s made, %d refused; nothing after them was sent\n",
				r.Prog, sig.Name, made.total(), nounCount(len(plan), "change"), failed)
			return sig.Status
		default:
		}
		chunk := plan[start:min(start+batchLimit, len(plan))]
		for i, err := range r.Backend.Changes(chunk) {
			if err != nil {
				failed++
				op, _ := changeOperation(chunk[i].Kind)
				fmt.Fprintf(r.Stderr, "%s: %s: %s\n", r.Prog, rule.FormatChange(&chunk[i], rule.NumericAddrPort), kernelMessage(op, err))
				continue
			}
			made.add(chunk[i].Kind)
		}
	}
	if r.RestoreOptions.Verbose {
		fmt.Fprintf(r.Stderr, "%s: converge: %s; %d refused\n", r.Prog, made.summary("made", wanted), failed)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// changeCounts counts table changes by kind (AddService ... DeleteServer).
type changeCounts [rule.DeleteServer + 1]int

func (n *changeCounts) add(k rule.Kind) {
	if k <= rule.DeleteServer {
		n[k]++
	}
}

func (n *changeCounts) total() int {
	t := 0
	for _, c := range n {
		t += c
	}
	return t
}

// summary is the converge summary: "9 changes made for 5 services:
// services 1 added, 1 edited, 1 deleted; servers 4 added, 1 edited,
// 1 deleted", with how ("made", "planned") the changes were counted and
// wanted, the number of services in the input.
func (n *changeCounts) summary(how string, wanted int) string {
	return fmt.Sprintf("%s %s for %s: services %d added, %d edited, %d deleted; servers %d added, %d edited, %d deleted",
		nounCount(n.total(), "change"), how, nounCount(wanted, "service"),
		n[rule.AddService], n[rule.EditService], n[rule.DeleteService],
		n[rule.AddServer], n[rule.EditServer], n[rule.DeleteServer])
}

// nounCount is n and the noun, plural unless n is 1: "1 service", "0 services".
func nounCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// kernelServers reads a service's servers. The kernel lists them newest
// first; the result has them oldest first.
func kernelServers(b Backend, key ipvs.ServiceKey) ([]ipvs.Destination, error) {
	dests, err := b.Destinations(key)
	if err != nil {
		return nil, err
	}
	out := make([]ipvs.Destination, len(dests))
	for i, d := range dests {
		out[len(dests)-1-i] = d.Destination
	}
	return out, nil
}

// readWanted reads the input into the table a restore of it would leave
// on an empty table. It reports each line it cannot use, or why it could
// not read the input, and then returns no table and the exit status.
func (r *Runner) readWanted(in io.Reader) (*table, int) {
	t := newTable()
	_, problems, err := r.checkLines(in, func(pe *rule.Error) string { return pe.Text }, func(c *rule.Command) string { return wantChange(t, c) })
	if err != nil {
		return nil, inputStatus(err)
	}
	if problems > 0 {
		fmt.Fprintf(r.Stderr, "%s: %s in the input: nothing was changed\n", r.Prog, nounCount(problems, "problem"))
		return nil, 1
	}
	return t, 0
}

// wantChange changes the wanted table t as c would, or returns why it
// cannot. Converging carries out changes to the services and servers
// only: not -Z, which changes counters, nor a command that is no change
// to the table at all.
func wantChange(t *table, c *rule.Command) string {
	if !isTableChange(c.Kind) || c.Kind == rule.Zero {
		return fmt.Sprintf("%s is not a change to the table: converging does not carry it out", c.Kind)
	}
	if err := t.change(c); err != nil {
		op, _ := changeOperation(c.Kind)
		return kernelMessage(op, err)
	}
	return ""
}

// sameServer reports whether a and b are the same server of a service, as
// the kernel identifies them.
func sameServer(a, b ipvs.Destination) bool { return serverKey(a) == serverKey(b) }

// planChanges returns the changes that turn the kernel's table into want,
// in the order to make them: services that go away first, then each wanted
// service in the input's order with its server changes. It reads the
// servers of one service at a time, so that converging a large table
// never holds all of them at once.
func planChanges(b Backend, want *table) ([]rule.Command, error) {
	have, err := b.Services()
	if err != nil {
		return nil, err
	}
	var plan []rule.Command
	haveIndex := make(map[ipvs.ServiceKey]ipvs.Service, len(have))
	for _, h := range have {
		haveIndex[h.ServiceKey] = h.Service
		if _, keep := want.index[h.ServiceKey]; !keep {
			plan = append(plan, serviceChange(rule.DeleteService, h.Service))
		}
	}
	for _, w := range want.services {
		h, exists := haveIndex[w.ServiceKey]
		switch {
		case !exists:
			plan = append(plan, serviceChange(rule.AddService, w.Service))
			for _, d := range w.dests {
				plan = append(plan, serverChange(rule.AddServer, w.Service, d.Destination))
			}
			continue
		case !sameSettings(h, w.Service):
			plan = append(plan, serviceChange(rule.EditService, w.Service))
		}
		hd, err := kernelServers(b, h.ServiceKey)
		if err != nil {
			return nil, err
		}
		plan = append(plan, planServers(w.Service, hd, w.servers())...)
	}
	return plan, nil
}

// planServers returns the changes that turn a service's servers from have
// into want, both oldest first. The kernel adds a server after all the
// others, so the servers kept are the longest start of want that appears
// in have in the same order; the others in have are deleted, and want's
// servers after that start are added in order.
func planServers(svc ipvs.Service, have, want []ipvs.Destination) []rule.Command {
	kept := 0 // want[:kept] is kept as it stands in have
	byKey := make(map[destKey]ipvs.Destination, len(have))
	for _, h := range have {
		byKey[serverKey(h)] = h
		if kept < len(want) && sameServer(h, want[kept]) {
			kept++
		}
	}
	keep := make(map[destKey]bool, kept)
	for _, w := range want[:kept] {
		keep[serverKey(w)] = true
	}
	var plan []rule.Command
	for _, h := range have {
		if !keep[serverKey(h)] {
			plan = append(plan, serverChange(rule.DeleteServer, svc, h))
		}
	}
	for _, w := range want[:kept] {
		if !sameServerSettings(byKey[serverKey(w)], w) {
			plan = append(plan, serverChange(rule.EditServer, svc, w))
		}
	}
	for _, w := range want[kept:] {
		plan = append(plan, serverChange(rule.AddServer, svc, w))
	}
	return plan
}

func serviceChange(kind rule.Kind, s ipvs.Service) rule.Command {
	return rule.Command{Kind: kind, HasService: true, Service: s}
}

func serverChange(kind rule.Kind, s ipvs.Service, d ipvs.Destination) rule.Command {
	return rule.Command{Kind: kind, HasService: true, Service: s, HasServer: true, Server: d}
}

// sameSettings reports whether two services with one key have the same
// settings. The kernel marks every service it reports as hashed.
func sameSettings(a, b ipvs.Service) bool {
	a.Flags &^= ipvs.FlagHashed
	b.Flags &^= ipvs.FlagHashed
	return a == b
}

// sameServerSettings reports whether two servers of a service have the
// same settings; tunnel settings count only for tunnelling servers.
func sameServerSettings(a, b ipvs.Destination) bool {
	return normalTunnel(a) == normalTunnel(b)
}

func normalTunnel(d ipvs.Destination) ipvs.Destination {
	if d.Method != ipvs.Tunnel {
		d.TunnelType, d.TunnelPort, d.TunnelFlags = 0, 0, 0
	}
	return d
}
