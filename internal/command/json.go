package command

import (
	"fmt"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// listJSON is a listing with --json. TODO(json helper): not written yet.
func (r *Runner) listJSON(c *rule.Command) Outcome {
	fmt.Fprintf(r.Stderr, "%s: --json is not available yet\n", r.Prog)
	return Outcome{Status: 2, Exit: true}
}
