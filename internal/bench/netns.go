package bench

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// maxNetNSPath is the per-user limit on network namespaces. The kernel
// counts a namespace against it from its creation until the very end of
// its teardown (cleanup_net: every pernet exit method, IPVS's flush and
// destination-trash cleanup included, then rcu_barrier, then
// dec_net_namespaces), and refuses a new one over the limit with ENOSPC.
const maxNetNSPath = "/proc/sys/user/max_net_namespaces"

// Namespaces makes fresh network namespaces one at a time, each only once
// the previous one is completely torn down.
//
// It detects the end of a teardown through the kernel's own accounting:
// with the namespace limit set to 1, unshare(CLONE_NEWNET) fails with
// ENOSPC until the previous namespace's teardown has run to its end, so
// Fresh retries it every Poll until it succeeds.
type Namespaces struct {
	// Poll is how long to sleep between attempts (default 20ms).
	Poll time.Duration
	// Timeout bounds the wait for a teardown (default 10 minutes).
	Timeout time.Duration
	oldMax  string // the limit to restore on Close
}

// NewNamespaces sets the namespace limit to 1. The calling process must
// not hold any network namespace other than its own.
func NewNamespaces() (*Namespaces, error) {
	old, err := os.ReadFile(maxNetNSPath)
	if err != nil {
		return nil, fmt.Errorf("reading the namespace limit: %w", err)
	}
	if err := os.WriteFile(maxNetNSPath, []byte("1\n"), 0o644); err != nil {
		return nil, fmt.Errorf("setting the namespace limit: %w", err)
	}
	return &Namespaces{oldMax: strings.TrimSpace(string(old))}, nil
}

// Close restores the namespace limit.
func (n *Namespaces) Close() error {
	if err := os.WriteFile(maxNetNSPath, []byte(n.oldMax+"\n"), 0o644); err != nil {
		return fmt.Errorf("restoring the namespace limit: %w", err)
	}
	return nil
}

// Fresh waits until no namespace but the initial one exists (the previous
// one's teardown has finished), makes a new one with lo up and returns it
// with the time it waited.
func (n *Namespaces) Fresh() (*NetNS, time.Duration, error) {
	poll, timeout := n.Poll, n.Timeout
	if poll == 0 {
		poll = 20 * time.Millisecond
	}
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	start := time.Now()
	var ns *NetNS
	err := onThreadIn(-1, func() error {
		for {
			err := unix.Unshare(unix.CLONE_NEWNET)
			if err == nil {
				break
			}
			if !errors.Is(err, unix.ENOSPC) {
				return fmt.Errorf("unshare: %w", err)
			}
			if time.Since(start) > timeout {
				return fmt.Errorf("the previous network namespace is still being torn down after %s", timeout)
			}
			time.Sleep(poll)
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("opening the new namespace: %w", err)
		}
		ns = &NetNS{fd: fd}
		return loopbackUp()
	})
	if err != nil {
		if ns != nil {
			ns.Close()
		}
		return nil, 0, fmt.Errorf("fresh network namespace: %w", err)
	}
	return ns, time.Since(start), nil
}

// NetNS is a network namespace, held open by a file descriptor.
type NetNS struct {
	fd int
}

// FD returns the namespace's file descriptor, for ipvs.Config.NetNS.
func (n *NetNS) FD() int { return n.fd }

// Close drops this process's reference to the namespace; the kernel tears
// it down once nothing else (socket, process) holds it.
func (n *NetNS) Close() error { return unix.Close(n.fd) }

// Start starts cmd inside the namespace.
func (n *NetNS) Start(cmd *exec.Cmd) error { return onThreadIn(n.fd, cmd.Start) }

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
			errc <- fmt.Errorf("opening the current namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		if fd >= 0 {
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				runtime.UnlockOSThread()
				errc <- fmt.Errorf("entering the namespace: %w", err)
				return
			}
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("returning to the original namespace: %w", err)
			return // the thread stays locked and is discarded
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// loopbackUp sets lo up in the calling thread's namespace, so that the
// kernel accepts masquerading destinations.
func loopbackUp() error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(s)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	if err := unix.IoctlIfreq(s, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("getting lo's flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(s, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("setting lo up: %w", err)
	}
	return nil
}
