package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
)

// KeepSIGPIPEIgnored makes a broken standard output or error pipe end the
// program the way it ends the original when SIGPIPE is ignored (as under
// systemd, or after `trap ” PIPE`): the write fails and the program goes
// on, instead of dying of SIGPIPE (status 141) as it does otherwise.
//
// The Go runtime replaces an inherited "ignore" of SIGPIPE with its own
// handler before any of this program runs, so the inherited setting
// cannot be read: the parent's is taken instead. A process inherits its
// parent's ignored signals unless the parent resets them between fork and
// exec, which shells and systemd do not do for SIGPIPE.
func KeepSIGPIPEIgnored() {
	if ignores(os.Getppid(), unix.SIGPIPE) {
		signal.Ignore(unix.SIGPIPE)
	}
}

// ignores reports whether process pid ignores sig, from the SigIgn mask of
// /proc/PID/status.
func ignores(pid int, sig unix.Signal) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			return err == nil && m&(1<<(uint(sig)-1)) != 0
		}
	}
	return false
}

// errStdinClosed is what reading a standard input that was closed when
// the program started returns.
var errStdinClosed = errors.New("standard input is closed")

// closedInput is a standard input that was closed at start.
type closedInput struct{}

func (closedInput) Read([]byte) (int, error) { return 0, errStdinClosed }

// realStdin returns in, or a reader that fails with errStdinClosed when in
// is standard input and was closed when the program started. The Go
// runtime puts /dev/null, opened read-write, in the place of a closed
// standard descriptor; a shell's "< /dev/null" opens it read-only. Read as
// empty, a closed input would make ipvsadm-restore (and a converge) empty
// the table.
func realStdin(in io.Reader) io.Reader {
	f, ok := in.(*os.File)
	if !ok {
		return in
	}
	fd := int(f.Fd())
	if fd != 0 {
		return in
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || flags&unix.O_ACCMODE != unix.O_RDWR {
		return in
	}
	var st, null unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Stat(os.DevNull, &null) != nil {
		return in
	}
	if st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev {
		return closedInput{}
	}
	return in
}

// writeFailure reports a failed write of standard output: the message and
// the status (status itself, or 1 when it was 0). A broken pipe is not
// reported (SIGPIPE ends the program first unless it is ignored, and then
// the original says nothing either).
func writeFailure(env Env, err error, status int) int {
	if err == nil || errors.Is(err, syscall.EPIPE) {
		return status
	}
	fmt.Fprintf(env.Stderr, "%s: write error: %s\n", progName(env), command.SystemText(err))
	if status == 0 {
		status = 1
	}
	return status
}

// progName is the program's name for its own messages: argv[0] without
// its directory.
func progName(env Env) string { return filepath.Base(env.Args[0]) }
