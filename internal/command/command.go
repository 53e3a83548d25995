package command

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/render"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
	"github.com/ipvsadm-go/ipvsadm/internal/sockopt"
)

// Runner carries out commands. Stdout should buffer as C stdio does (the
// caller's job); Stderr is written line by line, unbuffered.
type Runner struct {
	Backend Backend
	// Info is what the kernel reported at start-up; listings print it.
	Info   ipvs.Info
	Stdin  io.Reader // restore input
	Stdout io.Writer
	Stderr io.Writer
	// Prog is argv[0], for the help text and the Try line.
	Prog string
	// Names resolves names in parsed arguments and in listings without -n.
	Names Names
	// PosixlyCorrect is set when the environment has POSIXLY_CORRECT or
	// POSIX_ME_HARDER.
	PosixlyCorrect bool
	// OpenConnections opens /proc/net/ip_vs_conn for -Lc.
	OpenConnections func() (io.ReadCloser, error)
	// OpenTable, if set, opens /proc/net/ip_vs of the Backend's namespace:
	// plain listings then take every destination from it in one read
	// instead of one dump per service.
	OpenTable func() (io.ReadCloser, error)
	// OpenSockopt, if set, opens IPVS's socket-option interface in the
	// Backend's namespace: plain listings then take IPv4 services'
	// destinations from it, one kernel lookup each, and read /proc only
	// for services of other families.
	OpenSockopt func() (*sockopt.Table, error)
	// JSON makes listings print JSON (see package jsonlist) instead of
	// the original's text.
	JSON bool
	// RestoreOptions are the additions to -R that were asked for.
	RestoreOptions RestoreOptions
}

// Names is the name service: forward lookups for the parser, reverse ones
// for listings. *names.Resolver implements it.
type Names interface {
	rule.Resolver
	render.Namer
}

// Outcome is how a command ended: its exit status, and whether the process
// ends now (Exit) even inside a restore, where other failures let the
// restore go on with the next line.
type Outcome struct {
	Status int
	Exit   bool
}

var (
	ok = Outcome{}
	// kernelFailed is a refused change: status 255, a restore goes on.
	kernelFailed = Outcome{Status: 255}
	// listFailed is a failed listing: the original exits 1 at once.
	listFailed = Outcome{Status: 1, Exit: true}
)

// Main runs one invocation's arguments (without argv[0]) and returns the
// exit status.
func (r *Runner) Main(args []string) int {
	if len(args) == 0 { // no arguments: list, resolving names
		return r.Execute(&rule.Command{Kind: rule.List}, false).Status
	}
	return r.Line(args, false).Status
}

// Line parses and carries out the arguments of one invocation or of one
// restore line.
func (r *Runner) Line(args []string, restoring bool) Outcome {
	c, err := rule.Parse(r.Prog, args, r.parseOptions())
	if err != nil {
		return r.parseFailure(err)
	}
	return r.Execute(c, restoring)
}

func (r *Runner) parseOptions() rule.Options {
	return rule.Options{Resolver: r.Names, PosixlyCorrect: r.PosixlyCorrect}
}

// parseFailure prints a parse error and says how the invocation ends.
func (r *Runner) parseFailure(err error) Outcome {
	if pe, isParse := err.(*rule.Error); isParse {
		io.WriteString(r.Stderr, pe.Stderr())
		return Outcome{Status: pe.ExitStatus(), Exit: pe.StopsRestore()}
	}
	fmt.Fprintln(r.Stderr, err)
	return Outcome{Status: 2, Exit: true}
}

// Execute carries out a parsed command.
func (r *Runner) Execute(c *rule.Command, restoring bool) Outcome {
	if r.JSON && c.Kind != rule.List && c.Kind != rule.Help && c.Kind != rule.Version {
		fmt.Fprintf(r.Stderr, "%s: --json applies only to listings (-L, -l)\n", r.Prog)
		return Outcome{Status: 2, Exit: true}
	}
	switch c.Kind {
	case rule.Help:
		io.WriteString(r.Stdout, rule.Usage(r.Prog))
		return Outcome{Exit: true}
	case rule.Version:
		io.WriteString(r.Stdout, rule.VersionLine)
		return Outcome{Exit: true}
	case rule.Restore:
		if restoring {
			return r.parseFailure(rule.TryHelpError(r.Prog))
		}
		return Outcome{Status: r.Restore(r.Stdin), Exit: true}
	case rule.List:
		return r.list(c)
	case rule.Save:
		return r.save(c)
	}
	op, _ := changeOperation(c.Kind)
	if err := r.Backend.Change(c); err != nil {
		fmt.Fprintln(r.Stderr, kernelMessage(op, err))
		return kernelFailed
	}
	return ok
}

// changeOperation reports whether commands of kind k change the kernel's
// state, and the operation that words their errors.
func changeOperation(k rule.Kind) (operation, bool) {
	switch k {
	case rule.AddService:
		return opAddService, true
	case rule.EditService:
		return opEditService, true
	case rule.DeleteService:
		return opDeleteService, true
	case rule.AddServer:
		return opAddServer, true
	case rule.EditServer:
		return opEditServer, true
	case rule.DeleteServer:
		return opDeleteServer, true
	case rule.Zero:
		return opZero, true
	case rule.StartDaemon:
		return opStartDaemon, true
	case rule.StopDaemon:
		return opStopDaemon, true
	case rule.Flush, rule.SetTimeouts:
		return opOther, true
	}
	return opOther, false
}

// zeroesAll reports a -Z of every service: one without a service, or with
// no fwmark, an all-zero address and port 0.
func zeroesAll(c *rule.Command) bool {
	k := c.Service.ServiceKey
	return !c.HasService || k.FWMark == 0 && k.Port == 0 && (!k.Addr.IsValid() || k.Addr == netip.IPv4Unspecified() || k.Addr == netip.IPv6Unspecified())
}
