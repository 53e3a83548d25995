package cli

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
)

// extensions are this program's own options. They are taken out of the
// arguments before the original's parser sees them, so that with none of
// them given every invocation behaves exactly as the original's.
type extensions struct {
	// netns names the network namespace to work in (--netns NAME): a name
	// under /var/run/netns, as "ip netns" makes them, or a path.
	netns string
	// json asks a listing for JSON (--json).
	json bool
	// restore holds --test, --verbose, --converge and --dry-run.
	restore command.RestoreOptions
}

// extensionError is a misused extension: the message is printed after the
// program's name and the status is 2.
type extensionError string

func (e extensionError) Error() string { return string(e) }

// takeExtensions removes this program's options from args. --netns NAME
// (or --netns=NAME) and --json may appear anywhere before a "--"; the
// restore options only when restore is set, that is after -R or for
// ipvsadm-restore (the original rejects them after -R and its
// ipvsadm-restore ignores its arguments).
func takeExtensions(args []string, restore bool) ([]string, extensions, error) {
	var ext extensions
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(rest, args[i:]...), ext, nil
		case a == "--netns":
			if i+1 >= len(args) || args[i+1] == "" {
				return nil, ext, extensionError("option --netns needs the name of a network namespace")
			}
			i++
			ext.netns = args[i]
		case strings.HasPrefix(a, "--netns="):
			if ext.netns = strings.TrimPrefix(a, "--netns="); ext.netns == "" {
				return nil, ext, extensionError("option --netns needs the name of a network namespace")
			}
		case a == "--json":
			ext.json = true
		case restore && a == "--test":
			ext.restore.Test = true
		case restore && a == "--verbose":
			ext.restore.Verbose = true
		case restore && a == "--converge":
			ext.restore.Converge = true
		case restore && a == "--dry-run":
			ext.restore.DryRun = true
		default:
			rest = append(rest, a)
		}
	}
	if ext.restore.Test && (ext.restore.Converge || ext.restore.DryRun) {
		return nil, ext, extensionError("--test cannot be combined with --converge or --dry-run")
	}
	return rest, ext, nil
}

// isRestore reports whether an invocation's first argument is -R.
func isRestore(args []string) bool {
	return len(args) > 0 && (args[0] == "-R" || args[0] == "--restore")
}

// restoreGCPercent is the garbage collector's target during a plain
// restore. It allocates a little for every line and keeps almost nothing,
// so the default (100) collects every few thousand lines for nothing; at
// 400 a 110,000-line restore runs about a third faster
// (BenchmarkRestoreLines) and its peak memory stays within 1.5x the
// original's. Converging keeps both whole tables, so it keeps the default.
const restoreGCPercent = 400

// tuneGC sets the garbage collector's target for a restore with opts.
func tuneGC(opts command.RestoreOptions) {
	if !opts.Converge && !opts.DryRun && !opts.Test {
		debug.SetGCPercent(restoreGCPercent)
	}
}

// catchInterrupts turns SIGINT and SIGTERM into a restore's Interrupt
// until stop is called. A signal that was ignored when the program started
// (SIGINT for a script's background job) stays ignored, as it does for
// the original.
func catchInterrupts() (<-chan command.Interruption, func()) {
	var catch []os.Signal
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		if !signal.Ignored(s) {
			catch = append(catch, s)
		}
	}
	out := make(chan command.Interruption, 1)
	if len(catch) == 0 {
		return out, func() {}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, catch...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			status := 128 + int(s.(syscall.Signal))
			out <- command.Interruption{Name: s.String(), Status: status}
		case <-done:
		}
	}()
	return out, func() { signal.Stop(sigs); close(done) }
}

// extensionFailure prints a misused extension's message; the status is 2.
func extensionFailure(env Env, prog string, err error) int {
	fmt.Fprintf(env.Stderr, "%s: %v\n", prog, err)
	return 2
}
