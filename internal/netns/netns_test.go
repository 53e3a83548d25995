package netns

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenMissing(t *testing.T) {
	name := fmt.Sprintf("ipvsadm-go-test-missing-%d", os.Getpid())
	_, err := Open(name)
	if err == nil {
		t.Fatalf("Open(%q) of a name not under %s succeeded", name, RunDir)
	}
	if want := `cannot open network namespace "` + name + `": no such file or directory`; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v is not fs.ErrNotExist", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Open(missing); err == nil || err.Error() != `cannot open network namespace "`+missing+`": no such file or directory` {
		t.Errorf("Open(%q): %v", missing, err)
	}
}

func TestOpenNotANetworkNamespace(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rules")
	if err := os.WriteFile(file, []byte("-A -t 10.0.0.1:80\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	paths := []string{file, t.TempDir(), "/dev/null"}
	if _, err := os.Stat("/proc/self/ns/uts"); err == nil {
		paths = append(paths, "/proc/self/ns/uts") // a namespace, of another kind
	}
	for _, p := range paths {
		ns, err := Open(p)
		if err == nil {
			ns.Close()
			t.Errorf("Open(%q) succeeded", p)
			continue
		}
		if want := fmt.Sprintf("%q is not a network namespace", p); err.Error() != want {
			t.Errorf("Open(%q): %q, want %q", p, err, want)
		}
	}
}

// TestNameIsUnderRunDir: a name without a slash is looked up under RunDir,
// never in the working directory.
func TestNameIsUnderRunDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	name := fmt.Sprintf("ipvsadm-go-test-%d", os.Getpid())
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(name); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(%q) with that file in the working directory: %v, want not found under %s", name, err, RunDir)
	}
}

func TestOpenOwn(t *testing.T) {
	ns, err := Open("/proc/self/ns/net")
	if err != nil {
		t.Skipf("cannot open this process's namespace: %v", err)
	}
	defer ns.Close()
	if ns.Name() != "/proc/self/ns/net" || ns.FD() < 0 {
		t.Errorf("Name %q FD %d", ns.Name(), ns.FD())
	}
	var st, own unix.Stat_t
	if err := unix.Fstat(ns.FD(), &st); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat("/proc/self/ns/net", &own); err != nil {
		t.Fatal(err)
	}
	if st.Ino != own.Ino {
		t.Errorf("FD is namespace %d, want %d", st.Ino, own.Ino)
	}
}

// TestOpenProcNet makes a network namespace (needs CAP_SYS_ADMIN: skipped
// without it) and reads its /proc/net/dev, which lists only its loopback
// interface, from a process that stays in its own namespace.
func TestOpenProcNet(t *testing.T) {
	before := threadNetNS(t)
	fresh := newNetNS(t)
	ns, err := Open(fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	f, err := ns.OpenProcNet("dev")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ifaces []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, _, ok := strings.Cut(sc.Text(), ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ifaces, " ") != "lo" {
		t.Errorf("the new namespace's /proc/net/dev lists %q, want only lo", ifaces)
	}
	if _, err := ns.OpenProcNet("no-such-file"); err == nil || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenProcNet of a missing file: %v", err)
	}
	if after := threadNetNS(t); after != before {
		t.Errorf("this thread moved from namespace %d to %d", before, after)
	}
}

// threadNetNS is the inode of the network namespace of a thread of this
// process.
func threadNetNS(t *testing.T) uint64 {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st unix.Stat_t
	if err := unix.Stat("/proc/thread-self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// newNetNS makes a network namespace and returns a path that opens it
// while the test runs; it skips the test without the privilege.
func newNetNS(t *testing.T) string {
	t.Helper()
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The thread never leaves the new namespace: it stays locked and
		// ends with this goroutine.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			done <- result{-1, err}
			return
		}
		fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		done <- result{fd, err}
	}()
	r := <-done
	if errors.Is(r.err, unix.EPERM) {
		t.Skipf("cannot make a network namespace: %v", r.err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { unix.Close(r.fd) })
	return fmt.Sprintf("/proc/self/fd/%d", r.fd)
}
