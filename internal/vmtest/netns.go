package vmtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
)

// NetNS is a network namespace made for one test. IPVS keeps one table per
// namespace, so a fresh namespace starts with an empty table.
type NetNS struct {
	fd int
}

// NewNetNS makes a fresh network namespace with its loopback interface up
// and closes it when the test ends. It fails the test outside the VM.
//
// Before closing, it empties the namespace's IPVS table (see FlushIPVS), so
// that the kernel's asynchronous teardown of the namespace has no services
// left to remove while the next test lists its own.
func NewNetNS(t testing.TB) *NetNS {
	t.Helper()
	if !InGuest() {
		t.Fatal("vmtest: a network namespace is made only inside the test VM (call vmtest.Main from TestMain)")
	}
	ns, err := CreateNetNS()
	if err != nil {
		t.Fatalf("vmtest: %v", err)
	}
	t.Cleanup(func() {
		if err := ns.FlushIPVS(); err != nil {
			t.Logf("vmtest: %v", err)
		}
		ns.Close()
	})
	return ns
}

// FlushIPVS removes every virtual service from the namespace's IPVS table,
// synchronously.
//
// IPVS keeps the services of all namespaces in one hash table, and resumes
// a multi-part service dump (or a read of /proc/net/ip_vs) by position in
// it. A namespace that is merely closed is torn down later by a kernel
// worker, whose removal of its services can shift those positions under a
// listing in another namespace, which then repeats or misses a service.
// Flushing first makes the removal happen before the next test begins.
func (n *NetNS) FlushIPVS() error {
	c, err := ipvs.Dial(&ipvs.Config{NetNS: n.fd})
	if err != nil {
		return fmt.Errorf("flushing the namespace's IPVS table: %w", err)
	}
	defer c.Close()
	if err := c.Do(ipvs.FlushRequest()); err != nil {
		return fmt.Errorf("flushing the namespace's IPVS table: %w", err)
	}
	return nil
}

// FD returns the namespace's file descriptor, for netlink.Config.NetNS and
// the like.
func (n *NetNS) FD() int { return n.fd }

// CreateNetNS makes a fresh network namespace with its loopback interface
// up, outside of a test (NewNetNS is the test form); the caller closes it.
// It needs CAP_SYS_ADMIN, not the test VM. An unshare failure is wrapped,
// so errors.Is(err, unix.ENOSPC) tells that the namespace limit
// (/proc/sys/user/max_net_namespaces) is reached.
func CreateNetNS() (*NetNS, error) {
	var ns *NetNS
	err := onThreadIn(-1, func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open namespace: %w", err)
		}
		ns = &NetNS{fd: fd}
		return loopbackUp()
	})
	if err != nil {
		if ns != nil {
			ns.Close()
		}
		return nil, err
	}
	return ns, nil
}

// Close drops this process's reference to the namespace; the kernel tears
// it down once nothing else (socket, process) holds it.
func (n *NetNS) Close() error { return unix.Close(n.fd) }

// Do runs fn on an OS thread that is inside the namespace. Processes
// started by fn (exec.Cmd.Start) are created inside it too.
func (n *NetNS) Do(fn func() error) error { return onThreadIn(n.fd, fn) }

// Start starts cmd inside the namespace.
func (n *NetNS) Start(cmd *exec.Cmd) error {
	return n.Do(cmd.Start)
}

// Run runs cmd inside the namespace and waits for it.
func (n *NetNS) Run(cmd *exec.Cmd) error {
	if err := n.Start(cmd); err != nil {
		return err
	}
	return cmd.Wait()
}

// onThreadIn runs fn on a locked OS thread that has entered the namespace
// fd (or, with fd < 0, that fn may move to another namespace), then puts
// the thread back into its original namespace. A thread that cannot go
// back is not reused: it stays locked and exits with its goroutine.
func onThreadIn(fd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open current namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if fd >= 0 {
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				runtime.UnlockOSThread()
				errc <- fmt.Errorf("enter namespace: %w", err)
				return
			}
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("return to namespace: %w", err)
			return // the thread stays locked and is discarded
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// loopbackUp sets lo up in the calling thread's namespace.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("set lo up: %w", err)
	}
	return nil
}

// Result is what a process printed and how it ended.
type Result struct {
	Stdout, Stderr string
	// Status is the exit status, or 128 plus the signal's number for a
	// process killed by a signal, as a shell reports it.
	Status int
}

// String shows the result with its output quoted.
func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %q\nstderr: %q", r.Status, r.Stdout, r.Stderr)
}

// Exec runs name with args inside the namespace, with environment env and
// working directory dir (empty: the caller's), captures its output and
// returns how it ended. The error is for a process that could not be run
// or that did not end within timeout (it is then killed).
func (n *NetNS) Exec(timeout time.Duration, env []string, dir, name string, args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env, cmd.Dir = env, dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := n.Run(cmd)
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return r, fmt.Errorf("%s: timed out after %s", name, timeout)
	case errors.As(err, &exit):
		r.Status = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Status = 128 + int(ws.Signal())
		}
	case err != nil:
		return r, err
	}
	return r, nil
}

// GuestPath is the PATH of the guest's processes, as the VM's /init sets it.
const GuestPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Sh runs a busybox sh script inside the namespace, with PATH set to
// GuestPath, and fails the test unless it exits 0 within two minutes. It
// returns what the script printed on standard output.
func (n *NetNS) Sh(t testing.TB, script string) string {
	t.Helper()
	r, err := n.Exec(2*time.Minute, []string{"PATH=" + GuestPath, "HOME=/root"}, "", "/bin/sh", "-c", script)
	if err != nil {
		t.Fatalf("sh -c %q: %v\n%s", script, err, r)
	}
	if r.Status != 0 {
		t.Fatalf("sh -c %q: %s", script, r)
	}
	return r.Stdout
}
