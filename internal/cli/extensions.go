package cli

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
)

// restoreExtensions takes this program's own restore options (--test,
// --verbose) out of args, which must be the arguments after -R (or those
// of ipvsadm-restore). The original knows neither: it rejects them after
// -R ("unknown option") and its ipvsadm-restore ignores its arguments.
func restoreExtensions(args []string) (rest []string, opts command.RestoreOptions) {
	for _, a := range args {
		switch a {
		case "--test":
			opts.Test = true
		case "--verbose":
			opts.Verbose = true
		default:
			rest = append(rest, a)
		}
	}
	return rest, opts
}

// isRestore reports whether an invocation's first argument is -R.
func isRestore(args []string) bool {
	return len(args) > 0 && (args[0] == "-R" || args[0] == "--restore")
}

// catchInterrupts turns SIGINT and SIGTERM into a restore's Interrupt
// until stop is called.
func catchInterrupts() (<-chan command.Interruption, func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	out := make(chan command.Interruption, 1)
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
