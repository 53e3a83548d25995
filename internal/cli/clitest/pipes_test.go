package clitest

// How the program behaves on a slow pipe, under a signal, on a full disk
// and with an unreadable or closed standard input, side by side with the
// reference: the same where the reference keeps the rules, on purpose
// otherwise (the README's deliberate differences), each stated for both.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// both runs fn for the reference and for ours, as subtests.
func both(t *testing.T, fn func(t *testing.T, dir string, p program)) {
	for _, side := range []struct {
		name string
		dir  string
	}{{"reference", "/sbin"}, {"ours", oursDir}} {
		t.Run(side.name, func(t *testing.T) {
			fn(t, side.dir, program{filepath.Join(side.dir, "ipvsadm"), "ipvsadm"})
		})
	}
}

// shell runs a busybox sh script in ns with dir first on PATH (so that
// "ipvsadm", "ipvsadm-save" and "ipvsadm-restore" are that side's).
func shell(t *testing.T, ns *vmtest.NetNS, dir, script string) vmtest.Result {
	t.Helper()
	env := append([]string{"PATH=" + dir + ":" + vmtest.GuestPath}, guestEnv[1:]...)
	r, err := ns.Exec(2*time.Minute, env, "", "/bin/sh", "-c", script)
	if err != nil {
		t.Fatalf("%s: %v (%v)", script, err, r)
	}
	return r
}

// services returns n restore lines, one TCP service each.
func services(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "-A -t 10.%d.%d.%d:80 -s rr\n", 100+i/62500, i/250%250, i%250+1)
	}
	return b.String()
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventually polls cond for up to 5 s.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestRestoreFromSlowPipe (issue: -R held lines back and ignored SIGTERM
// while waiting): a line written into -R's pipe is carried out, and its
// error printed, before the next line comes; SIGTERM while -R waits for
// input ends it at once with status 143 and the line kept. Both programs.
func TestRestoreFromSlowPipe(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := vmtest.NewNetNS(t)
		cmd := exec.Command(p.path, "-R")
		cmd.Args[0], cmd.Env = p.argv0, guestEnv
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr lockedBuffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := ns.Start(cmd); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		io.WriteString(stdin, "-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n")
		if !eventually(func() bool { return table(t, ns) == "-A -t 10.0.0.1:80 -s rr\n" }) {
			t.Errorf("the first line was not applied while -R waited for more: table %q", table(t, ns))
		}
		if !eventually(func() bool { return stderr.String() == "Service already exists\n" }) {
			t.Errorf("the second line's error was not printed while -R waited for more: %q", stderr.String())
		}
		stderr.mu.Lock()
		stderr.b.Reset()
		stderr.mu.Unlock()
		start := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		ended := make(chan error, 1)
		go func() { ended <- cmd.Wait() }()
		select {
		case err = <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("-R did not end within 5 s of SIGTERM while it waited for input")
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("-R took %v to end after SIGTERM", took)
		}
		if st := statusOf(err); st != 143 {
			t.Errorf("status %d after SIGTERM, want 143", st)
		}
		if got := table(t, ns); got != "-A -t 10.0.0.1:80 -s rr\n" {
			t.Errorf("after SIGTERM the table is %q, want the first line's service", got)
		}
		want := ""
		if dir == oursDir { // ours says how far it got (a deliberate difference)
			want = "ipvsadm: restore interrupted by terminated: 1 line applied, the last at line 1; nothing after it was sent\n"
		}
		if got := stderr.String(); got != want {
			t.Errorf("stderr after SIGTERM %q, want %q", got, want)
		}
	})
}

// statusOf is the status a shell reports for a process that ended with
// err (from Wait).
func statusOf(err error) int {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return 0
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// TestRestoreEndlessInputTerminated: -R reading /dev/zero (input without
// end or newline) ends at once on SIGTERM. Both programs.
func TestRestoreEndlessInputTerminated(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := vmtest.NewNetNS(t)
		r := shell(t, ns, dir, `ipvsadm -R </dev/zero & pid=$!; sleep 1; kill -TERM $pid; start=$(date +%s); wait $pid; st=$?; echo "status $st, $(( $(date +%s) - start )) s"`)
		if r.Stdout != "status 143, 0 s\n" && r.Stdout != "status 143, 1 s\n" {
			t.Errorf("-R </dev/zero after SIGTERM: %v; want status 143 within a second", r)
		}
	})
}

// TestIgnoredSIGINTStaysIgnored: a restore started with SIGINT ignored (a
// script's background job) does not stop on SIGINT: it goes on and applies
// the line that comes after the signal. Both programs.
func TestIgnoredSIGINTStaysIgnored(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := vmtest.NewNetNS(t)
		r := shell(t, ns, dir, `(echo "-A -t 10.0.0.1:80 -s rr"; sleep 2; echo "-A -t 10.0.0.2:80 -s rr") | (trap '' INT; exec ipvsadm -R) &
pid=$!; sleep 1; kill -INT $pid; wait $pid; echo "status $?"`)
		if r.Stdout != "status 0\n" || r.Stderr != "" {
			t.Errorf("SIGINT to a restore that ignores it: %v; want status 0", r)
		}
		if got := table(t, ns); got != "-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -s rr\n" {
			t.Errorf("table %q, want both services", got)
		}
	})
}

