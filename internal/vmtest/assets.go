package vmtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// guestPackages are the Debian packages unpacked into every VM: the shell
// and tools (busybox), and the reference ipvsadm with everything it needs
// to run (its libraries, bash for its save/restore scripts, netbase for
// /etc/services and /etc/protocols).
var guestPackages = []string{
	"busybox-static",
	"ipvsadm", "libpopt0", "libnl-3-200", "libnl-genl-3-200", "libc6",
	"bash", "libtinfo6",
	"netbase",
}

// Assets are the files a VM boots from, unpacked in a cache directory.
type Assets struct {
	// Kernel is the path of Debian's kernel image.
	Kernel string
	// KernelRelease is the kernel's release, such as "6.1.0-56-amd64".
	KernelRelease string
	// Root is the directory holding the unpacked packages.
	Root string
	// Packages lists the unpacked packages as name=version.
	Packages []string
	// Modules are the kernel modules the guest loads, in order: paths
	// under lib/modules/RELEASE/kernel without ".ko" (see guestModules).
	Modules []string
}

// KernelEnv names the environment variable that chooses the kernel
// package the VM boots: any linux-image-* package apt can download, such
// as linux-image-6.12.118+deb12-amd64, or a metapackage such as
// linux-image-amd64 (the default), which stands for the kernel it
// depends on.
const KernelEnv = "IPVSADM_VM_KERNEL"

// DefaultKernel is the kernel package used when KernelEnv is unset or
// empty: Debian's current stock kernel.
const DefaultKernel = "linux-image-amd64"

// KernelPackage returns the kernel package asked for with KernelEnv, or
// DefaultKernel.
func KernelPackage() string {
	if k := os.Getenv(KernelEnv); k != "" {
		return k
	}
	return DefaultKernel
}

// CacheDir returns the directory where assets are kept: $IPVSADM_VM_CACHE,
// else a folder under the user's cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv("IPVSADM_VM_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("vmtest: no cache directory (set IPVSADM_VM_CACHE): %w", err)
	}
	return filepath.Join(d, "ipvsadm-go", "vm"), nil
}

// Prepare makes sure QEMU is installed and that Debian's current stock
// kernel and the guest packages are downloaded and unpacked in cacheDir.
// As root it installs what is missing with apt; otherwise it says what to
// install. Progress goes to log.
func Prepare(cacheDir string, log func(format string, args ...any)) (*Assets, error) {
	if err := ensureTools(log); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	unlock, err := lockDir(cacheDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	kernelPkg, err := resolveKernel(KernelPackage(), log)
	if err != nil {
		return nil, err
	}
	release := strings.TrimPrefix(kernelPkg, "linux-image-")
	root := filepath.Join(cacheDir, "root-"+release)
	stamp := filepath.Join(root, ".complete")
	a := &Assets{
		Kernel:        filepath.Join(root, "boot", "vmlinuz-"+release),
		KernelRelease: release,
		Root:          root,
	}
	if b, err := os.ReadFile(stamp); err == nil {
		a.Packages = strings.Fields(string(b))
		if a.Modules, err = presentModules(root, release); err != nil {
			return nil, err
		}
		return a, nil
	}

	debs := filepath.Join(cacheDir, "debs-"+release)
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	pkgs := append([]string{kernelPkg}, guestPackages...)
	log("vmtest: downloading %s", strings.Join(pkgs, " "))
	download := func() ([]byte, error) { return runIn(debs, "apt-get", append([]string{"download"}, pkgs...)...) }
	out, err := download()
	if err != nil && os.Geteuid() == 0 { // package lists may be stale: refresh once
		log("vmtest: apt-get update")
		if _, uerr := runIn("", "apt-get", "update"); uerr == nil {
			out, err = download()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("vmtest: apt-get download failed (as root, run 'apt-get update' first): %v\n%s", err, out)
	}
	tmp := root + ".tmp"
	os.RemoveAll(tmp)
	files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("vmtest: no packages in %s", debs)
	}
	var versions []string
	for _, f := range files {
		if out, err := runIn(debs, "dpkg-deb", "-x", f, tmp); err != nil {
			return nil, fmt.Errorf("vmtest: unpacking %s: %v\n%s", f, err, out)
		}
		out, err := runIn(debs, "dpkg-deb", "-f", f, "Package", "Version")
		if err != nil {
			return nil, fmt.Errorf("vmtest: reading %s: %v", f, err)
		}
		fields := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ": ")
			fields[k] = v
		}
		versions = append(versions, fields["Package"]+"="+fields["Version"])
	}
	if _, err := os.Stat(filepath.Join(tmp, "boot", "vmlinuz-"+release)); err != nil {
		return nil, fmt.Errorf("vmtest: kernel package %s has no vmlinuz: %w", kernelPkg, err)
	}
	if err := decompressModules(tmp, release); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), []byte(strings.Join(versions, "\n")+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	os.RemoveAll(root)
	if err := os.Rename(tmp, root); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	os.RemoveAll(debs) // the unpacked tree is all that is needed
	a.Packages = versions
	if a.Modules, err = presentModules(root, release); err != nil {
		return nil, err
	}
	return a, nil
}

