package command

import (
	"errors"
	"fmt"
	"io"

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
	t := newTable()
	if !r.RestoreOptions.FromEmpty {
		var err error
		if t, err = readTable(r.Backend); err != nil {
			fmt.Fprintf(r.Stderr, "%s: reading the kernel's table: %s\n", r.Prog, KernelMessage(err))
			return 1
		}
	}
	checked, problems, err := r.checkLines(in, func(pe *rule.Error) string {
		if pe.StopsRestore() {
			return fmt.Sprintf("%s (the restore stops here with status %d)", pe.Text, pe.ExitStatus())
		}
		return pe.Text
	}, func(c *rule.Command) string { return checkChange(t, c) })
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
	var parser rule.Parser
	report := func(msg string) {
		problems++
		fmt.Fprintf(r.Stderr, "line %d: %s\n", lines.Line(), msg)
	}
	for {
		args, err := lines.Next()
		if err == io.EOF {
			return checked, problems, nil
		}
		if intr, ok := errors.AsType[*interruptedError](err); ok {
			fmt.Fprintf(r.Stderr, "%s: interrupted by %s while reading the input; nothing was changed\n", r.Prog, intr.Name)
			return checked, problems, err
		}
		if err != nil {
			fmt.Fprintf(r.Stderr, "%s; nothing was changed\n", ReadFailure(r.Prog, lines.Line()-1, err))
			return checked, problems, err
		}
		checked++
		c, err := parser.Parse(r.Prog, args, r.parseOptions())
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
	if intr, ok := errors.AsType[*interruptedError](err); ok {
		return intr.Status
	}
	return 1
}

// checkChange changes t as c would and returns the message a restore
// would print for it, or "".
func checkChange(t *table, c *rule.Command) string {
	switch c.Kind {
	case rule.Restore:
		return "-R inside restore input: the restore stops here with status 255"
	case rule.Help, rule.Version:
		return fmt.Sprintf("%s inside restore input: the restore prints it and stops here with status 0", c.Kind)
	}
	if !isTableChange(c.Kind) {
		return ""
	}
	if err := t.change(c); err != nil {
		op, _ := changeOperation(c.Kind)
		return kernelMessage(op, err)
	}
	return ""
}
