// Package vmtest runs a package's tests against a real IPVS kernel.
//
// The host's kernel need not have IPVS: a test binary whose TestMain calls
// Main boots Debian's stock kernel under QEMU once, with the test binary
// itself inside the initramfs, runs every selected test in the guest and
// reports the result as its own. Inside the guest each test takes a fresh
// network namespace (NewNetNS), so no test sees another's IPVS table.
// A package with many independent jobs can have a second VM do half of
// them (WithHelperVM, ShareJobs). README.md says more, and where a new
// test belongs.
//
// Assets (Debian's kernel, busybox, the reference ipvsadm and its
// libraries) are downloaded with apt into a cache on first use; QEMU is
// installed with apt when running as root. A missing kernel is a failure,
// never a skip.
package vmtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// InGuest reports whether this process runs inside the test VM.
func InGuest() bool { return os.Getenv("VMTEST_GUEST") == "1" }

// Option adjusts the VM that Main boots.
type Option func(*VM)

// WithFile puts the host file host into the guest at path guest.
func WithFile(guest, host string) Option {
	return func(vm *VM) { vm.Files[guest] = host }
}

// WithDir puts the host directory dir into the guest at the same absolute
// path.
func WithDir(dir string) Option {
	return func(vm *VM) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return
		}
		filepath.Walk(abs, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				vm.Files[p] = p
			}
			return nil
		})
	}
}

// WithData puts a file with the given content into the guest at path
// guest, replacing any file the VM has there (such as /etc/hosts).
func WithData(guest string, data []byte) Option {
	return func(vm *VM) {
		if vm.Data == nil {
			vm.Data = map[string][]byte{}
		}
		vm.Data[guest] = data
	}
}

// WithMemory sets the guest's memory in MiB.
func WithMemory(mb int) Option {
	return func(vm *VM) { vm.MemoryMB = mb }
}

// WithCPUs sets the number of virtual CPUs, for tests that run in
// parallel inside the VM.
func WithCPUs(n int) Option {
	return func(vm *VM) { vm.CPUs = n }
}

// Main runs the tests of m. On the host it boots the VM and runs this
// test binary inside it with the same flags; in the guest it runs the
// tests. Call it from TestMain: os.Exit(vmtest.Main(m)).
//
// The package's testdata directory is available in the guest at the same
// path, and the guest's working directory is the package's. SeedEnv, when
// set, is passed on to the guest.
func Main(m *testing.M, opts ...Option) int {
	if InGuest() {
		if os.Getenv(helperEnv) == "1" {
			vm := &VM{Files: map[string]string{}}
			for _, o := range opts {
				o(vm)
			}
			if vm.helperJob == nil {
				fmt.Fprintln(os.Stderr, "vmtest: helper VM without WithHelperVM")
				return 1
			}
			return serveJobs(vm.helperJob)
		}
		var uts unix.Utsname
		unix.Uname(&uts)
		fmt.Fprintf(os.Stderr, "vmtest: running inside the VM, kernel %s\n", unix.ByteSliceToString(uts.Release[:]))
		return m.Run()
	}
	status, err := runOnHost(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return status
}

// runOnHost boots the VM that runs this test binary, and the helper VM
// when a test asks for one (WithHelperVM, ShareJobs).
func runOnHost(opts []Option) (int, error) {
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
	cache, err := CacheDir()
	if err != nil {
		return 0, err
	}
	assets, err := Prepare(cache, logf)
	if err != nil {
		return 0, err
	}
	exe, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("vmtest: %w", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return 0, fmt.Errorf("vmtest: %w", err)
	}
	vm := &VM{Assets: assets, Files: map[string]string{"/vmtest/test.bin": exe}, Timeout: guestTimeout(os.Args[1:]), FixedAddresses: true}
	WithDir(filepath.Join(wd, "testdata"))(vm)
	for _, o := range opts {
		o(vm)
	}
	if vm.oursDir != "" {
		if err := vm.addOurs(cache); err != nil {
			return 0, err
		}
	}
	args := []string{"/vmtest/test.bin"}
	for _, a := range os.Args[1:] {
		if hostOnlyFlag(a) {
			continue
		}
		args = append(args, ShellQuote(a))
	}
	env := ""
	if s := os.Getenv(SeedEnv); s != "" {
		env = "export " + SeedEnv + "=" + ShellQuote(s) + "\n"
	}
	script := func(env string) string {
		return fmt.Sprintf("mkdir -p %s && cd %s || exit 1\n%sexec %s\n",
			ShellQuote(wd), ShellQuote(wd), env, strings.Join(args, " "))
	}
	if vm.helperJob == nil {
		vm.Script = script(env)
		return vm.Run()
	}

	// The test VM and, once a test shares jobs, the helper VM, each
	// talking to the broker.
	helper := *vm
	helper.Script = script(env + "export " + helperEnv + "=1\n")
	helper.Output = &prefixWriter{w: os.Stderr, prefix: "vmtest helper VM: "}
	ctx, stopHelper := context.WithCancel(context.Background())
	var helperDone sync.WaitGroup
	var b *broker
	b = newBroker(func() {
		helperDone.Add(1)
		go func() {
			defer helperDone.Done()
			status, err := helper.RunContext(ctx)
			if ctx.Err() == nil {
				logf("vmtest: the helper VM ended early (status %d, %v); the test VM does its jobs", status, err)
			}
			b.helperEnded()
		}()
	})
	helper.Control = b.fromHelper
	vm.Script = script(env + "export " + jobsEnv + "=1\n")
	vm.Control = b.fromTest
	status, err := vm.Run()
	if shared := b.close(); shared != "" {
		logf("vmtest: %s", shared)
	}
	stopHelper()
	helperDone.Wait()
	return status, err
}

// prefixWriter writes each line with a prefix.
type prefixWriter struct {
	w       io.Writer
	prefix  string
	midLine bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	var out []byte
	for _, c := range b {
		if !p.midLine {
			out = append(out, p.prefix...)
		}
		out = append(out, c)
		p.midLine = c != '\n'
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// hostOnlyFlag reports whether a test flag names a host file that the
// guest cannot write.
func hostOnlyFlag(arg string) bool {
	for _, f := range []string{"testlogfile", "coverprofile", "cpuprofile", "memprofile",
		"blockprofile", "mutexprofile", "trace", "outputdir", "gocoverdir", "fuzzcachedir"} {
		if strings.HasPrefix(arg, "-test."+f+"=") {
			return true
		}
	}
	return false
}

// guestTimeout is the test binary's -test.timeout plus time to boot, or
// 30 minutes.
func guestTimeout(args []string) time.Duration {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "-test.timeout="); ok {
			if d, err := time.ParseDuration(v); err == nil && d > 0 {
				return d + 2*time.Minute
			}
		}
	}
	return 30 * time.Minute
}
