package cli

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
)

// recorder records each write separately, to see where a buffer flushes.
type recorder struct{ writes []string }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func TestStdoutWriterBlocks(t *testing.T) {
	rec := &recorder{}
	w := newStdoutWriter(rec) // not a file: 4096-byte blocks, as stdio on a pipe
	w.WriteString(strings.Repeat("a", 4000))
	if len(rec.writes) != 0 {
		t.Fatalf("wrote before a block was full: %d writes", len(rec.writes))
	}
	w.WriteString(strings.Repeat("b", 5000)) // 9000 buffered: two blocks go out
	if len(rec.writes) != 1 || len(rec.writes[0]) != 8192 {
		t.Fatalf("after 9000 bytes: writes of %v bytes, want one of 8192", lens(rec.writes))
	}
	w.Flush()
	if len(rec.writes) != 2 || len(rec.writes[1]) != 808 {
		t.Fatalf("after Flush: writes of %v bytes, want 8192 then 808", lens(rec.writes))
	}
	if got := strings.Join(rec.writes, ""); got != strings.Repeat("a", 4000)+strings.Repeat("b", 5000) {
		t.Error("bytes changed on the way")
	}
}

// TestStdoutWriterAvailableBuffer writes lines appended into the writer's
// own free space, as the listings do, across several block boundaries:
// the same bytes in the same 4096-byte blocks as plain writes, and no
// allocation once the buffer has room.
func TestStdoutWriterAvailableBuffer(t *testing.T) {
	var want strings.Builder
	rec := &recorder{}
	w := newStdoutWriter(rec)
	for i := 0; i < 1000; i++ {
		b := append(w.AvailableBuffer(), "  -> 10.0.0."...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, ":80  Masq  1  0  0\n"...)
		want.Write(b)
		w.Write(b)
	}
	w.Flush()
	for i, n := range lens(rec.writes) {
		if i < len(rec.writes)-1 && n != 4096 {
			t.Fatalf("write %d of %d bytes, want blocks of 4096: %v", i, n, lens(rec.writes))
		}
	}
	if got := strings.Join(rec.writes, ""); got != want.String() {
		t.Errorf("bytes changed on the way: got %d bytes, want %d", len(got), want.Len())
	}
	allocs := testing.AllocsPerRun(100, func() {
		w.Write(append(w.AvailableBuffer(), "  -> 10.0.0.1:80  Masq  1  0  0\n"...))
	})
	if allocs > 0.1 {
		t.Errorf("a line written through AvailableBuffer allocates %.2f times", allocs)
	}
}

func lens(ws []string) []int {
	var n []int
	for _, w := range ws {
		n = append(n, len(w))
	}
	return n
}

// TestRestoreScriptInput checks what the ipvsadm-restore personality feeds
// to -R: the original script's `grep -v '^#'`, command substitution and
// `echo "$INPUT"`.
func TestRestoreScriptInput(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "\n"},
		{"-A -t 1.1.1.1:80\n", "-A -t 1.1.1.1:80\n"},
		{"# saved\n-A -t 1.1.1.1:80\n#x\n\n\n", "-A -t 1.1.1.1:80\n"},
		{"  # indented stays\n-A -t 1.1.1.1:80", "  # indented stays\n-A -t 1.1.1.1:80\n"},
		{"-A -t 1.1.1.1:80 \t", "-A -t 1.1.1.1:80 \t\n"},
		{"a\n\n\nb\n\n", "a\n\n\nb\n"},
		{"-n\n", ""},   // echo takes it as its option: no output at all
		{"-e\n", "\n"}, // likewise, but with the newline
		{"-x\n", "-x\n"},
	} {
		if got := string(shellEcho(dropComments([]byte(tc.in)))); got != tc.want {
			t.Errorf("input %q: -R gets %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTakeExtensions(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		restore bool
		rest    string
		want    extensions
		err     string
	}{
		{args: []string{"-R", "--test", "x", "--verbose"}, restore: true, rest: "-R x",
			want: extensions{restore: command.RestoreOptions{Test: true, Verbose: true}}},
		{args: []string{"-R", "--converge", "--dry-run"}, restore: true, rest: "-R",
			want: extensions{restore: command.RestoreOptions{Converge: true, DryRun: true}}},
		{args: []string{"-L", "--test"}, rest: "-L --test"}, // not a restore: left to the original's parser
		{args: []string{"--netns", "blue", "-Ln", "--json"}, rest: "-Ln", want: extensions{netns: "blue", json: true}},
		{args: []string{"-Ln", "--netns=/proc/1/ns/net"}, rest: "-Ln", want: extensions{netns: "/proc/1/ns/net"}},
		{args: []string{"-A", "--", "--json"}, rest: "-A -- --json"},
		{args: []string{"-Ln", "--netns"}, err: "option --netns needs the name of a network namespace"},
		{args: []string{"--netns="}, err: "option --netns needs the name of a network namespace"},
		{args: []string{"-R", "--test", "--converge"}, restore: true, err: "--test cannot be combined with --converge or --dry-run"},
	} {
		rest, ext, err := takeExtensions(tc.args, tc.restore)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || strings.Join(rest, " ") != tc.rest || ext != tc.want {
			t.Errorf("%q: got %q %+v %v, want %q %+v", tc.args, rest, ext, err, tc.rest, tc.want)
		}
	}
	if !isRestore([]string{"--restore"}) || isRestore([]string{"-L", "-R"}) || isRestore(nil) {
		t.Error("isRestore")
	}
}

func TestSaveScriptUsage(t *testing.T) {
	var stderr bytes.Buffer
	status := saveMain(Env{Args: []string{"/usr/sbin/ipvsadm-save", "-n", "-x"}, Stderr: &stderr, Stdout: &bytes.Buffer{}})
	want := "ipvsadm-save: Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n"
	if status != 1 || stderr.String() != want {
		t.Errorf("status %d, stderr %q", status, stderr.String())
	}
}
