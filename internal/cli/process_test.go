package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRestoreRefusesOptionTypos: ipvsadm-restore refuses a word that
// looks like one of its options mistyped, with status 2, before it reads
// its input or touches the kernel (this host has no IPVS, so a connection
// attempt would print "Can't initialize ipvs"); the words the original
// ignores, such as -n, still pass.
func TestRestoreRefusesOptionTypos(t *testing.T) {
	for _, word := range []string{"--dryrun", "--Converge", "--converge=yes", "--tset", "-converge", "-Test", "--verbose=1"} {
		var stdout, stderr strings.Builder
		st := Main(Env{Args: []string{"ipvsadm-restore", word}, Stdin: errReader{}, Stdout: &stdout, Stderr: &stderr})
		want := "ipvsadm-restore: unknown option " + word + " (the options are --test, --verbose, --converge, --dry-run and --netns NAME); nothing was changed\n"
		if st != 2 || stderr.String() != want || stdout.Len() != 0 {
			t.Errorf("ipvsadm-restore %s: status %d, stderr %q; want 2 and %q", word, st, stderr.String(), want)
		}
	}
	for _, args := range [][]string{{"-n"}, {"--"}, {"rules"}, {"-f", "x"}} {
		words, _, err := takeExtensions(args, true)
		if err == nil {
			err = checkRestoreWords(words)
		}
		if err != nil {
			t.Errorf("ipvsadm-restore %q: %v, want it ignored as the original does", args, err)
		}
	}
}

// errReader fails every read; input that must not be read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("read the input") }

// TestRestoreTestNeedsNoKernel: ipvsadm-restore --test checks against the
// empty table the restore starts from, so it needs no kernel (this host
// has none) and no privilege. It reads its input as the original script
// does: NUL bytes dropped, with bash's warning.
func TestRestoreTestNeedsNoKernel(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		status      int
		stderr      string
	}{
		{"clean", "# saved\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m\n", 0,
			"ipvsadm: checked 2 lines: 0 problems\n"},
		{"problems", "-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m\n-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n", 1,
			"line 1: Service not defined\nline 3: Service already exists\nipvsadm: checked 3 lines: 2 problems\n"},
		{"NUL bytes", "-A -t 10.0.0.1:80 -s r\x00r -p 6\x000\n", 0,
			"/sbin/ipvsadm-restore: line 23: warning: command substitution: ignored null byte in input\nipvsadm: checked 1 line: 0 problems\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			st := Main(Env{Args: []string{"/sbin/ipvsadm-restore", "--test"}, Stdin: strings.NewReader(tc.input), Stdout: &stdout, Stderr: &stderr})
			if st != tc.status || stderr.String() != tc.stderr || stdout.Len() != 0 {
				t.Errorf("status %d, stderr %q, stdout %q; want %d and %q", st, stderr.String(), stdout.String(), tc.status, tc.stderr)
			}
		})
	}
}

// TestRestoreUnreadableInput: ipvsadm-restore says why it cannot read its
// input and changes nothing (it would otherwise clear the table).
func TestRestoreUnreadableInput(t *testing.T) {
	for _, tc := range []struct {
		in   io.Reader
		want string
	}{
		{errorInput{syscall.EISDIR}, "ipvsadm-restore: reading the input: Is a directory; nothing was changed\n"},
		{closedInput{}, "ipvsadm-restore: reading the input: standard input is closed; nothing was changed\n"},
	} {
		var stderr strings.Builder
		st := Main(Env{Args: []string{"ipvsadm-restore"}, Stdin: tc.in, Stdout: &strings.Builder{}, Stderr: &stderr})
		if st != 1 || stderr.String() != tc.want {
			t.Errorf("status %d, stderr %q; want 1 and %q", st, stderr.String(), tc.want)
		}
	}
}

type errorInput struct{ err error }

func (e errorInput) Read([]byte) (int, error) {
	return 0, &os.PathError{Op: "read", Path: "/dev/stdin", Err: e.err}
}

// failingWriter fails every write with err.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// TestWriteFailureReported: a failed write of standard output is reported
// with the system's words and a non-zero status; a broken pipe is not.
func TestWriteFailureReported(t *testing.T) {
	for _, tc := range []struct {
		err         error
		status      int
		wantStatus  int
		wantMessage string
	}{
		{syscall.ENOSPC, 0, 1, "ipvsadm-save: write error: No space left on device\n"},
		{syscall.EIO, 2, 2, "ipvsadm-save: write error: Input/output error\n"},
		{syscall.EPIPE, 0, 0, ""},
		{nil, 0, 0, ""},
	} {
		w := newStdoutWriter(failingWriter{&os.PathError{Op: "write", Path: "/dev/stdout", Err: tc.err}})
		if tc.err == nil {
			w = newStdoutWriter(&strings.Builder{})
		}
		fmt.Fprintln(w, "-A -t 10.0.0.1:80 -s rr")
		var stderr strings.Builder
		st := writeFailure(Env{Args: []string{"/usr/sbin/ipvsadm-save"}, Stderr: &stderr}, w.Flush(), tc.status)
		if st != tc.wantStatus || stderr.String() != tc.wantMessage {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", tc.err, st, stderr.String(), tc.wantStatus, tc.wantMessage)
		}
	}
}

// TestClosedStdinDetected runs this test binary with standard input
// closed (the Go runtime then opens /dev/null read-write in its place), and
// with "< /dev/null" (read-only): only the first is a closed input.
func TestClosedStdinDetected(t *testing.T) {
	if os.Getenv("CLI_TEST_STDIN_CHILD") == "1" {
		_, closed := realStdin(os.Stdin).(closedInput)
		fmt.Print(closed)
		os.Exit(0)
	}
	for _, tc := range []struct {
		name   string
		script string
		want   string
	}{
		{"closed", `exec "$0" -test.run '^TestClosedStdinDetected$' <&-`, "true"},
		{"dev null", `exec "$0" -test.run '^TestClosedStdinDetected$' </dev/null`, "false"},
		{"pipe", `echo x | "$0" -test.run '^TestClosedStdinDetected$'`, "false"},
	} {
		cmd := exec.Command("/bin/sh", "-c", tc.script, os.Args[0])
		cmd.Env = append(os.Environ(), "CLI_TEST_STDIN_CHILD=1")
		out, err := cmd.Output()
		if err != nil || string(out) != tc.want {
			t.Errorf("%s: %q, %v; want %s", tc.name, out, err, tc.want)
		}
	}
}

// TestIgnoresReadsSigIgn: the SigIgn mask of /proc is read for the signal
// asked about.
func TestIgnoresReadsSigIgn(t *testing.T) {
	for _, tc := range []struct {
		trap string
		want bool
	}{{"trap '' PIPE", true}, {":", false}} {
		cmd := exec.Command("/bin/sh", "-c", tc.trap+`; sleep 5`)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// sh applies the trap at once; give it a moment to get there.
		var got bool
		for range 50 {
			if got = ignores(cmd.Process.Pid, syscall.SIGPIPE); got == tc.want {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if got != tc.want {
			t.Errorf("%s: ignores SIGPIPE = %v, want %v", tc.trap, got, tc.want)
		}
	}
}