// TestBrokenPipe: a listing into a pipe whose reader has gone dies of
// SIGPIPE (141) unless SIGPIPE is ignored, and then ends with status 0 and
// no message. Both programs, for -Sn, ipvsadm-save -n and -Ln.
func TestBrokenPipe(t *testing.T) {
	results := map[string][]vmtest.Result{}
	both(t, func(t *testing.T, dir string, p program) {
		ns := vmtest.NewNetNS(t)
		ipvsadm.must(t, ns, services(3000), "-R") // 90 KB of -Sn: more than a pipe holds
		for _, trap := range []string{"", "trap '' PIPE; "} {
			for _, list := range []string{"ipvsadm -Sn", "ipvsadm-save -n", "ipvsadm -Ln"} {
				r := shell(t, ns, dir, trap+"("+list+"; echo \"status $?\" >&2) | head -1")
				results[trap+list] = append(results[trap+list], r)
			}
		}
	})
	for what, rs := range results {
		if len(rs) != 2 {
			continue
		}
		same(t, what, rs[1], rs[0])
		want := "status 141\n"
		if strings.HasPrefix(what, "trap") {
			want = "status 0\n"
		}
		if rs[0].Stderr != want {
			t.Errorf("%s: reference %v, want %q on stderr", what, rs[0], want)
		}
	}
}

// TestWriteErrorReported (a deliberate difference): a listing or save whose
// output cannot be written (a full file system, /dev/full) exits 0 with a
// truncated file in 1.31; ours says so and exits 1.
func TestWriteErrorReported(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := vmtest.NewNetNS(t)
		ipvsadm.must(t, ns, services(3000), "-R")
		mnt := t.TempDir()
		if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=16k"); err != nil {
			t.Fatal(err)
		}
		defer syscall.Unmount(mnt, syscall.MNT_DETACH)
		for _, list := range []string{"ipvsadm -Sn", "ipvsadm-save -n", "ipvsadm -Ln", "ipvsadm -Ln --stats"} {
			for _, target := range []string{mnt + "/out", "/dev/full"} {
				r := shell(t, ns, dir, list+" >"+target+`; echo "status $?"`)
				os.Remove(mnt + "/out")
				want := vmtest.Result{Stdout: "status 0\n"}
				if dir == oursDir {
					prog := strings.Fields(list)[0]
					want = vmtest.Result{Stdout: "status 1\n", Stderr: prog + ": write error: No space left on device\n"}
				}
				if r != want {
					t.Errorf("%s >%s: %v\nwant %v", list, target, r, want)
				}
			}
		}
	})
}

// oneService is the table of oneServiceNS.
const oneService = "-A -t 10.0.0.1:80 -s rr\n"

// oneServiceNS returns a fresh namespace holding oneService.
func oneServiceNS(t *testing.T) *vmtest.NetNS {
	t.Helper()
	ns := vmtest.NewNetNS(t)
	ipvsadm.must(t, ns, "", "-A", "-t", "10.0.0.1:80", "-s", "rr")
	return ns
}

// unchanged fails the test unless ns still holds just oneService after
// what ran.
func unchanged(t *testing.T, ns *vmtest.NetNS, what string) {
	t.Helper()
	if got := table(t, ns); got != oneService {
		t.Errorf("%s changed the table: %q", what, got)
	}
}

// TestClosedStdin (a deliberate difference): ipvsadm-restore with its
// standard input closed hangs in 1.31 (bash's command substitution pipe
// becomes grep's input); ours says the input is closed and changes
// nothing, also with --converge, where reading it as empty would delete
// every service.
func TestClosedStdin(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := oneServiceNS(t)
		cases := map[string]vmtest.Result{
			"ipvsadm-restore":            {Stdout: "status 1\n", Stderr: "ipvsadm-restore: reading the input: standard input is closed; nothing was changed\n"},
			"ipvsadm-restore --converge": {Stdout: "status 1\n", Stderr: "ipvsadm-restore: reading the input: standard input is closed; nothing was changed\n"},
			"ipvsadm -R --converge":      {Stdout: "status 1\n", Stderr: "ipvsadm: reading the input: standard input is closed; nothing was changed\n"},
		}
		if dir != oursDir {
			cases = map[string]vmtest.Result{"ipvsadm-restore": {Stdout: "status 143\n"}}
		}
		for cmdline, want := range cases {
			script := `(exec <&-; timeout 3 ` + cmdline + `); echo "status $?"`
			if dir != oursDir {
				// The reference's grep waits on its own output pipe
				// for ever, holding stderr open: keep it away from
				// ours and stop it afterwards.
				script = `(exec <&- 2>/dev/null; timeout 3 ` + cmdline + `); echo "status $?"; pkill -x grep`
			}
			r := shell(t, ns, dir, script)
			if r.Stdout != want.Stdout || !strings.HasSuffix(r.Stderr, want.Stderr) {
				t.Errorf("%s <&-: %v\nwant %v", cmdline, r, want)
			}
			unchanged(t, ns, cmdline+" <&-")
		}
	})
}

