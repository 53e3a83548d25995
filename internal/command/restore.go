package command

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// batchLimit bounds how many parsed lines wait for their batch to be sent,
// which bounds the memory a restore of any size needs.
const batchLimit = 1024

// RestoreOptions are this program's additions to -R (and ipvsadm-restore).
// The zero value is the original's behaviour.
type RestoreOptions struct {
	// Test checks the input instead of applying it (see Check).
	Test bool
	// Verbose prefixes every error with its line number and ends with a
	// report of what was applied and where the restore stopped.
	Verbose bool
	// Converge makes the kernel's table equal to what the input describes
	// by changing only what differs (see Converge) instead of carrying the
	// lines out one by one.
	Converge bool
	// DryRun prints the changes Converge would make, as command lines, and
	// makes none.
	DryRun bool
	// FromEmpty says the table is cleared before the restore (as
	// ipvsadm-restore does), so Test starts from an empty table rather
	// than from the kernel's.
	FromEmpty bool
	// Interrupt, when it delivers, ends the restore: requests already sent
	// complete, the lines read but not yet sent are not applied, and the
	// restore reports how far it got and returns Status.
	Interrupt <-chan Interruption
}

// Interruption is a request to stop (a signal) and the exit status that
// goes with it.
type Interruption struct {
	Name   string
	Status int
}

// Restore is -R: every line of in is carried out as one invocation.
// Failures that end an invocation of the original end the restore with
// their status; others (kernel errors, option errors) let it go on. The
// status at the end of the input is that of the last line carried out.
//
// Lines that change the kernel's state are parsed ahead and sent in
// batches; their errors come back matched to their lines and are printed
// in line order, interleaved with the parse errors of the lines between
// them, exactly as if each line had been carried out on its own: the
// kernel handles a batch's requests in order and goes on after a failed
// one, as the original goes on after a failed line.
func (r *Runner) Restore(in io.Reader) int {
	if in == nil {
		in = strings.NewReader("")
	}
	if r.RestoreOptions.Test {
		return r.Check(in)
	}
	if r.RestoreOptions.Converge || r.RestoreOptions.DryRun {
		return r.Converge(in)
	}
	b := batch{r: r, verbose: r.RestoreOptions.Verbose}
	src := newInput(in, r.RestoreOptions.Interrupt, func() { b.flush() })
	defer src.close()
	lines := rule.NewReader(src)
	var parser rule.Parser
	for {
		select {
		case sig := <-r.RestoreOptions.Interrupt:
			return b.interrupted(sig)
		default:
		}
		args, err := lines.Next()
		if err == io.EOF {
			return b.finish(0, "")
		}
		if intr, ok := errors.AsType[*interruptedError](err); ok {
			return b.interrupted(intr.Interruption)
		}
		if err != nil {
			b.flush()
			fmt.Fprintln(r.Stderr, ReadFailure(r.Prog, lines.Line()-1, err))
			return b.finish(1, fmt.Sprintf("could not read the input after line %d", lines.Line()-1))
		}
		line := lines.Line()
		c, err := parser.Parse(r.Prog, args, r.parseOptions())
		if pe, isParse := err.(*rule.Error); isParse && !pe.StopsRestore() {
			b.add(event{line: line, message: pe.Stderr() + b.bomHint(line, args), status: pe.ExitStatus()})
			continue
		}
		if err == nil {
			if op, isChange := changeOperation(c.Kind); isChange {
				b.addChange(line, op, c)
				continue
			}
		}
		// Anything else runs on its own, after everything before it.
		b.flush()
		var out Outcome
		if err != nil {
			b.prefix(line)
			out = r.parseFailure(err)
			io.WriteString(r.Stderr, b.bomHint(line, args))
		} else {
			out = r.Execute(c, true)
		}
		if out.Exit {
			return b.finish(out.Status, fmt.Sprintf("stopped at line %d: %s", line, strings.Join(args, " ")))
		}
		b.status = out.Status
	}
}

// event is one line waiting in a batch: a change for the kernel (the
// next of the batch's changes), or a message already known (an option
// error).
type event struct {
	line     int
	op       operation
	isChange bool
	message  string
	status   int
}

