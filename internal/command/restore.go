package command

import (
	"fmt"
	"io"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// batchLimit bounds how many parsed lines wait for their batch to be sent,
// which bounds the memory a restore of any size needs.
const batchLimit = 1024

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
		return 0
	}
	lines := rule.NewReader(in)
	b := batch{r: r}
	for {
		args, err := lines.Next()
		if err == io.EOF {
			return b.flush()
		}
		if err != nil {
			status := b.flush()
			fmt.Fprintf(r.Stderr, "%s: reading input: %v\n", r.Prog, err)
			if status == 0 {
				status = 1
			}
			return status
		}
		c, err := rule.Parse(r.Prog, args, r.parseOptions())
		if pe, isParse := err.(*rule.Error); isParse && !pe.StopsRestore() {
			b.add(event{message: pe.Stderr(), status: pe.ExitStatus()})
			continue
		}
		if err == nil {
			if op, req, rerr := request(c); rerr == nil {
				b.add(event{op: op, req: req, isReq: true})
				continue
			}
		}
		// Anything else runs on its own, after everything before it.
		b.flush()
		var out Outcome
		if err != nil {
			out = r.parseFailure(err)
		} else {
			out = r.Execute(c, true)
		}
		if out.Exit {
			return out.Status
		}
		b.status = out.Status
	}
}

// event is one line waiting in a batch: a request for the kernel, or a
// message already known (an option error).
type event struct {
	op      operation
	req     ipvs.Request
	isReq   bool
	message string
	status  int
}

// batch collects lines until they must be carried out.
type batch struct {
	r      *Runner
	events []event
	reqs   []ipvs.Request
	status int // of the last line carried out
}

func (b *batch) add(e event) {
	b.events = append(b.events, e)
	if e.isReq {
		b.reqs = append(b.reqs, e.req)
	}
	if len(b.events) >= batchLimit {
		b.flush()
	}
}

// flush carries out the waiting lines, prints their messages in line order
// and returns the status of the last line carried out.
func (b *batch) flush() int {
	var errs []error
	if len(b.reqs) > 0 {
		errs = b.r.Backend.Batch(b.reqs)
	}
	k := 0
	for _, e := range b.events {
		if !e.isReq {
			io.WriteString(b.r.Stderr, e.message)
			b.status = e.status
			continue
		}
		if err := errs[k]; err != nil {
			fmt.Fprintln(b.r.Stderr, kernelMessage(e.op, err))
			b.status = kernelFailed.Status
		} else {
			b.status = 0
		}
		k++
	}
	b.events, b.reqs = b.events[:0], b.reqs[:0]
	return b.status
}
