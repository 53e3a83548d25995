package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/names"
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

// restoreMain is the ipvsadm-restore personality. The original is a bash
// script that reads all of its input, drops the lines that start with '#',
// clears the table with "ipvsadm -C" (whatever follows), and feeds the rest
// to "ipvsadm -R" as `echo "$INPUT"` prints it: NUL bytes dropped (bash
// warns about them), trailing newlines collapsed into one. Its status is
// that of "ipvsadm -R". Each of the two runs connects to the kernel on its
// own, as the two processes of the script do.
//
// This program's --test, --verbose, --converge, --dry-run (see
// command.RestoreOptions) and --netns work here too; with --test,
// --converge or --dry-run the table is not cleared first, and --test,
// which then checks against an empty table, needs no kernel. Unlike the
// original, which ignores its arguments, it refuses what looks like a
// mistyped option of its own, and input it cannot read (a closed standard
// input, a directory), before anything is changed.
func restoreMain(env Env) int {
	prog := progName(env)
	words, ext, err := takeExtensions(env.Args[1:], true)
	if err == nil && ext.json {
		err = extensionError("--json does not apply to " + prog)
	}
	if err == nil {
		err = checkRestoreWords(words)
	}
	if err != nil {
		return extensionFailure(env, prog, err)
	}
	opts := ext.restore
	opts.FromEmpty = !opts.Converge && !opts.DryRun
	input, err := io.ReadAll(env.Stdin)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s; nothing was changed\n", command.ReadFailure(prog, 0, err))
		return 1
	}
	if bytes.IndexByte(input, 0) >= 0 {
		input = bytes.ReplaceAll(input, []byte{0}, nil)
		fmt.Fprintf(env.Stderr, "%s: line 23: warning: command substitution: ignored null byte in input\n", scriptPath(env))
	}
	rules := shellEcho(dropComments(input))
	if opts.Test {
		return checkRules(env, rules, opts)
	}
	if opts.FromEmpty {
		runIpvsadm(env, []string{"-C"}, nil, ext.netns, command.RestoreOptions{})
	}
	interrupt, stop := catchInterrupts()
	defer stop()
	opts.Interrupt = interrupt
	tuneGC(opts)
	return runIpvsadm(env, []string{"-R"}, bytes.NewReader(rules), ext.netns, opts)
}

// checkRules is ipvsadm-restore --test: the rules checked against the
// empty table the restore would start from, without the kernel, so that
// any user can check a rules file.
func checkRules(env Env, rules []byte, opts command.RestoreOptions) int {
	r := command.Runner{
		Stdin:          bytes.NewReader(rules),
		Stdout:         env.Stdout,
		Stderr:         env.Stderr,
		Prog:           "ipvsadm",
		Names:          names.System(),
		PosixlyCorrect: isSet(env, "POSIXLY_CORRECT") || isSet(env, "POSIX_ME_HARDER"),
		RestoreOptions: opts,
	}
	return r.Restore(r.Stdin)
}

// restoreOptionNames are the options ipvsadm-restore takes, for telling a
// mistyped one from the words the original ignores.
var restoreOptionNames = []string{"test", "verbose", "converge", "dry-run", "netns", "json"}

// checkRestoreWords refuses, among the words left after this program's
// options, what looks like one of them mistyped: any word that starts with
// "--" (such as --dryrun, --Converge or --converge=yes), or one dash and
// then one of their names (-converge). The original ignores every
// argument, so such a typo would silently clear and reload the table.
// Other words (scripts pass -n, for instance) are ignored as before.
func checkRestoreWords(words []string) error {
	for _, w := range words {
		looksLikeOurs := strings.HasPrefix(w, "--") && w != "--"
		for _, name := range restoreOptionNames {
			looksLikeOurs = looksLikeOurs || strings.HasPrefix(w, "-") && strings.EqualFold(w[1:], name)
		}
		if looksLikeOurs {
			return extensionError(fmt.Sprintf("unknown option %s (the options are --test, --verbose, --converge, --dry-run and --netns NAME); nothing was changed", w))
		}
	}
	return nil
}

// scriptPath is the path by which bash would name the original script in
// its warnings: argv[0] when it has a slash, otherwise where a PATH lookup
// finds it, as the shell that started it found it.
func scriptPath(env Env) string {
	name := env.Args[0]
	if strings.Contains(name, "/") {
		return name
	}
	if path, ok := env.LookupEnv("PATH"); ok {
		for _, dir := range filepath.SplitList(path) {
			if dir == "" {
				dir = "."
			}
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return name
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