// ensureTools checks for the host programs the harness runs.
func ensureTools(log func(string, ...any)) error {
	var missing []string
	for tool, pkg := range map[string]string{
		"qemu-system-x86_64": "qemu-system-x86",
		"apt-get":            "apt",
		"dpkg-deb":           "dpkg",
		"xz":                 "xz-utils", // compressed kernel modules
		"zstd":               "zstd",
	} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("vmtest: missing host packages; install them with: sudo apt-get install -y --no-install-recommends %s",
			strings.Join(missing, " "))
	}
	log("vmtest: installing %s", strings.Join(missing, " "))
	if out, err := runIn("", "apt-get", "update"); err != nil {
		return fmt.Errorf("vmtest: apt-get update: %v\n%s", err, out)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, missing...)
	if out, err := runIn("", "apt-get", args...); err != nil {
		return fmt.Errorf("vmtest: apt-get install: %v\n%s", err, out)
	}
	return nil
}

// resolveKernel names the kernel package to unpack for pkg: the package
// a metapackage such as linux-image-amd64 depends on (such as
// linux-image-6.1.0-56-amd64: resolved every time because the mirror moves
// on to newer kernels), or pkg itself.
func resolveKernel(pkg string, log func(string, ...any)) (string, error) {
	name, err := kernelOf(pkg)
	if err == nil {
		return name, nil
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("vmtest: cannot resolve the kernel package %s (run 'sudo apt-get update'): %w", pkg, err)
	}
	log("vmtest: apt-get update")
	if out, err := runIn("", "apt-get", "update"); err != nil {
		return "", fmt.Errorf("vmtest: apt-get update: %v\n%s", err, out)
	}
	if name, err = kernelOf(pkg); err != nil {
		return "", fmt.Errorf("vmtest: kernel package %s: %w", pkg, err)
	}
	return name, nil
}

// kernelOf is the package holding the kernel of pkg: what a metapackage
// depends on, or pkg when apt knows it and it depends on no other kernel.
func kernelOf(pkg string) (string, error) {
	if !strings.HasPrefix(pkg, "linux-image-") {
		return "", fmt.Errorf("%q is not a linux-image-* package", pkg)
	}
	name, err := dependsOf(pkg)
	if err == nil {
		return name, nil
	}
	if _, serr := runIn("", "apt-cache", "show", pkg); serr != nil {
		return "", err
	}
	return pkg, nil
}

// NewestKernel returns the kernel package with the highest version among
// those apt knows whose names match pattern (a path.Match pattern, such
// as "linux-image-6.12.*+deb12-amd64"). As root it refreshes apt's lists
// once when none matches.
func NewestKernel(pattern string, log func(string, ...any)) (string, error) {
	name, err := newestMatching(pattern)
	if err != nil && os.Geteuid() == 0 {
		log("vmtest: apt-get update")
		if out, uerr := runIn("", "apt-get", "update"); uerr != nil {
			return "", fmt.Errorf("vmtest: apt-get update: %v\n%s", uerr, out)
		}
		name, err = newestMatching(pattern)
	}
	return name, err
}

func newestMatching(pattern string) (string, error) {
	out, err := runIn("", "apt-cache", "pkgnames", "linux-image-")
	if err != nil {
		return "", fmt.Errorf("vmtest: apt-cache pkgnames: %v", err)
	}
	best := ""
	for _, name := range strings.Fields(string(out)) {
		if ok, _ := path.Match(pattern, name); ok && (best == "" || versionLess(best, name)) {
			best = name
		}
	}
	if best == "" {
		return "", fmt.Errorf("vmtest: apt knows no package matching %s", pattern)
	}
	return best, nil
}

// versionLess compares the runs of digits in two package names as numbers,
// in order: 6.12.9 comes before 6.12.118.
func versionLess(a, b string) bool {
	na, nb := numbers(a), numbers(b)
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			return na[i] < nb[i]
		}
	}
	return len(na) < len(nb)
}

func numbers(s string) []int {
	var ns []int
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		n := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			n = n*10 + int(s[i]-'0')
		}
		ns = append(ns, n)
	}
	return ns
}

func dependsOf(pkg string) (string, error) {
	out, err := runIn("", "apt-cache", "depends", pkg)
	if err != nil {
		return "", fmt.Errorf("apt-cache depends %s: %v", pkg, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if ok && k == "Depends" && strings.HasPrefix(v, "linux-image-") {
			return v, nil
		}
	}
	return "", errors.New("no linux-image dependency listed")
}

// lockDir takes an exclusive lock on dir, so that test binaries started
// in parallel download and unpack the assets only once.
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("vmtest: locking %s: %w", dir, err)
	}
	return func() { f.Close() }, nil
}

