// Package netns opens named network namespaces (those "ip netns add"
// makes) and reads a namespace's /proc/net files without moving the
// process into it.
package netns

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// RunDir is where "ip netns" keeps the namespaces it names.
const RunDir = "/var/run/netns"

// Namespace is an open network namespace.
type Namespace struct {
	name string
	f    *os.File
}

// Open opens the namespace called name: a name made by "ip netns add", or,
// when it holds a slash, the path of any namespace file (such as
// /proc/PID/ns/net).
func Open(name string) (*Namespace, error) {
	path := name
	if !strings.Contains(name, "/") {
		path = filepath.Join(RunDir, name)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open network namespace %q: %w", name, unwrapPath(err))
	}
	// A file that is not a network namespace would only be refused when
	// first used; check now, so the error names the cause.
	if t, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE); err != nil || t != unix.CLONE_NEWNET {
		f.Close()
		return nil, fmt.Errorf("%q is not a network namespace", name)
	}
	return &Namespace{name: name, f: f}, nil
}

// unwrapPath drops the path from an *os.PathError: the message names the
// namespace already.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// FD is the namespace's file descriptor, for netlink.Config.NetNS.
func (ns *Namespace) FD() int { return int(ns.f.Fd()) }

// Name is the name the namespace was opened by.
func (ns *Namespace) Name() string { return ns.name }

// Close closes the namespace file.
func (ns *Namespace) Close() error { return ns.f.Close() }

// OpenProcNet opens /proc/net/<file> as the namespace sees it (see Do);
// the open file keeps showing the namespace it was opened in.
func (ns *Namespace) OpenProcNet(file string) (*os.File, error) {
	var f *os.File
	err := ns.Do(func() (err error) {
		f, err = os.Open(filepath.Join("/proc/thread-self/net", file))
		return err
	})
	return f, err
}

// Do calls fn on a thread that joins the namespace and then ends, so no
// other code of the process ever runs in the namespace. What fn opens
// there (a file under /proc/thread-self/net, a socket) stays in the
// namespace after the thread is gone.
func (ns *Namespace) Do(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with the goroutine instead of
		// going back to the scheduler in the wrong namespace.
		runtime.LockOSThread()
		if err := unix.Setns(ns.FD(), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("entering network namespace %q: %w", ns.name, err)
			return
		}
		done <- fn()
	}()
	return <-done
}