// TestUnreadableInput (a deliberate difference): -R from a directory ends
// silently with status 0 in 1.31; ours says why (status 1), also with
// --test, and ipvsadm-restore changes nothing.
func TestUnreadableInput(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := oneServiceNS(t)
		cases := map[string]vmtest.Result{
			"ipvsadm -R":        {Stdout: "status 1\n", Stderr: "ipvsadm: reading the input: Is a directory\n"},
			"ipvsadm -R --test": {Stdout: "status 1\n", Stderr: "ipvsadm: reading the input: Is a directory; nothing was changed\n"},
			"ipvsadm-restore":   {Stdout: "status 1\n", Stderr: "ipvsadm-restore: reading the input: Is a directory; nothing was changed\n"},
		}
		if dir != oursDir {
			cases = map[string]vmtest.Result{"ipvsadm -R": {Stdout: "status 0\n"}}
		}
		for cmdline, want := range cases {
			if r := shell(t, ns, dir, cmdline+` </tmp; echo "status $?"`); r != want {
				t.Errorf("%s </tmp: %v\nwant %v", cmdline, r, want)
			}
			unchanged(t, ns, cmdline+" </tmp")
		}
	})
}

// TestRestoreScriptNULBytes: ipvsadm-restore reads NUL bytes as the bash
// script does (dropped, with bash's warning); -R cuts a word at a NUL, as
// C strings end there. Ours and the reference print and leave the same.
func TestRestoreScriptNULBytes(t *testing.T) {
	const input = `printf -- '-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.2:80 -s rr -p 60 -M 255.255\000.255.255\n-A -t 10.0.0.3:80 -s r\000r\n'`
	results := map[string][]vmtest.Result{}
	both(t, func(t *testing.T, dir string, p program) {
		for _, cmdline := range []string{"ipvsadm-restore", "ipvsadm -R"} {
			ns := vmtest.NewNetNS(t)
			r := shell(t, ns, dir, input+` | `+cmdline+`; echo "status $?"`)
			r.Stderr = strings.ReplaceAll(r.Stderr, dir+"/", "DIR/")
			r.Stdout += table(t, ns)
			results[cmdline] = append(results[cmdline], r)
		}
	})
	for cmdline, rs := range results {
		if len(rs) == 2 {
			same(t, cmdline, rs[1], rs[0])
		}
	}
}

// TestRestoreOptionTypo (a deliberate difference): 1.31's ipvsadm-restore
// ignores its arguments, so a mistyped --dry-run clears and reloads the
// table; ours refuses it (status 2) and changes nothing.
func TestRestoreOptionTypo(t *testing.T) {
	both(t, func(t *testing.T, dir string, p program) {
		ns := oneServiceNS(t)
		r := shell(t, ns, dir, `echo "-A -t 10.0.0.2:80 -s rr" | ipvsadm-restore --dryrun; echo "status $?"`)
		want, wantTable := vmtest.Result{Stdout: "status 0\n"}, "-A -t 10.0.0.2:80 -s rr\n"
		if dir == oursDir {
			want = vmtest.Result{Stdout: "status 2\n", Stderr: "ipvsadm-restore: unknown option --dryrun (the options are --test, --verbose, --converge, --dry-run and --netns NAME); nothing was changed\n"}
			wantTable = oneService
		}
		if r != want {
			t.Errorf("ipvsadm-restore --dryrun: %v\nwant %v", r, want)
		}
		if got := table(t, ns); got != wantTable {
			t.Errorf("table %q, want %q", got, wantTable)
		}
	})
}

// TestRestoreTestUnprivileged: ipvsadm-restore --test needs no kernel and
// no privilege; any user can check a rules file.
func TestRestoreTestUnprivileged(t *testing.T) {
	ns := vmtest.NewNetNS(t)
	cmd := exec.Command(restore.path, "--test")
	cmd.Args[0], cmd.Env = restore.argv0, guestEnv
	cmd.Stdin = strings.NewReader("-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m\n-a -t 10.0.0.2:80 -r 10.1.0.1:80 -m\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := ns.Start(cmd); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	const want = "line 3: Service not defined\nipvsadm: checked 3 lines: 1 problem\n"
	if statusOf(err) != 1 || stderr.String() != want || stdout.Len() != 0 {
		t.Errorf("ipvsadm-restore --test as nobody: status %d, stdout %q, stderr %q; want 1 and %q", statusOf(err), stdout.String(), stderr.String(), want)
	}
}