// batch collects lines until they must be carried out.
type batch struct {
	r       *Runner
	verbose bool
	events  []event
	changes []rule.Command // of the events that are changes, in order
	status  int            // of the last line carried out

	applied, failed, lastApplied int // for the verbose report
}

// add queues a line that is not a change.
func (b *batch) add(e event) {
	b.events = append(b.events, e)
	if len(b.events) >= batchLimit {
		b.flush()
	}
}

// addChange queues line's change c, whose errors op words.
func (b *batch) addChange(line int, op operation, c *rule.Command) {
	b.changes = append(b.changes, *c)
	b.add(event{line: line, op: op, isChange: true})
}

// interrupted ends the restore on an interruption: the lines not yet sent
// are not applied.
func (b *batch) interrupted(sig Interruption) int {
	b.drop()
	if b.applied == 0 {
		fmt.Fprintf(b.r.Stderr, "%s: restore interrupted by %s: no lines applied\n", b.r.Prog, sig.Name)
		return sig.Status
	}
	fmt.Fprintf(b.r.Stderr, "%s: restore interrupted by %s: %s, %s; nothing after it was sent\n",
		b.r.Prog, sig.Name, appliedCount(b.applied, "line"), lastLine(b.lastApplied))
	return sig.Status
}

// appliedCount says how many things were applied: "no lines applied",
// "1 line applied", "5 lines applied".
func appliedCount(n int, noun string) string {
	if n == 0 {
		return "no " + noun + "s applied"
	}
	return nounCount(n, noun) + " applied"
}

// lastLine names the line of the last change applied.
func lastLine(line int) string { return fmt.Sprintf("the last at line %d", line) }

// bomHint is, under --verbose, a note for a line that failed and starts
// with a UTF-8 byte-order mark, which the original takes as part of the
// first word (so that only its usage hint is printed).
func (b *batch) bomHint(line int, args []string) string {
	if !b.verbose || !startsWithBOM(args) {
		return ""
	}
	return fmt.Sprintf("line %d: %s\n", line, bomNote)
}

// bomNote explains a line that starts with a UTF-8 byte-order mark.
const bomNote = "the line starts with a UTF-8 byte-order mark (bytes EF BB BF), which ipvsadm reads as part of the first word: save the file without it"

// startsWithBOM reports whether a line's first token starts with a UTF-8
// byte-order mark.
func startsWithBOM(args []string) bool {
	return len(args) > 0 && strings.HasPrefix(args[0], "\xef\xbb\xbf")
}

// drop forgets the lines not yet sent.
func (b *batch) drop() { b.events, b.changes = b.events[:0], b.changes[:0] }

// prefix starts a verbose error line with the line's number.
func (b *batch) prefix(line int) {
	if b.verbose {
		fmt.Fprintf(b.r.Stderr, "line %d: ", line)
	}
}

// flush carries out the waiting lines, prints their messages in line order
// and returns the status of the last line carried out.
func (b *batch) flush() int {
	var errs []error
	if len(b.changes) > 0 {
		errs = b.r.Backend.Changes(b.changes)
	}
	k := 0
	for _, e := range b.events {
		if !e.isChange {
			b.prefix(e.line)
			io.WriteString(b.r.Stderr, e.message)
			b.status = e.status
			b.failed++
			continue
		}
		if err := errs[k]; err != nil {
			b.prefix(e.line)
			fmt.Fprintln(b.r.Stderr, kernelMessage(e.op, err))
			b.status = kernelFailed.Status
			b.failed++
		} else {
			b.status = 0
			b.applied++
			b.lastApplied = e.line
		}
		k++
	}
	b.drop()
	return b.status
}

// finish flushes, writes the verbose report and returns the restore's
// status: status if stop says why the restore ended early, otherwise the
// status of the last line.
func (b *batch) finish(status int, stop string) int {
	if stop == "" {
		status = b.flush()
	}
	if b.verbose {
		applied := appliedCount(b.applied, "change")
		if b.applied > 0 {
			applied += " (" + lastLine(b.lastApplied) + ")"
		}
		fmt.Fprintf(b.r.Stderr, "%s: restore: %s, %s failed", b.r.Prog, applied, nounCount(b.failed, "line"))
		if stop != "" {
			fmt.Fprintf(b.r.Stderr, "; %s", stop)
		}
		fmt.Fprintf(b.r.Stderr, "; exit status %d\n", status)
	}
	return status
}
