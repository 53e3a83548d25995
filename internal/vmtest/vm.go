package vmtest

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed init.sh
var initScript []byte

// exitMarker starts the line on which /init reports the exit status of
// the guest script.
const exitMarker = "@@VMTEST-EXIT "

// VM describes one boot of the test VM.
type VM struct {
	Assets *Assets
	// Files are extra files for the guest, keyed by their guest path, with
	// the host path as value.
	Files map[string]string
	// Data are extra files for the guest given by content.
	Data map[string][]byte
	// Links are symbolic links in the guest, keyed by their path, with
	// their target as value.
	Links map[string]string
	// Script is run by busybox sh as the guest's only job; its standard
	// output and error reach Output.
	Script string
	// Output receives the script's output (default os.Stdout).
	Output io.Writer
	// Control, if set, receives the control lines the guest writes (see
	// share.go) instead of Output, with a writer to answer on: what it
	// writes, the guest reads on the serial port of its output.
	Control func(line string, answer io.Writer)
	// Timeout bounds the whole boot (default 30 minutes).
	Timeout time.Duration
	// MemoryMB is the guest's memory (default 1024).
	MemoryMB int
	// CPUs is the number of virtual CPUs (default 1). With more than one,
	// QEMU emulates them on as many host threads.
	CPUs int
	// FixedAddresses turns address-space randomisation off in the guest
	// (kernel parameter norandmaps). QEMU's TCG reuses the translation of
	// code only at the virtual address it was translated at, so with
	// randomisation every dynamically linked program is translated anew at
	// each start: bash starts in about 16 ms instead of 67, Debian's
	// ipvsadm in 18 instead of 51. Tests turn it on; the benchmark leaves
	// the kernel's default.
	FixedAddresses bool
	// Log receives progress messages (default: discarded).
	Log func(format string, args ...any)

	oursDir   string                   // see WithOurs
	helperJob func(name string) []byte // see WithHelperVM
}

// Run boots the VM, runs the script and returns its exit status.
func (vm *VM) Run() (int, error) { return vm.RunContext(context.Background()) }

// RunContext is Run, stopping the VM when ctx is done.
func (vm *VM) RunContext(ctx context.Context) (int, error) {
	logf := vm.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	out := vm.Output
	if out == nil {
		out = os.Stdout
	}
	timeout := vm.Timeout
	if timeout == 0 {
		timeout = 30 * time.Minute
	}
	cpus := vm.CPUs
	if cpus < 1 {
		cpus = 1
	}
	mem := vm.MemoryMB
	if mem == 0 {
		mem = 1024
	}

	dir, err := os.MkdirTemp("", "vmtest-")
	if err != nil {
		return 0, fmt.Errorf("vmtest: %w", err)
	}
	defer os.RemoveAll(dir)
	initrd := filepath.Join(dir, "initrd.cpio")
	if err := vm.writeInitrd(initrd); err != nil {
		return 0, err
	}
	console := filepath.Join(dir, "console.log")

	cmdline := "console=ttyS0 quiet panic=-1 oops=panic"
	if vm.FixedAddresses {
		cmdline += " norandmaps"
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64",
		"-accel", "tcg", "-cpu", "max", "-smp", strconv.Itoa(cpus), "-m", strconv.Itoa(mem),
		"-nodefaults", "-nic", "none", "-no-reboot", "-display", "none", "-monitor", "none",
		"-serial", "file:"+console, // ttyS0: kernel console
		"-serial", "stdio", // ttyS1: the script's output
		"-kernel", vm.Assets.Kernel, "-initrd", initrd,
		"-append", cmdline)
	// QEMU must not outlive a test binary that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("vmtest: %w", err)
	}
	var qemuErr bytes.Buffer
	cmd.Stderr = &qemuErr
	var answer io.Writer
	if vm.Control != nil {
		if answer, err = cmd.StdinPipe(); err != nil {
			return 0, fmt.Errorf("vmtest: %w", err)
		}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("vmtest: starting qemu: %w", err)
	}
	var control func(string)
	if vm.Control != nil {
		control = func(line string) { vm.Control(line, answer) }
	}
	status, found := copyOutput(out, control, stdout)
	waitErr := cmd.Wait()
	logf("vmtest: VM ran for %s", time.Since(start).Round(time.Millisecond))
	if found {
		return status, nil
	}
	tail, _ := os.ReadFile(console)
	if len(tail) > 4000 {
		tail = tail[len(tail)-4000:]
	}
	reason := fmt.Sprint(waitErr)
	switch ctx.Err() {
	case context.DeadlineExceeded:
		reason = fmt.Sprintf("timed out after %s", timeout)
	case context.Canceled:
		reason = "stopped"
	}
	return 0, fmt.Errorf("vmtest: the VM stopped without reporting a result (%s)\nqemu: %s\nconsole tail:\n%s",
		reason, qemuErr.String(), tail)
}

// copyOutput copies the guest's output to w until the exit marker and
// returns the status the marker reports. Control lines go to control.
func copyOutput(w io.Writer, control func(string), r io.Reader) (status int, found bool) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if i := strings.Index(line, controlMarker); i >= 0 && control != nil && err == nil {
			io.WriteString(w, line[:i])
			control(strings.TrimSuffix(line[i+len(controlMarker):], "\n"))
		} else if i := strings.Index(line, exitMarker); i >= 0 {
			io.WriteString(w, line[:i])
			n, convErr := strconv.Atoi(strings.TrimSpace(line[i+len(exitMarker):]))
			if convErr == nil {
				status, found = n, true
			}
		} else {
			io.WriteString(w, line)
		}
		if err != nil {
			return status, found
		}
	}
}

// writeInitrd writes the guest's initramfs: an uncompressed cpio archive
// (the kernel unpacks it faster than a compressed one under emulation).
func (vm *VM) writeInitrd(name string) error {
	files, err := vm.Assets.guestFiles()
	if err != nil {
		return err
	}
	for g, h := range vm.Files {
		files[g] = h
	}
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("vmtest: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := newCPIOWriter(bw)
	cw.hostFiles(files)
	cw.file("/init", 0o755, initScript)
	cw.file("/vmtest/release", 0o644, []byte(vm.Assets.KernelRelease+"\n"))
	cw.file("/vmtest/modules", 0o644, []byte(strings.Join(vm.Assets.Modules, "\n")+"\n"))
	cw.file("/vmtest/run.sh", 0o755, []byte(vm.Script))
	cw.file("/etc/nsswitch.conf", 0o644, []byte("hosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n"))
	cw.file("/etc/hosts", 0o644, []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"))
	cw.file("/etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\n"))
	cw.file("/etc/group", 0o644, []byte("root:x:0:\n"))
	for g, data := range vm.Data {
		cw.file(g, 0o755, data)
	}
	for g, target := range vm.Links {
		cw.symlink(g, target)
	}
	if err := cw.close(); err != nil {
		f.Close()
		return fmt.Errorf("vmtest: writing initramfs: %w", err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("vmtest: writing initramfs: %w", err)
	}
	return f.Close()
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
