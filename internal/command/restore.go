package command

import (
	"fmt"
	"io"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// Restore is -R: every line of in is carried out as one invocation.
// Failures that end an invocation of the original end the restore with
// their status; others (kernel errors, option errors) let it go on. The
// status at the end of the input is that of the last line carried out.
func (r *Runner) Restore(in io.Reader) int {
	if in == nil {
		return 0
	}
	lines := rule.NewReader(in)
	status := 0
	for {
		args, err := lines.Next()
		if err == io.EOF {
			return status
		}
		if err != nil {
			fmt.Fprintf(r.Stderr, "%s: reading input: %v\n", r.Prog, err)
			return 1
		}
		out := r.Line(args, true)
		if out.Exit {
			return out.Status
		}
		status = out.Status
	}
}
