// Package cli is the program's front door: it picks the personality from
// argv[0] (ipvsadm, ipvsadm-save, ipvsadm-restore), connects to the
// kernel as the original does, runs the command and returns the exit
// status. It is the only package that sees the process's arguments,
// environment and standard streams.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ipvsadm-go/ipvsadm/internal/command"
	"github.com/ipvsadm-go/ipvsadm/internal/connections"
	"github.com/ipvsadm-go/ipvsadm/internal/ipvs"
	"github.com/ipvsadm-go/ipvsadm/internal/names"
	"github.com/ipvsadm-go/ipvsadm/internal/netns"
	"github.com/ipvsadm-go/ipvsadm/internal/proctable"
	"github.com/ipvsadm-go/ipvsadm/internal/sockopt"
)

// Env is what the program gets from its process.
type Env struct {
	Args   []string // argv, argv[0] included
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// LookupEnv reads the environment (os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// Main runs the program and returns its exit status.
func Main(env Env) int {
	if len(env.Args) == 0 {
		env.Args = []string{"ipvsadm"}
	}
	if env.LookupEnv == nil {
		env.LookupEnv = func(string) (string, bool) { return "", false }
	}
	stdout := newStdoutWriter(env.Stdout)
	env.Stdout = stdout
	env.Stdin = realStdin(env.Stdin)
	status := run(env)
	return writeFailure(env, stdout.Flush(), status)
}

// run is Main once the streams are set up.
func run(env Env) int {
	switch base := filepath.Base(env.Args[0]); base {
	case "ipvsadm-save":
		if status := checkNetns(env, base, false); status != 0 {
			return status
		}
		return saveMain(env)
	case "ipvsadm-restore":
		if status := checkNetns(env, base, true); status != 0 {
			return status
		}
		return restoreMain(env)
	}
	args, ext, err := takeExtensions(env.Args[1:], false)
	if err == nil && isRestore(args) {
		args, ext, err = takeExtensions(env.Args[1:], true)
	}
	if err != nil {
		return extensionFailure(env, env.Args[0], err)
	}
	r, status := connect(env, env.Args[0], ext.netns)
	if r == nil {
		return status
	}
	defer r.Close()
	r.JSON = ext.json
	if isRestore(args) {
		var stop func()
		r.RestoreOptions = ext.restore
		r.RestoreOptions.Interrupt, stop = catchInterrupts()
		tuneGC(r.RestoreOptions)
		defer stop()
	}
	return r.Main(args)
}

// checkNetns makes sure that the namespace named by --netns, if any, can be
// opened, before a script personality (prog) reads its input or runs
// anything: they run ipvsadm once or twice, each run opening the namespace
// on its own, which would report the failure under the name "ipvsadm",
// and for ipvsadm-restore twice. The failure is reported once, under the
// personality's name, with status 2. A misused option is left to the
// personality to report.
func checkNetns(env Env, prog string, restore bool) int {
	_, ext, err := takeExtensions(env.Args[1:], restore)
	if err != nil || ext.netns == "" {
		return 0
	}
	ns, err := netns.Open(ext.netns)
	if err != nil {
		return extensionFailure(env, prog, err)
	}
	ns.Close()
	return 0
}

// connect opens the kernel connection the way the original does before it
// even looks at its arguments: on failure it runs "/sbin/modprobe -- ip_vs"
// and tries once more; if that fails too it prints the original's two
// lines and the status is 2.
func connect(env Env, prog, netnsName string) (*runner, int) {
	var ns *netns.Namespace
	if netnsName != "" {
		var err error
		if ns, err = netns.Open(netnsName); err != nil {
			return nil, extensionFailure(env, prog, err)
		}
	}
	c, info, err := dial(ns)
	if err != nil {
		modprobe := exec.Command("/sbin/modprobe", "--", "ip_vs")
		modprobe.Stdout, modprobe.Stderr = os.Stdout, os.Stderr
		if env.Stdout.(*stdoutWriter).Flush(); modprobe.Run() == nil {
			c, info, err = dial(ns)
		}
	}
	if err != nil {
		if ns != nil {
			ns.Close()
		}
		fmt.Fprintf(env.Stderr, "Can't initialize ipvs: %s\nAre you sure that IP Virtual Server is built in the kernel or as module?\n",
			initMessage(err))
		return nil, 2
	}
	if v := info.Version; uint32(v.Major)<<16|uint32(v.Minor)<<8|uint32(v.Patch) < 0x010104 {
		fmt.Fprintf(env.Stderr, "Warning: IPVS version mismatch: \n  Kernel compiled with IPVS version %s\n  ipvsadm v1.31  requires minimum IPVS version 1.1.4\n\n", v)
	}
	r := &runner{Runner: command.Runner{
		Backend:        command.NewKernel(c),
		Info:           info,
		Stdin:          env.Stdin,
		Stdout:         env.Stdout,
		Stderr:         env.Stderr,
		Prog:           prog,
		Names:          names.System(),
		PosixlyCorrect: isSet(env, "POSIXLY_CORRECT") || isSet(env, "POSIX_ME_HARDER"),
		OpenTable:      func() (io.ReadCloser, error) { return os.Open(proctable.File) },
		OpenSockopt:    func() (*sockopt.Table, error) { return sockopt.Open(nil) },
	}, client: c, ns: ns}
	if ns != nil {
		// /proc/net shows the namespace of the thread that opens the
		// file, so the namespace's own files are opened from inside it.
		r.OpenTable = func() (io.ReadCloser, error) { return ns.OpenProcNet(filepath.Base(proctable.File)) }
		r.OpenConnections = func() (io.ReadCloser, error) { return ns.OpenProcNet(filepath.Base(connections.ProcFile)) }
		r.OpenSockopt = func() (*sockopt.Table, error) { return sockopt.Open(ns.Do) }
	}
	return r, 0
}

// runner is a command.Runner with the resources it holds.
type runner struct {
	command.Runner
	client *ipvs.Client
	ns     *netns.Namespace
}

// Close closes the kernel connection and the namespace.
func (r *runner) Close() {
	r.client.Close()
	if r.ns != nil {
		r.ns.Close()
	}
}

// dial connects and reads the kernel's IPVS information.
func dial(ns *netns.Namespace) (*ipvs.Client, ipvs.Info, error) {
	cfg := &ipvs.Config{}
	if ns != nil {
		cfg.NetNS = ns.FD()
	}
	c, err := ipvs.Dial(cfg)
	if err != nil {
		return nil, ipvs.Info{}, err
	}
	info, err := c.Info()
	if err != nil {
		c.Close()
		return nil, ipvs.Info{}, err
	}
	return c, info, nil
}

// initMessage is the reason the original gives when it cannot start: it
// comes from its fallback probe when the netlink family is missing.
func initMessage(err error) string {
	var errno unix.Errno
	switch {
	case errors.Is(err, ipvs.ErrNotSupported):
		if os.Geteuid() != 0 {
			return "Permission denied (you must be root)"
		}
		return "Protocol not available"
	case errors.As(err, &errno):
		return command.KernelMessage(errno)
	}
	return "Invalid operation.  Possibly wrong module version, address not unicast, ..."
}

// isSet reports whether the environment has name, with any value.
func isSet(env Env, name string) bool {
	_, ok := env.LookupEnv(name)
	return ok
}
