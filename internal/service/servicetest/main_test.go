// Package servicetest runs ipvsadm.service's commands against the real
// kernel in the test VM: the helper that "make install" installs, for the
// Debian and the Red Hat layout, under busybox sh and dash; and a
// master/backup pair of directors whose sync daemons share connections.
package servicetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"testing"

	"github.com/ipvsadm-go/ipvsadm/internal/service"
	"github.com/ipvsadm-go/ipvsadm/internal/vmtest"
)

// Where things are inside the VM.
const (
	sbin      = "/usr/local/sbin" // our ipvsadm and its links, as make install puts them
	destRoot  = "/opt/service"    // destRoot/LAYOUT is the DESTDIR of make install-service
	debRoot   = "/opt/deb"        // the files of make deb's package, unpacked
	dash      = "/bin/dash"       // the host's dash, to run the helper under it too
	reference = "/sbin/ipvsadm"   // Debian's ipvsadm: the judge of what the helper did
	unitPath  = "lib/systemd/system/ipvsadm.service"
)

var layouts = []string{"debian", "redhat"}

func TestMain(m *testing.M) {
	if vmtest.InGuest() {
		os.Exit(vmtest.Main(m))
	}
	dir, err := os.MkdirTemp("", "servicetest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts, err := hostFiles(dir)
	status := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		status = vmtest.Main(m, opts...)
	}
	os.RemoveAll(dir)
	os.Exit(status)
}

// hostFiles installs the service of both layouts under dir
// (PREFIX=/usr/local, the default), builds make deb's package and returns
// the options that put them, our ipvsadm (where make install puts it) and
// dash into the VM.
func hostFiles(dir string) ([]vmtest.Option, error) {
	opts := []vmtest.Option{
		vmtest.WithOurs(sbin),
		vmtest.WithMemory(1024),
		vmtest.WithCPUs(min(runtime.NumCPU(), 4)),
	}
	for _, layout := range layouts {
		dest := filepath.Join(dir, layout)
		if _, err := service.Make("install-service", "DESTDIR="+dest, "PREFIX=/usr/local", "LAYOUT="+layout); err != nil {
			return nil, err
		}
		files, err := treeFiles(dest, filepath.Join(destRoot, layout))
		if err != nil {
			return nil, err
		}
		opts = append(opts, files...)
	}
	deb, err := debFiles(dir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, deb...)
	if p, err := exec.LookPath("dash"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil {
			opts = append(opts, vmtest.WithFile(dash, p))
		}
	} // without it the dash cases fail in the guest
	return opts, nil
}

// debFiles builds the .deb with make deb into dir/deb, unpacks it with
// dpkg-deb and returns the options that put its files under debRoot.
func debFiles(dir string) ([]vmtest.Option, error) {
	out := filepath.Join(dir, "deb")
	pkg, err := service.BuildPackage("deb", out, "")
	if err != nil {
		return nil, err
	}
	tree := filepath.Join(out, "root")
	if b, err := exec.Command("dpkg-deb", "-x", pkg, tree).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dpkg-deb -x %s: %v\n%s", pkg, err, b)
	}
	return treeFiles(tree, debRoot)
}

// treeFiles returns the options that put the files and symlinks under
// tree into the guest under guestDir.
func treeFiles(tree, guestDir string) ([]vmtest.Option, error) {
	var opts []vmtest.Option
	err := filepath.Walk(tree, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tree, p)
		opts = append(opts, vmtest.WithFile(filepath.Join(guestDir, rel), p))
		return nil
	})
	return opts, err
}
