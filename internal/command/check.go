package command

import (
	"errors"
	"fmt"
	"io"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// Check validates restore input without changing the kernel: every line is
// parsed, and every change is checked against the table as it would be by
// then (the kernel's table, or an empty one with FromEmpty, changed by the
// lines before): a service added twice, a destination whose service is not
// defined, an edit or delete of something missing. Every problem is
// reported on stderr as "line N: ..." with the message the restore would
// print; the status is 0 only when there is none.
func (r *Runner) Check(in io.Reader) int {
	t := newSimTable()
	if !r.RestoreOptions.FromEmpty {
		if err := t.load(r.Backend); err != nil {
			fmt.Fprintf(r.Stderr, "%s: reading the kernel's table: %s\n", r.Prog, KernelMessage(err))
			return 1
		}
	}
	checked, problems, err := r.checkLines(in, func(pe *rule.Error) string {
		if pe.StopsRestore() {
			return fmt.Sprintf("%s (the restore stops here with status %d)", pe.Text, pe.ExitStatus())
		}
		return pe.Text
	}, t.apply)
	if err != nil {
		return inputStatus(err)
	}
	fmt.Fprintf(r.Stderr, "%s: checked %s: %s\n", r.Prog, nounCount(checked, "line"), nounCount(problems, "problem"))
	if problems > 0 {
		return 1
	}
	return 0
}

// checkLines reads every line of in, parses it and hands the command to
// apply. Every line that cannot be parsed (worded by parseProblem) or that
// apply refuses (with the message it returns) is reported on stderr as
// "line N: ...". It returns how many lines it read and how many problems
// it reported; a read error or an interruption is reported and returned
// (see inputStatus).
func (r *Runner) checkLines(in io.Reader, parseProblem func(*rule.Error) string, apply func(*rule.Command) string) (checked, problems int, err error) {
	src := newInput(in, r.RestoreOptions.Interrupt, nil)
	defer src.close()
	lines := rule.NewReader(src)
	report := func(msg string) {
		problems++
		fmt.Fprintf(r.Stderr, "line %d: %s\n", lines.Line(), msg)
	}
	for {
		args, err := lines.Next()
		if err == io.EOF {
			return checked, problems, nil
		}
		if intr := (*interruptedError)(nil); errors.As(err, &intr) {
			fmt.Fprintf(r.Stderr, "%s: interrupted by %s while reading the input; nothing was changed\n", r.Prog, intr.Name)
			return checked, problems, err
		}
		if err != nil {
			fmt.Fprintf(r.Stderr, "%s; nothing was changed\n", ReadFailure(r.Prog, lines.Line()-1, err))
			return checked, problems, err
		}
		checked++
		c, err := rule.Parse(r.Prog, args, r.parseOptions())
		if pe, isParse := err.(*rule.Error); isParse {
			report(parseProblem(pe))
			if startsWithBOM(args) {
				fmt.Fprintf(r.Stderr, "line %d: %s\n", lines.Line(), bomNote)
			}
			continue
		} else if err != nil {
			report(err.Error())
			continue
		}
		if msg := apply(c); msg != "" {
			report(msg)
		}
	}
}

// inputStatus is the exit status after checkLines failed with err: an
// interruption's own, otherwise 1.
func inputStatus(err error) int {
	if intr := (*interruptedError)(nil); errors.As(err, &intr) {
		return intr.Status
	}
	return 1
}

// destKey identifies a destination within its service, as the kernel does.
type destKey struct {
	addr netip.Addr
	port uint16
}

// simTable is the table as a restore would leave it, line by line.
type simTable struct {
	services map[ipvs.ServiceKey]map[destKey]bool
}

func newSimTable() *simTable {
	return &simTable{services: map[ipvs.ServiceKey]map[destKey]bool{}}
}

// load starts from the kernel's table.
func (t *simTable) load(b Backend) error {
	svcs, err := b.Services()
	if err != nil {
		return err
	}
	for _, s := range svcs {
		dests, err := b.Destinations(s.ServiceKey)
		if err != nil {
			return err
		}
		m := make(map[destKey]bool, len(dests))
		for _, d := range dests {
			m[destKey{d.Addr, d.Port}] = true
		}
		t.services[s.ServiceKey] = m
	}
	return nil
}

// apply changes the table as c would and returns the message the restore
// would print for it, or "".
func (t *simTable) apply(c *rule.Command) string {
	key := c.Service.ServiceKey
	dests, exists := t.services[key]
	d := destKey{c.Server.Addr, c.Server.Port}
	switch c.Kind {
	case rule.AddService:
		if exists {
			return specificMessages[opAddService][unix.EEXIST]
		}
		t.services[key] = map[destKey]bool{}
	case rule.EditService:
		if !exists {
			return specificMessages[opEditService][unix.ESRCH]
		}
	case rule.DeleteService:
		if !exists {
			return specificMessages[opDeleteService][unix.ESRCH]
		}
		delete(t.services, key)
	case rule.Flush:
		clear(t.services)
	case rule.Zero:
		if c.HasService && !isEmptyService(key) && !exists {
			return specificMessages[opZero][unix.ESRCH]
		}
	case rule.AddServer, rule.EditServer, rule.DeleteServer:
		if !exists {
			return specificMessages[opAddServer][unix.ESRCH]
		}
		switch {
		case c.Kind == rule.AddServer && dests[d]:
			return specificMessages[opAddServer][unix.EEXIST]
		case c.Kind == rule.AddServer:
			dests[d] = true
		case !dests[d]:
			return specificMessages[opEditServer][unix.ENOENT]
		case c.Kind == rule.DeleteServer:
			delete(dests, d)
		}
	case rule.Restore:
		return "-R inside restore input: the restore stops here with status 255"
	case rule.Help, rule.Version:
		return fmt.Sprintf("%s inside restore input: the restore prints it and stops here with status 0", c.Kind)
	}
	return ""
}
