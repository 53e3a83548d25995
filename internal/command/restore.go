package command

import (
	"errors"
	"fmt"
	"io"
	"runtime"
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
// one, as the original goes on after a failed line. While the kernel
// carries out one batch, the next is parsed.
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
	b := batch{r: r, verbose: r.RestoreOptions.Verbose, overlap: runtime.NumCPU() > 1}
	src := newInput(in, r.RestoreOptions.Interrupt, func() *Interruption {
		b.flush()
		return b.stop
	})
	defer src.close()
	lines := rule.NewReader(src)
	var parser rule.Parser
	for {
		if b.stop != nil {
			return b.interrupted(*b.stop)
		}
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
			if b.flush(); b.stop != nil {
				return b.interrupted(*b.stop)
			}
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
		if b.flush(); b.stop != nil {
			return b.interrupted(*b.stop)
		}
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

// batch collects lines until they must be carried out. With overlap (more
// than one CPU), a full batch is sent (see send) while the lines after it
// are parsed; on one CPU the two would only take turns, at the cost of
// switching between them, so it is carried out before parsing goes on.
// Everything else waits for what was sent to be carried out (see flush),
// so that only the goroutine carrying out a batch writes to standard error
// meanwhile, and the fields after waiting are read only once it is done.
// An interruption that arrives while a batch is with the kernel is kept in
// stop, and no batch is sent after it.
type batch struct {
	r       *Runner
	verbose bool
	overlap bool
	waiting lines
	spare   lines         // the memory of the batch carried out last
	sent    chan lines    // the batch being carried out, or nil
	stop    *Interruption // arrived while waiting for a batch
	status  int           // of the last line carried out

	applied, failed, lastApplied int // for the verbose report
}

// lines are lines waiting in a batch.
type lines struct {
	events  []event
	changes []rule.Command // of the events that are changes, in order
}

// add queues a line that is not a change.
func (b *batch) add(e event) {
	b.waiting.events = append(b.waiting.events, e)
	if len(b.waiting.events) >= batchLimit {
		b.send()
	}
}

// addChange queues line's change c, whose errors op words.
func (b *batch) addChange(line int, op operation, c *rule.Command) {
	b.waiting.changes = append(b.waiting.changes, *c)
	b.add(event{line: line, op: op, isChange: true})
}

// interrupted ends the restore on an interruption: the lines not yet sent
// are not applied.
func (b *batch) interrupted(sig Interruption) int {
	b.wait()
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
func (b *batch) drop() {
	b.waiting.events, b.waiting.changes = b.waiting.events[:0], b.waiting.changes[:0]
}

// prefix starts a verbose error line with the line's number.
func (b *batch) prefix(line int) {
	if b.verbose {
		fmt.Fprintf(b.r.Stderr, "line %d: ", line)
	}
}

// flush carries out the waiting lines after those sent before them and
// returns the status of the last line carried out.
func (b *batch) flush() int {
	b.send()
	b.wait()
	return b.status
}

// send starts carrying out the waiting lines, once the batch sent before
// them is carried out, and returns without waiting for them. It sends
// nothing once an interruption has arrived.
func (b *batch) send() {
	b.wait()
	if len(b.waiting.events) == 0 || b.stop != nil {
		return
	}
	todo := b.waiting
	b.waiting, b.spare = b.spare, lines{}
	done := make(chan lines, 1)
	b.sent = done
	if !b.overlap {
		b.carryOut(todo)
		done <- todo
		return
	}
	go func() {
		b.carryOut(todo)
		done <- todo
	}()
}

// wait waits until the batch sent last is carried out (an interruption
// meanwhile is kept in stop), and keeps its memory for the next.
func (b *batch) wait() {
	if b.sent == nil {
		return
	}
	var done lines
	select {
	case done = <-b.sent:
	case sig := <-b.r.RestoreOptions.Interrupt:
		b.stop = &sig
		done = <-b.sent
	}
	b.sent = nil
	b.spare = lines{events: done.events[:0], changes: done.changes[:0]}
}

// carryOut sends todo's changes to the kernel and prints the messages of
// its lines in line order.
func (b *batch) carryOut(todo lines) {
	var errs []error
	if len(todo.changes) > 0 {
		errs = b.r.Backend.Changes(todo.changes)
	}
	k := 0
	for _, e := range todo.events {
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
}

// finish flushes, writes the verbose report and returns the restore's
// status: status if stop says why the restore ended early, otherwise the
// status of the last line.
func (b *batch) finish(status int, stop string) int {
	if stop == "" {
		if status = b.flush(); b.stop != nil {
			return b.interrupted(*b.stop)
		}
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
