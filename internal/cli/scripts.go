package cli

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
)

// saveMain is the ipvsadm-save personality. The original is a shell script
// that accepts -n, rejects any other word starting with '-' with a usage
// text (status 1), ignores other words and runs "ipvsadm -S [-n]".
func saveMain(env Env) int {
	words, ext, err := takeExtensions(env.Args[1:], false)
	if err == nil && ext.json {
		err = extensionError("--json does not apply to " + filepath.Base(env.Args[0]))
	}
	if err != nil {
		return extensionFailure(env, filepath.Base(env.Args[0]), err)
	}
	numeric := false
	for _, a := range words {
		switch {
		case a == "-n":
			numeric = true
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(env.Stderr, "%s: Script to save the IPVS table to stdout.\n"+
				"   With the -n option, prints out the table in numeric format.\n", filepath.Base(env.Args[0]))
			return 1
		}
	}
	args := []string{"-S"}
	if numeric {
		args = append(args, "-n")
	}
	return runIpvsadm(env, args, nil, ext.netns, command.RestoreOptions{})
}

// restoreMain is the ipvsadm-restore personality. The original is a shell
// script that reads all of its input, drops the lines that start with '#',
// clears the table with "ipvsadm -C" (whatever follows), and feeds the rest
// to "ipvsadm -R" as `echo "$INPUT"` prints it: trailing newlines
// collapsed into one. Its status is that of "ipvsadm -R". Each of the two
// runs connects to the kernel on its own, as the two processes of the
// script do.
//
// This program's --test, --verbose, --converge, --dry-run (see
// command.RestoreOptions) and --netns work here too; with --test,
// --converge or --dry-run the table is not cleared first.
func restoreMain(env Env) int {
	_, ext, err := takeExtensions(env.Args[1:], true)
	if err == nil && ext.json {
		err = extensionError("--json does not apply to " + filepath.Base(env.Args[0]))
	}
	if err != nil {
		return extensionFailure(env, filepath.Base(env.Args[0]), err)
	}
	opts := ext.restore
	opts.FromEmpty = !opts.Converge && !opts.DryRun
	input, err := io.ReadAll(env.Stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", filepath.Base(env.Args[0]), err)
		return 1
	}
	if opts.FromEmpty && !opts.Test {
		runIpvsadm(env, []string{"-C"}, nil, ext.netns, command.RestoreOptions{})
	}
	rules := shellEcho(dropComments(input))
	interrupt, stop := catchInterrupts()
	defer stop()
	opts.Interrupt = interrupt
	tuneGC(opts)
	return runIpvsadm(env, []string{"-R"}, bytes.NewReader(rules), ext.netns, opts)
}

// runIpvsadm runs one invocation of ipvsadm (argv[0] "ipvsadm", as the
// scripts call it through PATH).
func runIpvsadm(env Env, args []string, stdin io.Reader, netnsName string, opts command.RestoreOptions) int {
	r, status := connect(env, "ipvsadm", netnsName)
	if r == nil {
		return status
	}
	defer r.Close()
	r.Stdin = stdin
	r.RestoreOptions = opts
	return r.Main(args)
}

// dropComments is `grep -v '^#'` followed by the shell's command
// substitution: lines starting with '#' removed, every line ending in a
// newline, then all trailing newlines removed.
func dropComments(in []byte) []byte {
	var out []byte
	for len(in) > 0 {
		line := in
		if i := bytes.IndexByte(in, '\n'); i >= 0 {
			line, in = in[:i], in[i+1:]
		} else {
			in = nil
		}
		if len(line) > 0 && line[0] == '#' {
			continue
		}
		out = append(append(out, line...), '\n')
	}
	return bytes.TrimRight(out, "\n")
}

// echoOptions matches what bash's echo takes as its options rather than as
// text.
var echoOptions = regexp.MustCompile(`^-[neE]+$`)

// shellEcho is bash's `echo "$text"`: the text and a newline, unless the
// whole text is itself an echo option.
func shellEcho(text []byte) []byte {
	if echoOptions.Match(text) {
		if bytes.IndexByte(text, 'n') >= 0 {
			return nil
		}
		return []byte("\n")
	}
	return append(text, '\n')
}
