// Command vmrun boots the test VM (Debian's stock kernel with IPVS, busybox
// and the reference ipvsadm) and runs a shell script in it.
//
//	vmrun [-f guest=host]... [-m MiB] [-cpus N] [-timeout D] script.sh
//	vmrun -prepare
//	vmrun -newest 'linux-image-6.12.*+deb12-amd64'
//
// The script's output is printed and its exit status becomes vmrun's. In
// the guest the reference ipvsadm is /sbin/ipvsadm (with its save and
// restore scripts) and files given with -f are at their guest paths. The
// kernel is the package named by $IPVSADM_VM_KERNEL (default
// linux-image-amd64); -newest finds the newest of a series.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

type fileFlags map[string]string

func (f fileFlags) String() string { return fmt.Sprint(map[string]string(f)) }

func (f fileFlags) Set(v string) error {
	g, h, ok := strings.Cut(v, "=")
	if !ok || !strings.HasPrefix(g, "/") {
		return fmt.Errorf("want /guest/path=host/path, got %q", v)
	}
	f[g] = h
	return nil
}

func main() {
	files := fileFlags{}
	flag.Var(files, "f", "put a host file into the guest: /guest/path=host/path (repeatable)")
	mem := flag.Int("m", 1024, "guest memory in MiB")
	cpus := flag.Int("cpus", 1, "virtual CPUs")
	timeout := flag.Duration("timeout", 30*time.Minute, "give up after this long")
	quiet := flag.Bool("q", false, "do not print progress")
	prepare := flag.Bool("prepare", false, "only download and unpack the VM's assets")
	newest := flag.String("newest", "", "only print the newest kernel package apt knows whose name matches this pattern (such as 'linux-image-6.12.*+deb12-amd64')")
	flag.Parse()
	if *newest != "" {
		name, err := vmtest.NewestKernel(*newest, func(f string, args ...any) { fmt.Fprintf(os.Stderr, f+"\n", args...) })
		if err != nil {
			fmt.Fprintln(os.Stderr, "vmrun:", err)
			os.Exit(1)
		}
		fmt.Println(name)
		return
	}
	if *prepare && flag.NArg() == 0 {
		cache, err := vmtest.CacheDir()
		if err == nil {
			var a *vmtest.Assets
			if a, err = vmtest.Prepare(cache, func(f string, args ...any) { fmt.Fprintf(os.Stderr, f+"\n", args...) }); err == nil {
				fmt.Printf("kernel %s\n%s\n", a.KernelRelease, strings.Join(a.Packages, "\n"))
				return
			}
		}
		fmt.Fprintln(os.Stderr, "vmrun:", err)
		os.Exit(1)
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: vmrun [-f /guest=host]... [-m MiB] [-timeout D] script.sh")
		os.Exit(2)
	}
	script, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmrun:", err)
		os.Exit(1)
	}
	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}
	cache, err := vmtest.CacheDir()
	if err == nil {
		var assets *vmtest.Assets
		assets, err = vmtest.Prepare(cache, logf)
		if err == nil {
			vm := &vmtest.VM{Assets: assets, Files: files, Script: string(script),
				MemoryMB: *mem, CPUs: *cpus, Timeout: *timeout, Log: logf}
			var status int
			status, err = vm.Run()
			if err == nil {
				os.Exit(status)
			}
		}
	}
	fmt.Fprintln(os.Stderr, "vmrun:", err)
	os.Exit(1)
}