func runIn(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	return cmd.CombinedOutput()
}

// guestFiles lists the files of the unpacked tree that go into the VM,
// keyed by their path in the guest.
func (a *Assets) guestFiles() (map[string]string, error) {
	files := map[string]string{}
	add := func(rel string) error {
		full := filepath.Join(a.Root, rel)
		return filepath.WalkDir(full, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "gconv" {
					return filepath.SkipDir
				}
				return nil
			}
			r, _ := filepath.Rel(a.Root, p)
			files["/"+r] = p
			return nil
		})
	}
	for _, rel := range []string{
		"bin/busybox", "bin/bash",
		"sbin/ipvsadm", "sbin/ipvsadm-save", "sbin/ipvsadm-restore",
		"etc/default/ipvsadm", "etc/init.d/ipvsadm",
		"etc/services", "etc/protocols",
		"lib64", "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu",
	} {
		if err := add(rel); err != nil {
			return nil, fmt.Errorf("vmtest: collecting guest files: %w", err)
		}
	}
	modDir := filepath.Join("lib", "modules", a.KernelRelease, "kernel")
	for _, m := range a.Modules {
		rel := filepath.Join(modDir, m+".ko")
		files["/"+rel] = filepath.Join(a.Root, rel)
	}
	return files, nil
}

// decompressModules unpacks the guest's modules that the kernel package
// ships compressed (Debian's 6.12 kernels: .ko.xz; others use .ko.zst)
// next to them, so that busybox's insmod can load them.
func decompressModules(root, release string) error {
	dir := filepath.Join(root, "lib", "modules", release, "kernel")
	for _, m := range guestModules {
		ko := filepath.Join(dir, m.path+".ko")
		if _, err := os.Stat(ko); err == nil {
			continue
		}
		for ext, tool := range map[string]string{".xz": "xz", ".zst": "zstd"} {
			if _, err := os.Stat(ko + ext); err != nil {
				continue
			}
			out, err := exec.Command(tool, "-dc", ko+ext).Output()
			if err != nil {
				return fmt.Errorf("vmtest: decompressing %s: %w", ko+ext, err)
			}
			if err := os.WriteFile(ko, out, 0o644); err != nil {
				return fmt.Errorf("vmtest: %w", err)
			}
		}
	}
	return nil
}

// presentModules lists, in load order, the guest modules the unpacked
// kernel has; a missing module that is not optional is an error.
func presentModules(root, release string) ([]string, error) {
	dir := filepath.Join(root, "lib", "modules", release, "kernel")
	var mods []string
	for _, m := range guestModules {
		if _, err := os.Stat(filepath.Join(dir, m.path+".ko")); err != nil {
			if m.optional {
				continue
			}
			return nil, fmt.Errorf("vmtest: module %s: %w", m.path, err)
		}
		mods = append(mods, m.path)
	}
	return mods, nil
}

// guestModule is a kernel module the guest loads: its path under
// lib/modules/RELEASE/kernel without ".ko", and whether a kernel may lack
// it (a scheduler that newer kernels added).
type guestModule struct {
	path     string
	optional bool
}

// guestModules are loaded by /init in this order (dependencies first;
// crc32c_generic before libcrc32c, whose soft dependency busybox does not
// follow).
var guestModules = []guestModule{
	{path: "crypto/crc32c_generic"},
	{path: "lib/libcrc32c"},
	{path: "net/ipv4/netfilter/nf_defrag_ipv4"},
	{path: "net/ipv6/netfilter/nf_defrag_ipv6"},
	{path: "net/netfilter/nf_conntrack"},
	{path: "net/netfilter/nf_conntrack_sip"},
	{path: "net/netfilter/ipvs/ip_vs"},
	{path: "net/netfilter/ipvs/ip_vs_rr"},
	{path: "net/netfilter/ipvs/ip_vs_wrr"},
	{path: "net/netfilter/ipvs/ip_vs_lc"},
	{path: "net/netfilter/ipvs/ip_vs_wlc"},
	{path: "net/netfilter/ipvs/ip_vs_lblc"},
	{path: "net/netfilter/ipvs/ip_vs_lblcr"},
	{path: "net/netfilter/ipvs/ip_vs_dh"},
	{path: "net/netfilter/ipvs/ip_vs_sh"},
	{path: "net/netfilter/ipvs/ip_vs_sed"},
	{path: "net/netfilter/ipvs/ip_vs_nq"},
	{path: "net/netfilter/ipvs/ip_vs_fo"},
	{path: "net/netfilter/ipvs/ip_vs_ovf"},
	{path: "net/netfilter/ipvs/ip_vs_mh"},
	{path: "net/netfilter/ipvs/ip_vs_twos", optional: true}, // Linux 6.7 and later
	{path: "net/netfilter/ipvs/ip_vs_pe_sip"},
	{path: "drivers/net/dummy"},
	{path: "drivers/net/veth"},
}
