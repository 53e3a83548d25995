package command

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/rule"
)

// sinkKernel is a Backend that accepts every change and reports each
// batch's size on batches.
type sinkKernel struct {
	Backend
	batches chan int
}

func (k *sinkKernel) Changes(cs []rule.Command) []error {
	k.batches <- len(cs)
	return make([]error, len(cs))
}

// endsInterrupted waits up to 5 s for a restore, which sends its status
// to done, to end after an interruption, and checks the status.
func endsInterrupted(t *testing.T, done <-chan int, status int) {
	t.Helper()
	select {
	case st := <-done:
		if st != status {
			t.Errorf("status %d, want %d", st, status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the restore did not end within 5 s of the interruption")
	}
}

// waitBatch returns the size of the next batch, or fails after a while.
func waitBatch(t *testing.T, k *sinkKernel, what string) int {
	t.Helper()
	select {
	case n := <-k.batches:
		return n
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no batch sent after 5 s", what)
		return 0
	}
}

// TestRestoreStreams feeds a restore through a pipe, as a slow producer or
// a co-process does: every line is carried out before the restore waits
// for the next, and a line's error is printed then, not at the end.
func TestRestoreStreams(t *testing.T) {
	k := &sinkKernel{batches: make(chan int, 10)}
	pr, pw := io.Pipe()
	var stderr syncBuffer
	r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm"}
	done := make(chan int)
	go func() { done <- r.Restore(pr) }()

	io.WriteString(pw, "-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -s rr\n")
	if n := waitBatch(t, k, "two lines, then a pause"); n != 2 {
		t.Errorf("first batch has %d requests, want 2", n)
	}
	io.WriteString(pw, "-A -t 10.0.0.3:80 -s nosuch -x\n")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "-x") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "-x") {
		t.Errorf("a bad line's error was not printed while the restore waited for more; stderr %q", stderr.String())
	}
	io.WriteString(pw, "-A -t 10.0.0.4:80 -s rr\n")
	waitBatch(t, k, "one more line")
	pw.Close()
	if st := <-done; st != 0 {
		t.Errorf("status %d, want 0 (the last line's)", st)
	}
}

// TestRestoreBatchesReadyInput: input that is already there goes to the
// kernel in full batches.
func TestRestoreBatchesReadyInput(t *testing.T) {
	k := &sinkKernel{batches: make(chan int, 100)}
	var in strings.Builder
	for i := range 3 * batchLimit {
		in.WriteString("-A -t 10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1) + ":80 -s rr\n")
	}
	r := &Runner{Backend: k, Stdout: io.Discard, Stderr: io.Discard, Prog: "ipvsadm"}
	if st := r.Restore(strings.NewReader(in.String())); st != 0 {
		t.Fatalf("status %d", st)
	}
	close(k.batches)
	var sizes []int
	for n := range k.batches {
		sizes = append(sizes, n)
	}
	if len(sizes) > 4 { // a slow reader may leave one batch split in two
		t.Errorf("batches of %v requests, want about 3 of %d", sizes, batchLimit)
	}
}

// TestRestoreInterruptedWhileWaiting delivers an interruption while the
// restore waits for input that does not come: it ends at once, with the
// lines it had read applied.
func TestRestoreInterruptedWhileWaiting(t *testing.T) {
	k := &sinkKernel{batches: make(chan int, 10)}
	pr, pw := io.Pipe()
	defer pw.Close()
	intr := make(chan Interruption, 1)
	var stderr syncBuffer
	r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Interrupt: intr}}
	done := make(chan int)
	go func() { done <- r.Restore(pr) }()
	io.WriteString(pw, "-A -t 10.0.0.1:80 -s rr\n")
	waitBatch(t, k, "the first line")
	intr <- Interruption{Name: "SIGTERM", Status: 143}
	endsInterrupted(t, done, 143)
	const want = "ipvsadm: restore interrupted by SIGTERM: 1 line applied, the last at line 1; nothing after it was sent\n"
	if got := stderr.String(); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

// TestRestoreReadError: input that cannot be read is reported, with the
// system's words, and the status is 1.
func TestRestoreReadError(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		verbose     bool
		want        string
	}{
		{"at once", "", false, "ipvsadm: reading the input: Is a directory\n"},
		{"after a line", "-A -t 10.0.0.1:80 -s rr\n", false, "ipvsadm: reading the input after line 1: Is a directory\n"},
		{"verbose", "-A -t 10.0.0.1:80 -s rr\n", true, "ipvsadm: reading the input after line 1: Is a directory\n" +
			"ipvsadm: restore: 1 change applied (the last at line 1), 0 lines failed; could not read the input after line 1; exit status 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := &sinkKernel{batches: make(chan int, 10)}
			var stderr strings.Builder
			r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Verbose: tc.verbose}}
			in := io.MultiReader(strings.NewReader(tc.input), errReader{&errPath{syscall.EISDIR}})
			if st := r.Restore(in); st != 1 {
				t.Errorf("status %d, want 1", st)
			}
			if stderr.String() != tc.want {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}

// TestVerboseReportWording: counts of none and of one read as English.
func TestVerboseReportWording(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"-A -t 10.0.0.1:80 -s nosuch -x\n", "ipvsadm: restore: no changes applied, 1 line failed; exit status 255\n"},
		{"-A -t 10.0.0.1:80 -s rr\n", "ipvsadm: restore: 1 change applied (the last at line 1), 0 lines failed; exit status 0\n"},
	} {
		k := &sinkKernel{batches: make(chan int, 10)}
		var stderr strings.Builder
		r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: RestoreOptions{Verbose: true}}
		r.Restore(strings.NewReader(tc.input))
		if got := stderr.String(); !strings.HasSuffix(got, tc.want) {
			t.Errorf("input %q: stderr %q, want it to end with %q", tc.input, got, tc.want)
		}
	}
}

// TestByteOrderMarkNamed: a rules file that starts with a UTF-8 byte-order
// mark gets only the original's usage hint by default, and a note that
// names the mark under --verbose and --test.
func TestByteOrderMarkNamed(t *testing.T) {
	const input = "\xef\xbb\xbf-A -t 10.0.0.1:80 -s rr\n"
	for _, opts := range []RestoreOptions{{}, {Verbose: true}, {Test: true, FromEmpty: true}} {
		k := &sinkKernel{batches: make(chan int, 10)}
		var stderr strings.Builder
		r := &Runner{Backend: k, Stdout: io.Discard, Stderr: &stderr, Prog: "ipvsadm", RestoreOptions: opts}
		r.Restore(strings.NewReader(input))
		named := strings.Contains(stderr.String(), "line 1: the line starts with a UTF-8 byte-order mark")
		if named != (opts.Verbose || opts.Test) {
			t.Errorf("options %+v: stderr %q", opts, stderr.String())
		}
	}
}

type errPath struct{ errno syscall.Errno }

func (e *errPath) Error() string { return "read /dev/stdin: " + e.errno.Error() }
func (e *errPath) Unwrap() error { return e.errno }

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// syncBuffer is a strings.Builder that a restore in another goroutine
// writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
