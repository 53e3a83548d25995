package vmtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
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
	kernelPkg, err := kernelPackage(log)
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
	if err := os.WriteFile(filepath.Join(tmp, ".complete"), []byte(strings.Join(versions, "\n")+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	os.RemoveAll(root)
	if err := os.Rename(tmp, root); err != nil {
		return nil, fmt.Errorf("vmtest: %w", err)
	}
	os.RemoveAll(debs) // the unpacked tree is all that is needed
	a.Packages = versions
	return a, nil
}

// ensureTools checks for the host programs the harness runs.
func ensureTools(log func(string, ...any)) error {
	var missing []string
	for tool, pkg := range map[string]string{
		"qemu-system-x86_64": "qemu-system-x86",
		"apt-get":            "apt",
		"dpkg-deb":           "dpkg",
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

// kernelPackage names the ABI package behind Debian's linux-image-amd64,
// such as linux-image-6.1.0-56-amd64. The name is resolved every time
// because the mirror moves on to newer kernels.
func kernelPackage(log func(string, ...any)) (string, error) {
	name, err := dependsOf("linux-image-amd64")
	if err == nil {
		return name, nil
	}
	if os.Geteuid() != 0 {
		return "", fmt.Errorf("vmtest: cannot resolve Debian's kernel package (run 'sudo apt-get update'): %w", err)
	}
	log("vmtest: apt-get update")
	if out, err := runIn("", "apt-get", "update"); err != nil {
		return "", fmt.Errorf("vmtest: apt-get update: %v\n%s", err, out)
	}
	return dependsOf("linux-image-amd64")
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
	for _, m := range guestModules {
		rel := filepath.Join(modDir, m+".ko")
		if _, err := os.Stat(filepath.Join(a.Root, rel)); err != nil {
			return nil, fmt.Errorf("vmtest: module %s: %w", m, err)
		}
		files["/"+rel] = filepath.Join(a.Root, rel)
	}
	return files, nil
}

// guestModules are loaded by /init in this order (dependencies first;
// crc32c_generic before libcrc32c, whose soft dependency busybox does not
// follow).
var guestModules = []string{
	"crypto/crc32c_generic",
	"lib/libcrc32c",
	"net/ipv4/netfilter/nf_defrag_ipv4",
	"net/ipv6/netfilter/nf_defrag_ipv6",
	"net/netfilter/nf_conntrack",
	"net/netfilter/nf_conntrack_sip",
	"net/netfilter/ipvs/ip_vs",
	"net/netfilter/ipvs/ip_vs_rr",
	"net/netfilter/ipvs/ip_vs_wrr",
	"net/netfilter/ipvs/ip_vs_lc",
	"net/netfilter/ipvs/ip_vs_wlc",
	"net/netfilter/ipvs/ip_vs_lblc",
	"net/netfilter/ipvs/ip_vs_lblcr",
	"net/netfilter/ipvs/ip_vs_dh",
	"net/netfilter/ipvs/ip_vs_sh",
	"net/netfilter/ipvs/ip_vs_sed",
	"net/netfilter/ipvs/ip_vs_nq",
	"net/netfilter/ipvs/ip_vs_fo",
	"net/netfilter/ipvs/ip_vs_ovf",
	"net/netfilter/ipvs/ip_vs_mh",
	"net/netfilter/ipvs/ip_vs_pe_sip",
	"drivers/net/dummy",
	"drivers/net/veth",
}
