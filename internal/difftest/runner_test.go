package difftest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// A script is one setup command or step of a case: bash source run in dir.
type script struct {
	dir, text string
}

// runScripts runs the scripts one after another as side s in ns, with one
// bash for all of them: each script runs in a subshell of its own
// (eval'd with no positional parameters, standard input /dev/null), with
// its own pipes for standard output and error, as a bash -c of its own
// would have, and its exit status comes back on the runner's standard
// output. Under emulation a bash takes about 16 ms to start and a
// subshell a few, and a case runs a script per step on each side.
//
// The runner starts in the first script's directory; a script with
// another one enters it inside its subshell (and unsets OLDPWD, as a fresh
// bash has it). Bash's own messages read as under bash -c ("bash: line 1:
// ..."), but for a syntax error ("bash: eval: line 1: ... `set --; ...'").
// A runner that does not report a status for every script is an error.
func (s side) runScripts(ns *vmtest.NetNS, scripts []script) ([]result, error) {
	var (
		runner strings.Builder
		args   = []string{"-c", "", "/bin/bash"} // $0 as under exec of /bin/bash -c
		extra  []*os.File                        // the scripts' pipes' write ends, fds 3, 4, ...
		reads  []*os.File
	)
	defer func() {
		for _, f := range append(extra, reads...) {
			f.Close()
		}
	}()
	// One line: bash numbers the lines of eval'd text from the line of
	// the eval, so each script's first line is line 1, as under bash -c.
	for k, sc := range scripts {
		outFD, errFD := 3+2*k, 4+2*k
		runner.WriteString("( ")
		if errFD+1 < 3+2*len(scripts) {
			runner.WriteString("exec")
			for fd := errFD + 1; fd < 3+2*len(scripts); fd++ {
				fmt.Fprintf(&runner, " %d>&-", fd)
			}
			runner.WriteString("; ")
		}
		if sc.dir != scripts[0].dir {
			fmt.Fprintf(&runner, "cd %s || exit; unset OLDPWD; ", vmtest.ShellQuote(sc.dir))
		}
		fmt.Fprintf(&runner, "eval \"set --; ${%d}\" ) </dev/null >&%d 2>&%d %d>&- %d>&-; echo $?; exec %d>&- %d>&-; ",
			k+1, outFD, errFD, outFD, errFD, outFD, errFD)
		args = append(args, sc.text)
		for range 2 {
			r, w, err := os.Pipe()
			if err != nil {
				return nil, err
			}
			reads, extra = append(reads, r), append(extra, w)
		}
	}
	args[1] = runner.String()

	timeout := 2 * time.Minute * time.Duration(len(scripts))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/bash", args...)
	cmd.Env = s.env()
	cmd.Dir = scripts[0].dir
	cmd.ExtraFiles = extra
	var statuses, runnerErr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &statuses, &runnerErr
	// Collected concurrently: a script blocks on a full pipe until read.
	outputs := make([]bytes.Buffer, len(reads))
	var wg sync.WaitGroup
	for i, r := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(&outputs[i], r)
		}()
	}
	err := ns.Start(cmd)
	for _, w := range extra {
		w.Close() // the runner holds its own copies
	}
	extra = nil
	if err == nil {
		err = cmd.Wait()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		// A process left behind by a script holds its pipe open.
		for _, r := range reads {
			r.Close()
		}
		<-done
		if err == nil {
			err = errors.New("a script's standard output or error stayed open after the runner ended")
		}
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("timed out after %s", timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("the script runner: %v: %s", err, runnerErr.String())
	}
	lines := strings.Fields(statuses.String())
	if len(lines) != len(scripts) {
		return nil, fmt.Errorf("the script runner reported %d statuses for %d scripts: %q %s", len(lines), len(scripts), statuses.String(), runnerErr.String())
	}
	results := make([]result, len(scripts))
	for k := range scripts {
		status, err := strconv.Atoi(lines[k])
		if err != nil {
			return nil, fmt.Errorf("the script runner's status %q: %v", lines[k], err)
		}
		results[k] = result{Stdout: outputs[2*k].String(), Stderr: outputs[2*k+1].String(), Status: status}
	}
	return results, nil
}

// kernelState returns the timeouts and sync daemons of the namespace's
// IPVS as the kernel reports them over netlink (every attribute of both),
// the part of a side's final state beside the table's save.
func kernelState(ns *vmtest.NetNS) (string, error) {
	c, err := ipvs.Dial(&ipvs.Config{NetNS: ns.FD()})
	if err != nil {
		return "", fmt.Errorf("reading the timeouts and daemons: %w", err)
	}
	defer c.Close()
	t, err := c.Timeouts()
	if err != nil {
		return "", fmt.Errorf("reading the timeouts: %w", err)
	}
	daemons, err := c.Daemons()
	if err != nil {
		return "", fmt.Errorf("reading the daemons: %w", err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "timeouts: tcp %s, tcpfin %s, udp %s\n", t.TCP, t.TCPFin, t.UDP)
	for _, d := range daemons {
		fmt.Fprintf(&sb, "daemon: %+v\n", d)
	}
	return sb.String(), nil
}
