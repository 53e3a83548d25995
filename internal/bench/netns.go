package bench

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
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
// one's teardown has finished), makes a new one with lo up (so that the
// kernel accepts masquerading destinations) and returns it with the time
// it waited.
func (n *Namespaces) Fresh() (*NetNS, time.Duration, error) {
	poll, timeout := n.Poll, n.Timeout
	if poll == 0 {
		poll = 20 * time.Millisecond
	}
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	start := time.Now()
	for {
		ns, err := vmtest.CreateNetNS()
		if err == nil {
			return ns, time.Since(start), nil
		}
		if !errors.Is(err, unix.ENOSPC) {
			return nil, 0, fmt.Errorf("fresh network namespace: %w", err)
		}
		if time.Since(start) > timeout {
			return nil, 0, fmt.Errorf("fresh network namespace: the previous network namespace is still being torn down after %s", timeout)
		}
		time.Sleep(poll)
	}
}

// NetNS is a network namespace, held open by a file descriptor: FD for
// ipvs.Config.NetNS, Start to start a command inside it, Close.
type NetNS = vmtest.NetNS
