// Package clitest runs the built ipvsadm binary (all three personalities)
// against the real kernel in the test VM, for what only shows there: the
// --netns option, which works on another network namespace than the
// caller's, through the netlink socket and through the namespace's own
// /proc/net files.
package clitest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/netns"
	"github.com/ipvsadm-go/ipvsadm/internal/service"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// oursDir is where our binary and its two links are in the VM: not on
// PATH, so that the reference scripts (which call "ipvsadm") never run
// ours.
const oursDir = vmtest.OursDir

// completionFile is where the bash completion is in the VM.
const completionFile = "/opt/ipvsadm-go/ipvsadm.bash"

// guestEnv is the environment of every process the tests start.
var guestEnv = []string{"PATH=" + vmtest.GuestPath, "HOME=/root", "LC_ALL=C"}

func TestMain(m *testing.M) {
	var opts []vmtest.Option
	if !vmtest.InGuest() {
		root, err := service.ModuleRoot()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		opts = append(opts, vmtest.WithOurs(oursDir),
			vmtest.WithFile(completionFile, filepath.Join(root, "cmd/ipvsadm/completion/ipvsadm.bash")))
	}
	os.Exit(vmtest.Main(m, opts...))
}

// program is a binary to run and the name it is called by (argv[0]).
type program struct{ path, argv0 string }

var (
	ipvsadm    = program{oursDir + "/ipvsadm", "ipvsadm"}
	save       = program{oursDir + "/ipvsadm-save", "ipvsadm-save"}
	restore    = program{oursDir + "/ipvsadm-restore", "ipvsadm-restore"}
	refIpvsadm = program{"/sbin/ipvsadm", "ipvsadm"}
	refSave    = program{"/sbin/ipvsadm-save", "ipvsadm-save"}
	refRestore = program{"/sbin/ipvsadm-restore", "ipvsadm-restore"}
)

// run runs p with args inside ns, stdin as its input, and returns what it
// did. It fails the test when the program cannot be run or hangs.
func (p program) run(t testing.TB, ns *vmtest.NetNS, stdin string, args ...string) vmtest.Result {
	t.Helper()
	cmd := exec.Command(p.path, args...)
	cmd.Args[0] = p.argv0
	cmd.Env = guestEnv
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := ns.Start(cmd); err != nil {
		t.Fatalf("%s %q: %v", p.argv0, args, err)
	}
	timer := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("%s %q: killed after 2 minutes", p.argv0, args)
	}
	r := vmtest.Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("%s %q: %v", p.argv0, args, err)
		}
		r.Status = ee.ExitCode()
	}
	return r
}

// must runs p and fails the test unless it succeeds without a word on
// stderr; it returns stdout.
func (p program) must(t testing.TB, ns *vmtest.NetNS, stdin string, args ...string) string {
	t.Helper()
	r := p.run(t, ns, stdin, args...)
	if r.Status != 0 || r.Stderr != "" {
		t.Fatalf("%s %s: %v", p.argv0, strings.Join(args, " "), r)
	}
	return r.Stdout
}

// table is ns's table as the reference "ipvsadm -Sn" saves it.
func table(t testing.TB, ns *vmtest.NetNS) string {
	t.Helper()
	return refIpvsadm.must(t, ns, "", "-Sn")
}

var named atomic.Int32

// name gives ns a name as "ip netns add" does: a file under
// /var/run/netns that the namespace is bind-mounted on (busybox's ip has
// no "netns"). The name goes when the test ends.
func name(t testing.TB, ns *vmtest.NetNS) string {
	t.Helper()
	n := fmt.Sprintf("clitest-%d", named.Add(1))
	target := filepath.Join(netns.RunDir, n)
	if err := os.MkdirAll(netns.RunDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(fmt.Sprintf("/proc/self/fd/%d", ns.FD()), target, "", unix.MS_BIND, ""); err != nil {
		os.Remove(target)
		t.Fatalf("bind-mounting the namespace on %s: %v", target, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", target, err)
		}
		os.Remove(target)
	})
	return n
}

// same fails the test unless got (ours) and want (the reference) printed
// the same and ended the same.
func same(t testing.TB, what string, got, want vmtest.Result) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\nours:      %v\nreference: %v", what, got, want)
	}
}

// expires matches the expiry column of a connection listing (the second),
// which ticks between two runs.
var expires = regexp.MustCompile(`(?m)^(\S+ +)\d\d:\d\d `)

// withoutExpiry blanks the expiry times of a connection listing.
func withoutExpiry(r vmtest.Result) vmtest.Result {
	r.Stdout = expires.ReplaceAllString(r.Stdout, "${1}MM:SS ")
	return r
}
